// The store's schema and its migrations, versioned with PRAGMA user_version.
#pragma once
#include "sqlite.hpp"

namespace cspm::store {

/// The schema version this build writes.
int current_schema_version() noexcept;

/// Brings `db` up to `target` (default: current) one migration at a time, each in its own
/// transaction, so a store written by an older build opens in a newer one. A store from a
/// newer build is refused (SqliteError with an explanation) rather than misread.
void migrate(Database& db, int target = 0);

/// The version recorded in the file (0 for a new, empty database).
int schema_version(Database& db);

}  // namespace cspm::store
