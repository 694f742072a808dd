// raw_json(findings.row): the SQL function that gives back a stored finding's JSON.
#pragma once
#include "sqlite.hpp"

namespace cspm::store {

/// Registers raw_json() on `db` (decompressing with the store's dictionaries as needed).
/// NULL for a finding without stored JSON.
void register_raw_json(Database& db);

}  // namespace cspm::store
