// Storing delivered batches (Firehose, NDJSON POST) before they are acknowledged.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "../store/memory_ingest.hpp"
#include "firehose_request.hpp"

namespace cspm::core {

/// One delivered batch: JSON documents (EventBridge events or findings, one text each) and
/// the records that could not be decoded, under `source` (e.g. "firehose <requestId>").
struct PendingBatch {
  std::string source;
  std::vector<std::string> documents;
  std::vector<FirehoseBadRecord> bad;
};

/// Parses `batch` on the calling thread (the receiving one, in parallel with the writer):
/// its findings, packed with `dictionary` when given, and its bad records and malformed
/// documents for the quarantine, each under the batch's source and position.
store::ParsedBatch parse_pending(const PendingBatch& batch, std::shared_ptr<const store::RawDictionary> dictionary);

/// One batch parsed and committed on its own. Only a successful result may be acknowledged
/// to the sender; a retry of a batch is harmless (ingest is idempotent, repeated quarantine
/// records are counted, not duplicated).
store::IngestResult ingest_batch(store::Store& store, std::string_view source, const std::vector<std::string>& documents,
                                 const std::vector<FirehoseBadRecord>& bad, Timestamp received_at = 0);

/// Removes the spool files that earlier versions (which spooled each batch to disk) may have
/// left behind after a crash (at start, before any ingest).
void sweep_spool(const std::filesystem::path& spool_dir);

}  // namespace cspm::core
