// The writer's memory of each finding's row and the version it holds, so that a write
// need not look the row up first.
#pragma once
#include <cstdint>
#include <vector>

#include <cspm/time.hpp>

#include "identity_key.hpp"
#include "sqlite.hpp"

namespace cspm::store {

/// What finding_states holds for one finding, as the writer last wrote or read it.
struct KnownRow {
  std::int64_t row = 0;
  Timestamp updated_at = 0;
  std::uint64_t content = 0;
  std::int64_t ingest = 0;
  std::uint64_t position = 0;
};

/// Lives as long as its store connection, like TextIds, and serves each write transaction
/// in turn: the writers of this connection keep it true. begin() forgets everything if
/// anything else may have changed rows since: another connection's commit (another
/// process's ingest), seen through PRAGMA data_version, or a write on this connection
/// between transactions, seen through its count of changes. At `capacity` findings it also
/// starts over: a month's store need not be held whole.
class KnownRows {
 public:
  explicit KnownRows(std::size_t capacity = 500'000) : capacity_(capacity) {}
  /// Inside the write transaction, before any find().
  void begin(Database& db);
  /// After the transaction committed.
  void commit(Database& db) { changes_ = db.total_changes(); }
  /// The transaction did not commit: what it put may not be true.
  void rollback() { clear(); }
  const KnownRow* find(const IdentityKey& key) {
    const std::uint32_t at = index_.find(key);
    return at == IdentityIndex::kNone ? nullptr : &rows_[at];
  }
  void put(const IdentityKey& key, const KnownRow& row);

 private:
  void clear();
  std::size_t capacity_;
  std::int64_t data_version_ = -1;
  std::int64_t changes_ = -1;
  IdentityIndex index_;
  std::vector<KnownRow> rows_;
};

}  // namespace cspm::store
