// BatchWriter's record of one batch, shared by its log and fold sides.
#pragma once
#include "batch_writer.hpp"

namespace cspm::core {

struct BatchWriter::Item {
  store::ParsedBatch batch;
  std::string entry;        // the batch's log entry, until logged
  bool solo = false;        // NDJSON: not logged, committed alone, answered after that
  std::int64_t seq = 0;     // in the ingest log, once logged
  Timestamp received_at = 0;
  Clock::time_point logged_at{};
  std::uint64_t order = 0;  // place in to_fold_
  std::uint64_t segment = 0;  // batches of a segment fold together (their bodies were dropped against each other's)
  std::size_t versions = 0;   // its findings, as counted in fold_findings_
  std::size_t held = 0;       // of them, with their bodies
  bool thinned = false;       // a body was dropped: it is read again from the log to fold apart from its segment
  bool folded = false;      // stored (or, solo, answered): leaves to_fold_
  bool refused = false;     // a fold of it failed (it stays, and is retried)
  bool done = false;        // the caller may return
  store::IngestResult result;
};

}  // namespace cspm::core
