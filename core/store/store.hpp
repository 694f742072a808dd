// The store behind cspmd: what ingest writes and what pipelines and runs read (backend-neutral).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <cspm/finding.hpp>
#include <cspm/finding_store.hpp>
#include <cspm/ticket_ledger.hpp>

#include "stored_findings.hpp"

namespace cspm::store {

/// One version of a finding as received (an observation), in arrival order.
struct Version {
  Timestamp updated_at = 0;
  std::uint64_t content = 0;  ///< content_hash() of that version
  std::uint16_t state = 0;    ///< observation_state() of that version
  std::uint64_t position = 0; ///< in this ingest's input: later input wins UpdatedAt ties
};

/// What an ingest did, counted per finding version the way an event-by-event loader would.
struct IngestCounts {
  std::uint64_t events = 0;            ///< records read (events, lines, array elements)
  std::uint64_t findings = 0;          ///< finding versions received
  std::uint64_t findings_new = 0;      ///< identities stored for the first time
  std::uint64_t findings_updated = 0;  ///< versions newer than the state they replaced
  std::uint64_t stale = 0;             ///< versions no newer than the state already held
  std::uint64_t quarantined = 0;       ///< records kept in quarantine instead
};

/// A record that could not be stored as a finding.
struct QuarantineRecord {
  std::string_view source;
  std::uint64_t line = 0;
  std::string_view reason;
  std::string_view record;  ///< its text (may be empty for an oversized record)
  std::uint64_t record_bytes = 0;
};

/// A finding's JSON as stored: the text itself (dict 0), or compressed with dictionary `dict`.
struct PackedRaw {
  PackedRaw(std::string_view text) : bytes(text) {}  // NOLINT: text is the common case in tests
  PackedRaw(std::int64_t dictionary, std::string_view packed) : dict(dictionary), bytes(packed) {}
  std::int64_t dict = 0;
  std::string_view bytes;
};

/// One write transaction. Nothing is visible to readers, or durable, before commit().
class StoreWriter {
 public:
  virtual ~StoreWriter() = default;
  /// Stores the versions of one identity received in this batch. `latest` (with `raw`, its
  /// JSON) is the newest of them; it replaces the stored state only if it is newer.
  virtual void put(const Finding& latest, PackedRaw raw, std::span<const Version> versions,
                   IngestCounts& counts) = 0;
  /// The newest dictionary for compressing raw JSON (id and bytes), if the store has one.
  virtual std::optional<std::pair<std::int64_t, std::string>> raw_dictionary() = 0;
  /// Keeps a newly trained dictionary; returns the id PackedRaw::dict refers to.
  virtual std::int64_t add_raw_dictionary(std::string_view dictionary) = 0;
  virtual void quarantine(const QuarantineRecord& record, IngestCounts& counts) = 0;
  virtual void commit() = 0;
};

/// A pipeline run as recorded in the store.
struct RunRecord {
  std::int64_t id = 0;
  std::string pipeline;
  Timestamp started_at = 0, finished_at = 0, now = 0;
  bool dry_run = false;
  std::string outcome;  ///< running | success | failure
  std::optional<std::uint64_t> watermark;
  std::string counts_json, error;
};

class Store {
 public:
  virtual ~Store() = default;

  /// Starts a write transaction; `received_at` stamps first/last seen. Versions with equal
  /// UpdatedAt and other content are ordered by position within one ingest (`ingest_id`);
  /// across ingests an equal UpdatedAt never replaces a stored state, so re-ingesting
  /// anything is a no-op whatever the batches (Security Hub bumps UpdatedAt on every change).
  virtual std::unique_ptr<StoreWriter> begin_write(Timestamp received_at, std::int64_t ingest_id) = 0;
  /// Deletes observations of versions updated before `before`; returns how many.
  virtual std::uint64_t prune_observations(Timestamp before) = 0;

  /// Latest states per `selection` (see FindingStore), appended to `into`. Returns the
  /// snapshot's change position (the watermark a run that read it may record).
  virtual std::uint64_t select(const StoreSelection& selection,
                               std::optional<std::uint64_t> changed_after, StoredFindings& into) = 0;

  virtual std::int64_t begin_run(std::string_view pipeline, Timestamp started_at, Timestamp now,
                                 bool dry_run) = 0;
  virtual void finish_run(std::int64_t id, bool success, Timestamp finished_at,
                          std::optional<std::uint64_t> watermark, std::string_view counts_json,
                          std::string_view error) = 0;
  /// The watermark of the newest successful, non-dry run of `pipeline`.
  virtual std::optional<std::uint64_t> last_success(std::string_view pipeline) = 0;
  virtual std::vector<RunRecord> runs(std::string_view pipeline, std::size_t limit) = 0;

  /// The ticket ledger kept in this store.
  virtual TicketLedger& ledger() noexcept = 0;
};

}  // namespace cspm::store
