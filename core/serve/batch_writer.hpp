// The daemon's ingest writer: Firehose batches are committed to the ingest log (a cheap
// append, shared by the batches that arrive meanwhile) and then acknowledged; another thread
// folds the log into the store in large batches, as a file ingest would.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "../store/ingest_log.hpp"
#include "../store/memory_ingest.hpp"
#include "../store/sqlite_store.hpp"
#include "../store/wal_checkpointer.hpp"
#include "batch_ingest.hpp"

namespace cspm::core {

struct BatchWriterOptions {
  /// Fold once this many finding versions are logged, or once the oldest logged batch has
  /// waited `fold_delay`: larger folds write each finding's pages once for more versions.
  std::size_t fold_findings = 50'000;
  std::chrono::milliseconds fold_delay{500};
  /// At most this many versions per fold transaction (a file ingest's default batch), and
  /// logged but unfolded: beyond it, logging waits for a fold.
  std::size_t max_fold_findings = 500'000;
  /// Logged but unfolded findings whose bodies are held in memory; beyond it, logging waits
  /// for a fold. A version that a newer one in the same fold supersedes drops its body when
  /// the newer one is logged, so under load this bounds distinct findings, not versions.
  std::size_t max_logged_findings = 200'000;
  /// After a failed fold, the next attempt waits this long (doubling up to 32 times it).
  std::chrono::milliseconds retry_delay{1000};
  /// Called on the fold thread after each fold of logged batches, with what it stored.
  std::function<void(const store::IngestCounts&)> on_folded;
  /// Called on the log or the fold thread with what an operator should read (a failed
  /// append, removal or fold, a log that cannot be read).
  std::function<void(const std::string&)> on_error;
};

class BatchWriter {
 public:
  /// Starts the log and fold threads; what the log holds from before is folded first.
  explicit BatchWriter(std::filesystem::path data_dir, BatchWriterOptions options = {});
  /// close()
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  /// Parses `batch` on the caller's thread, then blocks until it is committed to the ingest
  /// log. Only then may it be acknowledged: it is durable, and a fold soon after stores its
  /// findings and quarantines its malformed records (before any run: see drain). Counts:
  /// its events only (what it stores is counted by on_folded).
  store::IngestResult log(const PendingBatch& batch);

  /// Parses `batch` and commits it alone, after the folds of everything logged before it;
  /// counts are its own (the NDJSON ingest answers with them).
  store::IngestResult write(const PendingBatch& batch);

  /// Blocks until everything logged before the call is stored. False if a fold failed
  /// meanwhile (what it did not store stays logged and is retried), or if the log could not
  /// be read at the start (what it holds is stored by the next start).
  bool drain();

  /// Logged batches not folded yet.
  std::size_t logged_batches() const;
  /// Of their findings, those whose bodies are held in memory (max_logged_findings).
  std::size_t held_findings() const;

  /// Logs what waits to be logged and folds the whole log, unless folds fail: then what
  /// was logged stays for the next start, and callers still waiting are answered with a
  /// failure. Later calls fail at once. True if everything logged was stored.
  bool close();

 private:
  struct Item;
  using Clock = std::chrono::steady_clock;

  // The log thread: appends batches (and removes folded ones) in one commit per round.
  void run_log();
  void recover();
  bool log_group(std::vector<std::shared_ptr<Item>>& group, const std::vector<std::int64_t>& folded);  // false: `folded` stay
  store::IngestResult log_items(std::span<const std::shared_ptr<Item>> items, std::span<const std::int64_t> folded);
  // The fold thread: stores logged batches' findings in large commits.
  void run_fold();
  bool fold(std::vector<std::shared_ptr<Item>>& group);
  bool fold_due(Clock::time_point now) const;
  std::vector<std::shared_ptr<Item>> take_fold_group(bool skip_refused);
  bool reread(Item& item);
  static store::IngestResult closed_result();
  void open_store();
  // Under mutex_: a logged batch joins to_fold_ and the open segment.
  void enqueue_logged(const std::shared_ptr<Item>& item);
  void drop_body(Item& owner, store::ReceivedFinding& version);
  void close_segment();

  std::filesystem::path data_dir_;
  BatchWriterOptions options_;
  std::unique_ptr<store::IngestLog> log_;      // the log thread's
  std::unique_ptr<store::SqliteStore> store_;  // the fold thread's
  std::unique_ptr<store::IngestLog> reread_log_;  // the fold thread's
  std::unique_ptr<store::WalCheckpointer> checkpointer_;
  store::BatchCommitter committer_;

  mutable std::mutex mutex_;
  std::condition_variable log_wake_, fold_wake_;
  std::condition_variable done_;  // callers waiting for their item, or for a drain
  std::deque<std::shared_ptr<Item>> to_log_;
  std::deque<std::shared_ptr<Item>> to_fold_;  // logged (or NDJSON, alone), in order
  std::vector<std::int64_t> to_remove_;        // seqs folded, to remove from the log
  std::size_t fold_findings_ = 0;              // versions in to_fold_
  std::size_t held_findings_ = 0;              // of them, with their bodies
  // The open segment: logged batches that will fold together, so that of each finding's
  // versions in them only the newest keeps its body. Closed when a fold takes it, before an
  // NDJSON batch, and at max_fold_findings versions.
  struct Holder {
    Item* item;
    std::uint32_t finding;
  };
  std::uint64_t segment_ = 1, next_segment_ = 2;
  std::size_t segment_versions_ = 0;
  store::IdentityIndex segment_index_;         // finding -> segment_holders_ slot
  std::vector<Holder> segment_holders_;        // the version with the body, per finding
  std::vector<std::unique_ptr<store::ReceivedBody>> dropped_;  // freed by the log thread, unlocked
  std::uint64_t enqueued_ = 0;                 // items ever put in to_fold_ (their order)
  std::uint64_t fold_failures_ = 0;
  std::size_t draining_ = 0;
  std::size_t solo_ = 0;                       // NDJSON items in to_fold_
  bool recovered_ = false;                     // the log thread read what a stop left
  bool logging_ = false;                       // a round of the log thread is under way
  bool folds_done_ = false;                    // the fold thread has stopped
  bool log_closed_ = false;                    // no more logging: the folds have stopped
  bool unrecovered_ = false;                   // the log could not be read at the start
  Clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  bool stopping_ = false;
  std::thread log_thread_, fold_thread_;
};

}  // namespace cspm::core
