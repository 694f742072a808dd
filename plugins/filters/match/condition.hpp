// One `where.<field>` condition of the match filter, parsed once and tested per finding.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <cspm/diagnostics.hpp>
#include <cspm/finding.hpp>
#include <cspm/options.hpp>

namespace cspm::plugins::match {

/// `where.severity = ["HIGH"]` (shorthand for `in`), `where.region = "eu-west-1"`, or a
/// table: { in = [...], not_in = [...], within = "24h", or_missing = true }.
/// A finding without the field fails `in` and `within` unless `or_missing` is set; it always
/// passes `not_in`.
struct Condition {
  FindingField field{};
  std::string name;
  std::optional<std::vector<std::string>> in;
  std::vector<std::string> not_in;
  std::optional<std::chrono::milliseconds> within;  ///< [now - within, now]
  bool or_missing = false;

  bool matches(const Finding& finding, Timestamp now) const;
};

/// Parses `where`; problems go to `diags` with paths like "where.severity.in".
std::vector<Condition> parse_conditions(const Options& where, Diagnostics& diags);

}  // namespace cspm::plugins::match
