// Ingest of documents received in memory (the daemon's HTTP batches): each batch is parsed
// on the thread that received it; one writer then commits several in one transaction.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "identity_key.hpp"
#include "ingestor.hpp"
#include "owned_finding.hpp"
#include "store.hpp"

namespace cspm::store {

/// A compression dictionary the store holds: receiving threads pack with it.
struct RawDictionary {
  std::int64_t id = 0;
  std::string bytes;
};

/// What a received finding version holds to be stored: its fields and its JSON.
struct ReceivedBody {
  OwnedFinding finding;   ///< without its raw JSON when that is packed
  std::int64_t dict = 0;  ///< of `packed`; 0: finding.raw() is stored as text
  std::string packed;
};

/// One finding version of a received batch.
struct ReceivedFinding {
  IdentityKey key;
  Version version;  ///< position: its place in the batch
  /// Null once a newer version of the same finding, to be committed with it, superseded it:
  /// a commit needs only the key and version of the versions that do not win.
  std::unique_ptr<ReceivedBody> body;
};

/// A record of a received batch that goes to the quarantine instead.
struct RejectedRecord {
  std::uint64_t line = 0;  ///< the document's place in the batch, from 1
  std::string reason;
  std::string record;      ///< its text, cut at 64 KiB
  std::uint64_t record_bytes = 0;
};

struct ParsedBatch {
  std::string source;       ///< what the quarantine names, e.g. "firehose <requestId>"
  std::uint64_t events = 0; ///< records read (the rejected ones included)
  std::vector<ReceivedFinding> findings;
  std::vector<RejectedRecord> rejected;
};

/// Parses `documents` (each an event, a finding, or an array or Findings document of them;
/// document i is line i + 1 of `source`). Malformed records and findings are rejected with
/// the reader's reason. With a `dictionary`, each finding's JSON is packed here, so that
/// the writer only writes.
ParsedBatch parse_batch(std::string source, std::span<const std::string> documents,
                        std::shared_ptr<const RawDictionary> dictionary, std::size_t max_record_bytes = 8u << 20);

/// Commits parsed batches; one per store, called by one thread at a time.
class BatchCommitter {
 public:
  /// Stores `batches` in one transaction: their rejected records in the quarantine, then
  /// each identity's versions from all of them in arrival order (batch, then document), the
  /// newest (the later one on a tie) as its state; only that one needs its body. Throws
  /// nothing: a failure is the result's status, and then nothing of the batches is stored.
  /// Counts are the group's.
  IngestResult commit(Store& store, std::span<ParsedBatch* const> batches, Timestamp received_at);

  /// The dictionary receivers should pack with: known once a commit found or trained one.
  std::shared_ptr<const RawDictionary> dictionary() const;

 private:
  IngestCounts write(Store& store, std::span<ParsedBatch* const> batches, Timestamp received_at);

  std::vector<std::string> samples_;  // findings stored as text so far, to train a dictionary on
  mutable std::mutex mutex_;
  std::shared_ptr<const RawDictionary> dictionary_;
};

}  // namespace cspm::store
