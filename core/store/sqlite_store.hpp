// The SQLite (WAL) implementation of the store: one database file in the data directory.
#pragma once
#include <filesystem>
#include <memory>

#include "known_rows.hpp"
#include "sqlite.hpp"
#include "sqlite_ledger.hpp"
#include "text_dictionary.hpp"
#include "store.hpp"

namespace cspm::store {

/// The database file inside a data directory.
std::filesystem::path store_file(const std::filesystem::path& data_dir);

/// Opens `file` (in data_dir) for writing, creating the directory and the file if needed.
Database open_in_data_dir(const std::filesystem::path& data_dir, const std::filesystem::path& file);

class SqliteStore final : public Store {
 public:
  /// Opens (creating the directory and the file if needed) and migrates the store.
  /// Throws SqliteError with a readable message (unwritable directory, full disk, a store
  /// from a newer cspmd…).
  explicit SqliteStore(const std::filesystem::path& data_dir);
  ~SqliteStore() override;

  std::unique_ptr<StoreWriter> begin_write(Timestamp received_at, std::int64_t ingest_id) override;
  std::uint64_t prune_observations(Timestamp before) override;
  std::uint64_t select(const StoreSelection& selection, std::optional<std::uint64_t> changed_after,
                       StoredFindings& into) override;
  std::int64_t begin_run(std::string_view pipeline, Timestamp started_at, Timestamp now,
                         bool dry_run) override;
  void finish_run(std::int64_t id, bool success, Timestamp finished_at,
                  std::optional<std::uint64_t> watermark, std::string_view counts_json,
                  std::string_view error) override;
  std::optional<std::uint64_t> last_success(std::string_view pipeline) override;
  std::vector<RunRecord> runs(std::string_view pipeline, std::size_t limit) override;

  TicketLedger& ledger() noexcept override { return ledger_; }

  Database& database() noexcept { return db_; }

 private:
  Database db_;
  SqliteLedger ledger_{db_};  // after db_: it keeps a reference
  TextIds texts_{db_};        // kept across write transactions (one writer at a time)
  KnownRows known_;           // likewise
};

}  // namespace cspm::store
