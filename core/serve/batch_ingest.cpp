// In-memory batches through the file ingest: screened, spooled as NDJSON, ingested in one
// transaction, removed.
#include "batch_ingest.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <simdjson.h>

#include <unistd.h>

namespace cspm::core {
namespace {

namespace fs = std::filesystem;

// The spool file of one batch: a unique name (mkstemp: no two workers, processes or
// containers sharing the directory collide), removed however the ingest ends.
class SpoolFile {
 public:
  explicit SpoolFile(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::string name = (dir / "batch-XXXXXX.ndjson").string();
    fd_ = ::mkstemps(name.data(), 7);
    if (fd_ >= 0) path_ = name;
    else error_ = std::strerror(errno);
  }
  ~SpoolFile() {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ignored;
    if (!path_.empty()) fs::remove(path_, ignored);
  }
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  bool write_lines(const std::vector<std::string>& documents) {
    std::string chunk;
    for (const auto& d : documents) {
      chunk += d;
      chunk += '\n';
      if (chunk.size() >= (1u << 20) && !flush(chunk)) return false;
    }
    return flush(chunk);
  }
  const fs::path& path() const noexcept { return path_; }
  const std::string& error() const noexcept { return error_; }

 private:
  bool flush(std::string& chunk) {
    for (std::size_t done = 0; done < chunk.size();) {
      const ssize_t n = ::write(fd_, chunk.data() + done, chunk.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return error_ = std::strerror(errno), false;
      done += static_cast<std::size_t>(n);
    }
    chunk.clear();
    return true;
  }
  int fd_ = -1;
  fs::path path_;
  std::string error_;
};

// One batch writer at a time in this process. SQLite admits one writer anyway, and a
// second connection waiting in its busy handler sleeps in steps of up to 100 ms: queueing
// here instead keeps the store busy while the other workers decode their requests.
std::mutex& writer_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void screen_documents(PendingBatch& batch) {
  thread_local simdjson::dom::parser parser;
  std::vector<std::string> kept;
  kept.reserve(batch.documents.size());
  for (std::size_t i = 0; i < batch.documents.size(); ++i) {
    std::string& d = batch.documents[i];
    simdjson::dom::element ignored;
    const auto error = parser.parse(d.data(), d.size(), true).get(ignored);
    if (error == simdjson::SUCCESS || error == simdjson::CAPACITY) {  // too large: the ingest says so
      kept.push_back(std::move(d));
      continue;
    }
    batch.invalid.push_back({i, "document " + std::to_string(i + 1) + " is not JSON text: " + simdjson::error_message(error),
                             d.substr(0, 4096), d.size()});
  }
  batch.documents = std::move(kept);
}

store::IngestResult ingest_batches(store::Store& store, const std::vector<PendingBatch*>& batches,
                                   const store::IngestOptions& options) {
  store::IngestResult result;
  std::size_t documents = 0;
  for (const auto* b : batches) documents += b->documents.size();
  SpoolFile spool(options.spool_dir / "spool");
  if (documents && spool.path().empty()) {
    result.status = Status::failure("cannot spool the batch: " + spool.error());
    return result;
  }
  for (const auto* b : batches)
    if (!spool.write_lines(b->documents)) {
      result.status = Status::failure("cannot spool the batch: " + spool.error());
      return result;
    }
  std::lock_guard writer(writer_mutex());
  try {
    const bool any_bad = std::any_of(batches.begin(), batches.end(), [](const auto* b) { return !b->bad.empty() || !b->invalid.empty(); });
    if (any_bad) {
      auto w = store.begin_write(options.received_at ? options.received_at : system_now(), options.ingest_id);
      for (const auto* b : batches) {
        for (const auto& r : b->bad)
          w->quarantine({b->source, r.index + 1, "firehose record " + std::to_string(r.index) + ": " + r.reason, r.data,
                         r.data.size()}, result.counts);
        for (const auto& d : b->invalid) w->quarantine({b->source, d.index + 1, d.reason, d.excerpt, d.bytes}, result.counts);
      }
      w->commit();
    }
  } catch (const std::exception& e) {
    result.status = Status::failure(std::string{"quarantine: "} + e.what());
    return result;
  }
  for (const auto* b : batches) result.counts.events += b->invalid.size();
  if (!documents) return result;
  store::IngestOptions o = options;
  o.threads = 1;  // batches are small; the daemon ingests several at once instead
  o.retention = std::chrono::milliseconds{0};  // pruning is the daemon's periodic job, not each batch's
  // A shared commit names its batches (a document's line is then its place in the group).
  o.source_label = batches.front()->source;
  for (std::size_t k = 1; k < batches.size() && o.source_label.size() < 200; ++k) o.source_label += " + " + batches[k]->source;
  const store::IngestCounts before = result.counts;
  result = store::ingest(store, {spool.path().string()}, o);
  result.counts.quarantined += before.quarantined;
  result.counts.events += before.events;
  return result;
}

store::IngestResult ingest_batch(store::Store& store, std::string_view source, const std::vector<std::string>& documents,
                                 const std::vector<FirehoseBadRecord>& bad, const store::IngestOptions& options) {
  PendingBatch batch{std::string{source}, documents, bad, {}};
  screen_documents(batch);
  return ingest_batches(store, {&batch}, options);
}

void sweep_spool(const std::filesystem::path& spool_dir) {
  std::error_code ec;
  for (fs::directory_iterator it(spool_dir / "spool", ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind("batch-", 0) == 0) fs::remove(it->path(), ec);
}

}  // namespace cspm::core
