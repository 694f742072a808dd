// Storing one delivered batch (Firehose, NDJSON POST) before it is acknowledged.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "../store/ingestor.hpp"
#include "firehose_request.hpp"

namespace cspm::core {

/// Commits `documents` (EventBridge events or findings, one JSON text each) through the same
/// ingest as files, and `bad` records into the quarantine, all under `source` (e.g.
/// "firehose <requestId>"). Only a successful result may be acknowledged to the sender; a
/// sender's retry of a batch partly committed is harmless (ingest is idempotent, repeated
/// quarantine records are counted, not duplicated). A document that is not JSON text is
/// quarantined. The documents pass through a spool file in `options.spool_dir`/spool,
/// removed afterwards. Batches are written one at a time in this process, so one `store`
/// object may serve every thread that calls this.
store::IngestResult ingest_batch(store::Store& store, std::string_view source, const std::vector<std::string>& documents,
                                 const std::vector<FirehoseBadRecord>& bad, const store::IngestOptions& options);

/// Removes spool files a crashed daemon left behind (at start, before any ingest).
void sweep_spool(const std::filesystem::path& spool_dir);

}  // namespace cspm::core
