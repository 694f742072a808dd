// Group commit for the daemon's HTTP ingest: batches that arrive while one is being written
// are committed together, so the store pays one commit (and one fsync) for several.
#pragma once
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>

#include "../store/memory_ingest.hpp"
#include "../store/sqlite_store.hpp"
#include "../store/wal_checkpointer.hpp"
#include "batch_ingest.hpp"

namespace cspm::core {

class BatchWriter {
 public:
  /// `max_group_findings`: at most this many finding versions per shared commit.
  explicit BatchWriter(std::filesystem::path data_dir, std::size_t max_group_findings = 100'000);
  ~BatchWriter();

  /// Parses `batch` (on the caller's thread), then blocks until it is committed: by this
  /// thread, with whatever else is waiting, or by the thread writing when it arrived. A
  /// `shareable` batch may share its commit, and then gets the group's status but counts
  /// only if it was first in the group (counts are not split per batch); others (NDJSON,
  /// whose answer is its own counts) are committed alone.
  store::IngestResult write(const PendingBatch& batch, bool shareable);

 private:
  struct Item;
  void write_group(const std::vector<std::shared_ptr<Item>>& group);

  std::filesystem::path data_dir_;
  std::size_t max_group_findings_;
  std::unique_ptr<store::SqliteStore> store_;  // one warm connection for every batch
  std::unique_ptr<store::WalCheckpointer> checkpointer_;  // of store_'s WAL, off the commit path
  store::BatchCommitter committer_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::deque<std::shared_ptr<Item>> queue_;
  bool writing_ = false;
};

}  // namespace cspm::core
