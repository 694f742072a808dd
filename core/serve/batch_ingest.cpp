// An in-memory batch through the file ingest: spooled as NDJSON, then ingested and removed.
#include "batch_ingest.hpp"

#include <atomic>
#include <fstream>

#include <unistd.h>

namespace cspm::core {

store::IngestResult ingest_batch(store::Store& store, std::string_view source, const std::vector<std::string>& documents,
                                 const std::vector<FirehoseBadRecord>& bad, const store::IngestOptions& options) {
  store::IngestResult result;
  try {
    if (!bad.empty()) {
      auto writer = store.begin_write(options.received_at ? options.received_at : system_now(), options.ingest_id);
      for (const auto& r : bad) {
        const std::string reason = "firehose record " + std::to_string(r.index) + ": " + r.reason;
        writer->quarantine({source, r.index + 1, reason, r.data, r.data.size()}, result.counts);
      }
      writer->commit();
    }
  } catch (const std::exception& e) {
    result.status = Status::failure(std::string{"quarantine: "} + e.what());
    return result;
  }
  if (documents.empty()) return result;

  static std::atomic<unsigned> sequence{0};
  const auto spool = options.spool_dir / ("batch-" + std::to_string(::getpid()) + "-" + std::to_string(++sequence) + ".ndjson");
  {
    std::ofstream out(spool, std::ios::binary | std::ios::trunc);
    for (const auto& d : documents) out << d << '\n';
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(spool, ignored);
      result.status = Status::failure("cannot spool the batch to " + spool.string() + " (disk full?)");
      return result;
    }
  }
  store::IngestOptions o = options;
  o.threads = 1;  // batches are small; the daemon ingests several at once instead
  o.retention = std::chrono::milliseconds{0};  // pruning is the daemon's periodic job, not each batch's
  o.source_label = std::string{source};
  const store::IngestCounts quarantined = result.counts;
  result = store::ingest(store, {spool.string()}, o);
  result.counts.quarantined += quarantined.quarantined;
  std::error_code ignored;
  std::filesystem::remove(spool, ignored);
  return result;
}

}  // namespace cspm::core
