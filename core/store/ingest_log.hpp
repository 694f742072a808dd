// The daemon's ingest log: received batches appended to their own SQLite file next to the
// store (a cheap commit, so a batch can be acknowledged at once), folded into the store in
// large batches, and then removed.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <cspm/time.hpp>

#include "memory_ingest.hpp"
#include "sqlite.hpp"

namespace cspm::store {

/// data_dir/ingest-log.db
std::filesystem::path ingest_log_file(const std::filesystem::path& data_dir);

/// A batch as one log entry: its rejected records, then each finding's dictionary id and
/// packed JSON (or its text, for dictionary 0), in batch order. Made on the receiving thread,
/// before any body is dropped.
std::string encode_log_entry(const ParsedBatch& batch);

struct LoggedBatch {
  std::int64_t seq = 0;
  Timestamp received_at = 0;
  ParsedBatch batch;  ///< findings parsed again from their JSON (kept as text)
};

/// One connection to the log; one thread at a time. Its own file, not a table of the store,
/// so that appending never waits for the store's writer (SQLite has one per database).
/// Removal follows the store's commit: a crash between the two stores a batch twice,
/// which, like a redelivery, changes no finding (only its count of deliveries).
class IngestLog {
 public:
  /// Opens (creating) data_dir's log. Throws SqliteError.
  explicit IngestLog(const std::filesystem::path& data_dir);

  /// Appends entries and removes folded ones in one durable commit; returns the entries' seqs.
  struct Append {
    std::string_view source;
    std::string_view entry;
  };
  std::vector<std::int64_t> commit(std::span<const Append> appends, Timestamp received_at,
                                   std::span<const std::int64_t> remove);

  /// Up to `limit` entries after `after_seq`, oldest first (what a stop left unfolded). The
  /// dictionaries packed findings name are read from the store (an unreadable store throws
  /// SqliteError); an entry that can never be decoded (its dictionary is not in the store,
  /// its framing is cut) becomes one rejected record, for the quarantine.
  std::vector<LoggedBatch> read(std::int64_t after_seq, std::size_t limit);

  /// Entries waiting to be folded.
  std::int64_t size();

 private:
  std::filesystem::path data_dir_;
  Database db_;
  std::unique_ptr<Database> store_;  // read-only, for dictionaries, opened when an entry needs one
};

}  // namespace cspm::store
