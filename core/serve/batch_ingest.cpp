// Delivered batches into the in-memory ingest: decoding failures join the quarantine.
#include "batch_ingest.hpp"

namespace cspm::core {

store::ParsedBatch parse_pending(const PendingBatch& batch, std::shared_ptr<const store::RawDictionary> dictionary) {
  store::ParsedBatch parsed = store::parse_batch(batch.source, batch.documents, std::move(dictionary));
  for (const auto& r : batch.bad)
    parsed.rejected.push_back({r.index + 1, "firehose record " + std::to_string(r.index) + ": " + r.reason, r.data, r.data.size()});
  return parsed;
}

store::IngestResult ingest_batch(store::Store& store, std::string_view source, const std::vector<std::string>& documents,
                                 const std::vector<FirehoseBadRecord>& bad, Timestamp received_at) {
  store::ParsedBatch parsed = parse_pending({std::string{source}, documents, bad}, nullptr);
  store::BatchCommitter committer;
  store::ParsedBatch* batches[] = {&parsed};
  return committer.commit(store, batches, received_at ? received_at : system_now());
}

void sweep_spool(const std::filesystem::path& spool_dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(spool_dir / "spool", ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind("batch-", 0) == 0) std::filesystem::remove(it->path(), ec);
}

}  // namespace cspm::core
