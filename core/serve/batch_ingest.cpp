// An in-memory batch through the file ingest: spooled as NDJSON, then ingested and removed.
#include "batch_ingest.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

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

// A document must be JSON text: anything else (a gzip member inside the batch, binary
// junk) is quarantined here, so the file ingest never takes it for a compressed file.
bool looks_like_json(std::string_view d) {
  const std::size_t i = d.find_first_not_of(" \t\r");
  return i != std::string_view::npos && (d[i] == '{' || d[i] == '[');
}

// One batch writer at a time in this process. SQLite admits one writer anyway, and a
// second connection waiting in its busy handler sleeps in steps of up to 100 ms: queueing
// here instead keeps the store busy while the other workers decode their requests.
std::mutex& writer_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

store::IngestResult ingest_batch(store::Store& store, std::string_view source, const std::vector<std::string>& documents,
                                 const std::vector<FirehoseBadRecord>& bad, const store::IngestOptions& options) {
  store::IngestResult result;
  std::vector<std::string> json_documents;
  std::vector<std::pair<std::size_t, const std::string*>> not_json;
  json_documents.reserve(documents.size());
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (looks_like_json(documents[i])) json_documents.push_back(documents[i]);
    else not_json.emplace_back(i, &documents[i]);
  }
  SpoolFile spool(options.spool_dir / "spool");
  if (!json_documents.empty() && (spool.path().empty() || !spool.write_lines(json_documents))) {
    result.status = Status::failure("cannot spool the batch: " + spool.error());
    return result;
  }
  std::lock_guard writer(writer_mutex());
  try {
    if (!bad.empty() || !not_json.empty()) {
      auto writer = store.begin_write(options.received_at ? options.received_at : system_now(), options.ingest_id);
      for (const auto& r : bad) {
        const std::string reason = "firehose record " + std::to_string(r.index) + ": " + r.reason;
        writer->quarantine({source, r.index + 1, reason, r.data, r.data.size()}, result.counts);
      }
      for (const auto& [i, d] : not_json)
        writer->quarantine({source, i + 1, "document " + std::to_string(i + 1) + " is not JSON text",
                            d->substr(0, 4096), d->size()}, result.counts);
      writer->commit();
    }
  } catch (const std::exception& e) {
    result.status = Status::failure(std::string{"quarantine: "} + e.what());
    return result;
  }
  if (json_documents.empty()) return result;
  store::IngestOptions o = options;
  o.threads = 1;  // batches are small; the daemon ingests several at once instead
  o.retention = std::chrono::milliseconds{0};  // pruning is the daemon's periodic job, not each batch's
  o.source_label = std::string{source};
  const store::IngestCounts quarantined = result.counts;
  result = store::ingest(store, {spool.path().string()}, o);
  result.counts.quarantined += quarantined.quarantined;
  return result;
}

void sweep_spool(const std::filesystem::path& spool_dir) {
  std::error_code ec;
  for (fs::directory_iterator it(spool_dir / "spool", ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind("batch-", 0) == 0) fs::remove(it->path(), ec);
}

}  // namespace cspm::core
