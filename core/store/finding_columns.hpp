// How a Finding maps onto the findings table's columns, both ways.
#pragma once
#include <string>
#include <string_view>

#include <cspm/finding.hpp>

#include "sqlite.hpp"
#include "stored_findings.hpp"
#include "text_dictionary.hpp"

namespace cspm::store {

/// The finding_states columns in bind/read order, comma separated, for SQL text.
std::string_view finding_columns() noexcept;
/// Their number.
int finding_column_count() noexcept;
/// "col = ?N, …" for an UPDATE, numbering from `first`.
std::string finding_assignments(int first);

/// The `findings` view: finding_states with its texts spelled out (what queries read).
std::string findings_view_sql();

/// Binds `f`'s columns to parameters first … first + count - 1, shared text as ids.
/// `resources` is scratch space that must outlive the statement's next step.
void bind_finding(Statement& stmt, int first, const Finding& f, std::string& resources, TextIds& texts);

/// Reads the columns starting at `first` into `f`, with views into `into` (its texts and
/// its storage).
void read_finding(const Statement& stmt, int first, Finding& f, StoredFindings& into);

/// Resources as JSON: [{"Type": …, "Id": …, "Region": …, "Partition": …}], absent keys omitted.
std::string encode_resources(const std::vector<Resource>& resources);
/// The inverse, for what encode_resources wrote; views point into `json`. False if malformed.
bool decode_resources(std::string_view json, std::vector<Resource>& out, std::string& unescaped);

}  // namespace cspm::store
