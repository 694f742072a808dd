// How a Finding maps onto the findings table's columns, both ways.
#pragma once
#include <string>
#include <string_view>

#include <cspm/finding.hpp>

#include "sqlite.hpp"

namespace cspm::store {

/// The finding columns in bind/read order, comma separated, for SQL text.
std::string_view finding_columns() noexcept;
/// Their number.
int finding_column_count() noexcept;
/// "col = ?N, …" for an UPDATE, numbering from `first`.
std::string finding_assignments(int first);

/// Binds `f`'s columns to parameters first … first + count - 1. `resources` is scratch
/// space for the encoded Resources and must outlive the statement's next step.
void bind_finding(Statement& stmt, int first, const Finding& f, std::string& resources);

/// Reads the columns starting at `first` into `f`: views into the statement's current row
/// (valid until its next step, or the next read_finding on this thread).
void read_finding(const Statement& stmt, int first, Finding& f);

/// Resources as JSON: [{"Type": …, "Id": …, "Region": …, "Partition": …}], absent keys omitted.
std::string encode_resources(const std::vector<Resource>& resources);
/// The inverse, for what encode_resources wrote; views point into `json`. False if malformed.
bool decode_resources(std::string_view json, std::vector<Resource>& out, std::string& unescaped);

}  // namespace cspm::store
