// Ingest: read with the SDK's ASFF reader, coalesce per identity, re-read winners, commit.
#include "ingestor.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>


#include <cspm/asff_reader.hpp>

#include "../sdk/spin_lock.hpp"
#include "handoff.hpp"
#include "identity_key.hpp"
#include "input_file.hpp"
#include "observation_state.hpp"
#include "owned_finding.hpp"
#include "raw_packer.hpp"

namespace cspm::store {
namespace {

namespace fs = std::filesystem;

using Key = IdentityKey;
Key key_of(const Finding& f) { return identity_key(f); }

struct VersionRow {
  Timestamp updated_at;
  std::uint64_t content;
  std::uint64_t position;  // in the file: orders versions the way the file does
  std::uint16_t state;
  std::uint32_t next;      // the identity's next version (as they arrived), or kNone
};
constexpr std::uint32_t kNone = 0xffffffff;

struct Pending {
  Key key;
  Timestamp updated_at;      // of the winning version
  std::uint64_t offset;      // of its JSON in the (plain) file
  std::uint32_t length;
  std::uint32_t winner;      // its version
  std::uint32_t first, last; // versions, in arrival order
};


// One file's worth of batches. Reader threads hand findings in concurrently; what needs no
// shared state (hashing) happens before the lock.
class Batcher final : public FindingHandler {
 public:
  /// `file_index` makes positions comparable across the files of one ingest. The file is
  /// opened here, before the reader opens it, and winners are re-read through this handle.
  Batcher(Store& store, const IngestOptions& options, const std::string& source, const std::string& plain,
          std::uint64_t file_index, IngestCounts& total)
      : store_(store), options_(options), source_(source), plain_(plain), file_(plain),
        file_bits_(file_index << 40), total_(total) {
    // Room for the findings the file will bring (one per 2-3 KB) up to a batch, so that the
    // readers do not wait while these grow and rehash under the lock.
    std::error_code unknown;
    const std::uint64_t bytes = fs::file_size(plain, unknown);
    const std::size_t expected = unknown ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(bytes / 2048, options.batch_findings));
    versions_.reserve(expected);
    pending_.reserve(expected / 2);
    index_.reserve(expected / 2);
  }
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  void on_finding(const Finding& f, std::string_view raw, std::uint64_t position) override {
    const Key key = key_of(f);
    const std::uint64_t content = content_hash(f);
    const std::uint16_t state = observation_state(f);
    const std::lock_guard lock{mutex_};
    if (failed_) return;  // a batch failed: the ingest stops, nothing more is written
    bool inserted = false;
    const std::uint32_t at = index_.find_or_insert(key, static_cast<std::uint32_t>(pending_.size()), inserted);
    const auto v = static_cast<std::uint32_t>(versions_.size());
    versions_.push_back({f.updated_at, content, position, state, kNone});
    if (inserted) {
      pending_.push_back({key, f.updated_at, position, static_cast<std::uint32_t>(raw.size()), v, v, v});
    } else {
      Pending& p = pending_[at];
      versions_[p.last].next = v;
      p.last = v;
      // Later input wins ties, as in the file source.
      if (f.updated_at > p.updated_at || (f.updated_at == p.updated_at && position > p.offset)) {
        p.updated_at = f.updated_at;
        p.offset = position;
        p.length = static_cast<std::uint32_t>(raw.size());
        p.winner = v;
      }
    }
    if (flush_when_full_ && full()) flush();
  }

  /// With one reader thread, batches are flushed as they fill. Parallel readers work on two
  /// halves of a window at once, so a batch is flushed only between windows: batches then
  /// follow the file, and versions meet the store in file order (counts, ties).
  void flush_between_windows() { flush_when_full_ = false; }
  bool full() const { return versions_.size() >= options_.batch_findings; }

  void on_malformed(const RecordError& e) override {
    const std::lock_guard lock{mutex_};
    if (failed_) return;
    QuarantinedCopy q{source_, e.line, e.reason, std::string{e.record.substr(0, 64 * 1024)}, e.record_bytes};
    quarantine_bytes_ += q.record.size();
    quarantined_.push_back(std::move(q));
    if (quarantine_bytes_ > (32u << 20)) flush();
  }

