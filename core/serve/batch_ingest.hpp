// Storing delivered batches (Firehose, NDJSON POST) before they are acknowledged.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "../store/ingestor.hpp"
#include "firehose_request.hpp"

namespace cspm::core {

/// One delivered batch: JSON documents (EventBridge events or findings, one text each) and
/// the records that could not be decoded, under `source` (e.g. "firehose <requestId>").
struct PendingBatch {
  std::string source;
  std::vector<std::string> documents;
  std::vector<FirehoseBadRecord> bad;
  /// A document that is not valid JSON: where it was in `documents` before screening, why,
  /// its first few kB and its size.
  struct Invalid {
    std::size_t index = 0;
    std::string reason, excerpt;
    std::size_t bytes = 0;
  };
  std::vector<Invalid> invalid;
};

/// Moves the documents that are not valid JSON text (broken, binary, a gzip member) out of
/// `documents` into `invalid`, to be quarantined under the batch's own source and position.
/// Meant for the receiving thread, so that screening runs in parallel with the writer.
void screen_documents(PendingBatch& batch);

/// Commits screened batches in one transaction through the same ingest as files (one spool
/// file for all): quarantine first, then the documents. Only a successful result may be
/// acknowledged to the senders; a retry of a batch partly committed is harmless (ingest is
/// idempotent, repeated quarantine records are counted, not duplicated). The counts are the
/// group's. Writes are serialised in this process, so one `store` object may serve every
/// thread that calls this. The spool file lives in `options.spool_dir`/spool and is removed.
store::IngestResult ingest_batches(store::Store& store, const std::vector<PendingBatch*>& batches,
                                   const store::IngestOptions& options);

/// One batch on its own (screened here).
store::IngestResult ingest_batch(store::Store& store, std::string_view source, const std::vector<std::string>& documents,
                                 const std::vector<FirehoseBadRecord>& bad, const store::IngestOptions& options);

/// Removes spool files a crashed daemon left behind (at start, before any ingest).
void sweep_spool(const std::filesystem::path& spool_dir);

}  // namespace cspm::core
