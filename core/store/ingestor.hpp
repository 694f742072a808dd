// `cspmd ingest`: files in, latest state per identity plus observations out, in committed batches.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <cspm/status.hpp>

#include "store.hpp"

namespace cspm::store {

struct IngestOptions {
  /// Finding versions per committed batch. Versions of one identity inside a batch are
  /// coalesced, so only the newest one's raw JSON is written.
  std::size_t batch_findings = 500'000;
  std::size_t max_record_bytes = 8u << 20;
  unsigned threads = 2;  ///< parsers for large plain NDJSON files (the store writer is one more)
  Timestamp received_at = 0;                      ///< 0: the system clock
  std::int64_t ingest_id = 0;                     ///< 0: a random one (see Store::begin_write)
  std::chrono::milliseconds retention{30LL * 24 * 3600 * 1000};  ///< of observations; 0 keeps all
  std::filesystem::path spool_dir;                ///< for stdin and gzip input (made seekable)
  /// Called after each commit with that batch's counts and the running total.
  std::function<void(const std::string& source, const IngestCounts& batch, const IngestCounts& total)> on_commit;
  /// Called for each quarantined record (the log shows the first few).
  std::function<void(const QuarantineRecord&)> on_quarantine;
};

struct IngestResult {
  Status status = Status::success();
  IngestCounts counts;
  std::uint64_t pruned = 0;  ///< observations removed by retention
};

/// Loads `paths` ("-" is stdin) into `store`. A failing file stops the ingest; batches
/// committed before it stay committed (and were reported through on_commit).
IngestResult ingest(Store& store, const std::vector<std::string>& paths, const IngestOptions& options);

}  // namespace cspm::store