  /// Writes what is pending in one transaction. Throws on failure (SqliteError, a file that
  /// changed); then nothing of the batch is stored and the ingest stops.
  void flush() {
    if (failed_ || (pending_.empty() && quarantined_.empty())) return;
    try {
      write_batch();
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

 private:
  void write_batch() {
    IngestCounts batch;
    auto writer = store_.begin_write(options_.received_at, options_.ingest_id);
    for (const auto& q : quarantined_) {
      const QuarantineRecord r{q.source, q.line, q.reason, q.record, q.record_bytes};
      writer->quarantine(r, batch);
      if (options_.on_quarantine) options_.on_quarantine(r);
    }
    // Winners in file order: the re-reads then walk the file forward.
    std::vector<std::uint32_t> order(pending_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return pending_[a].offset < pending_[b].offset; });
    // Two stages on two cores: this thread writes to the store while a helper re-reads and
    // parses the winners ahead of it, a chunk at a time.
    Handoff<Prepared> handoff;
    std::exception_ptr helper_error;
    RawPacker packer{writer->raw_dictionary()};
    std::thread helper([&] {
      try {
        prepare_winners(order, packer, handoff);
      } catch (...) {
        helper_error = std::current_exception();
      }
      handoff.close();
    });
    try {
      std::vector<Prepared> chunk;
      std::int64_t new_dictionary = 0;
      while (handoff.take(chunk))
        for (Prepared& w : chunk) {
          if (!w.new_dictionary.empty()) new_dictionary = writer->add_raw_dictionary(w.new_dictionary);
          const PackedRaw raw = w.dict == 0 ? PackedRaw{w.owned.raw()}
                                            : PackedRaw{w.dict == RawPacker::kNewDictionary ? new_dictionary : w.dict, w.packed};
          writer->put(w.owned.finding(), raw, w.versions, batch);
        }
    } catch (...) {
      handoff.cancel();
      helper.join();
      throw;
    }
    helper.join();
    if (helper_error) std::rethrow_exception(helper_error);
    writer->commit();
    index_.clear();
    pending_.clear();
    versions_.clear();
    quarantined_.clear();
    quarantine_bytes_ = 0;
    total_.findings += batch.findings;
    total_.findings_new += batch.findings_new;
    total_.findings_updated += batch.findings_updated;
    total_.stale += batch.stale;
    total_.quarantined += batch.quarantined;
    if (options_.on_commit) options_.on_commit(source_, batch, total_);
  }

  struct QuarantinedCopy {
    std::string source;
    std::uint64_t line;
    std::string reason;
    std::string record;
    std::uint64_t record_bytes;
  };

  // A winner re-read from the file, parsed and its JSON compressed: only winners are ever
  // materialized.
  struct Prepared {
    OwnedFinding owned;
    std::vector<Version> versions;
    bool found = false;
    std::int64_t dict = 0;       // of `packed`; kNewDictionary: the one trained in this batch
    std::string packed;
    std::string new_dictionary;  // trained just before this finding: the writer stores it first
  };

  class One final : public FindingHandler {
   public:
    explicit One(Prepared& into) : into_(into) {}
    void on_finding(const Finding& f, std::string_view raw, std::uint64_t) override {
      if (!into_.found) into_.owned.assign(f, raw);
      into_.found = true;
    }
    void on_malformed(const RecordError&) override {}

   private:
    Prepared& into_;
  };

  void prepare_winners(const std::vector<std::uint32_t>& order, RawPacker& packer, Handoff<Prepared>& handoff) {
    constexpr std::size_t kChunk = 512;
    std::string buffer;
    AsffReader reader;
    std::vector<Prepared> chunk;
    std::vector<const VersionRow*> rows;
    for (const std::uint32_t i : order) {
      const Pending& p = pending_[i];
      Prepared& w = chunk.emplace_back();
      rows.clear();
      for (std::uint32_t v = p.first; v != kNone; v = versions_[v].next) rows.push_back(&versions_[v]);
      std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->position < b->position; });
      for (const VersionRow* row : rows)
        w.versions.push_back({row->updated_at, row->content, row->state, file_bits_ | row->position});
      One one{w};
      ReadStats stats;
      if (file_.read_at(buffer, p.length, p.offset)) reader.read_document(buffer, source_, 0, one, stats);
      // What is read back must be the very version that won, else the file changed since.
      const VersionRow& winner = versions_[p.winner];
      if (!w.found || !(key_of(w.owned.finding()) == p.key) || w.owned.finding().updated_at != p.updated_at ||
          content_hash(w.owned.finding()) != winner.content)
        throw std::runtime_error(source_ + ": changed while it was being ingested (at byte " +
                                 std::to_string(p.offset) + "); this batch was not stored, ingest the file again");
      packer.pack(w.owned.raw(), w.dict, w.packed, w.new_dictionary);
      if (chunk.size() == kChunk) handoff.give(std::exchange(chunk, {}));
    }
    if (!chunk.empty()) handoff.give(std::move(chunk));
  }

