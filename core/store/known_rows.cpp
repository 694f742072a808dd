// KnownRows: forgotten whenever anything but this connection's writers may have changed the rows.
#include "known_rows.hpp"

namespace cspm::store {

void KnownRows::begin(Database& db) {
  auto version = db.prepare("PRAGMA data_version");
  version.step();
  const std::int64_t now = version.integer(0);
  if (now != data_version_ || db.total_changes() != changes_) clear();
  data_version_ = now;
}

void KnownRows::put(const IdentityKey& key, const KnownRow& row) {
  if (rows_.size() >= capacity_) clear();
  bool inserted = false;
  const std::uint32_t at = index_.find_or_insert(key, static_cast<std::uint32_t>(rows_.size()), inserted);
  if (inserted) rows_.push_back(row);
  else rows_[at] = row;
}

void KnownRows::clear() {
  index_ = {};
  rows_ = {};
}

}  // namespace cspm::store