  detail::SpinLock mutex_;  // held for a hash lookup and an append: readers spin, not sleep
  bool failed_ = false;
  bool flush_when_full_ = true;
  Store& store_;
  const IngestOptions& options_;
  const std::string& source_;
  const std::string& plain_;
  ReadOnlyFile file_;
  std::uint64_t file_bits_;
  IngestCounts& total_;
  IdentityIndex index_;
  std::vector<Pending> pending_;
  std::vector<VersionRow> versions_;
  std::vector<QuarantinedCopy> quarantined_;
  std::size_t quarantine_bytes_ = 0;
};

// Parallel readers share out windows of about a batch (a finding is ~2.5 KB, but batches
// may outgrow their limit by one window, so windows stay smaller).
std::uint64_t window_bytes(std::size_t batch_findings) {
  return std::clamp<std::uint64_t>(std::uint64_t{batch_findings} * 256, 4u << 20, 128u << 20);
}

}  // namespace

IngestResult ingest(Store& store, const std::vector<std::string>& paths, const IngestOptions& in) {
  IngestOptions options = in;
  if (!options.received_at) options.received_at = system_now();
  if (!options.ingest_id) options.ingest_id = static_cast<std::int64_t>(std::random_device{}() >> 1) << 32 |
                                             std::random_device{}();
  IngestResult result;
  std::error_code ignored;
  for (std::uint64_t index = 0; index < paths.size(); ++index) {
    const std::string& path = paths[index];
    std::string plain = path;
    fs::path spooled;
    if (!plain_file(path)) {
      spooled = options.spool_dir / ("spool-" + std::to_string(getpid()) + ".ndjson");
      if (Status s = spool(path, spooled); !s) {
        fs::remove(spooled, ignored);
        result.status = s;
        return result;
      }
      plain = spooled.string();
    }
    Batcher batcher{store, options, path, plain, index, result.counts};  // keeps a reference to `path`
    ReadStats stats;
    Status s = Status::success();
    try {
      std::uint64_t size = 0;
      if (options.threads > 1 && AsffReader::splittable(plain, size)) {
        batcher.flush_between_windows();
        std::uint64_t lines = 0;
        const std::uint64_t window = window_bytes(options.batch_findings);
        for (std::uint64_t begin = 0; begin < size && s; begin += window) {
          std::uint64_t covered = 0;
          s = AsffReader::read_range_parallel(
              plain, begin, std::min(size, begin + window), lines, options.threads,
              [&](unsigned) -> FindingHandler& { return batcher; }, stats, options.max_record_bytes, covered);
          lines += covered;
          if (batcher.full()) batcher.flush();
        }
      } else {
        AsffReader reader{options.max_record_bytes};
        s = reader.read_file(plain, batcher, stats);
      }
      batcher.flush();  // also after a read error: what was read is kept
    } catch (const std::exception& e) {  // the store failed (disk full, read-only…)
      s = Status::failure(e.what());
    }
    result.counts.events += stats.records;
    if (!spooled.empty()) fs::remove(spooled, ignored);
    if (!s) {
      result.status = Status::failure(s.message());
      return result;
    }
  }
  if (options.retention.count() > 0) {
    try {
      result.pruned = store.prune_observations(options.received_at - options.retention.count());
    } catch (const std::exception& e) {  // what was committed stays; say why pruning did not
      result.status = Status::failure(std::string{"pruning old observations: "} + e.what());
    }
  }
  return result;
}

}  // namespace cspm::store
