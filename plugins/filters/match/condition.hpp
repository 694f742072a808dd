// One `where.<field>` condition of the match filter, parsed once and tested per finding.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
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
  /// A list of values looked up by hash: an allow-list of accounts can be long, and every
  /// finding of the day is tested against it.
  struct ValueSet {
    struct Hash {
      using is_transparent = void;
      std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    ValueSet() = default;
    explicit ValueSet(const std::vector<std::string>& list) : values(list.begin(), list.end()) {}
    bool contains(std::string_view v) const { return values.find(v) != values.end(); }
    bool empty() const { return values.empty(); }

    std::unordered_set<std::string, Hash, std::equal_to<>> values;
  };

  FindingField field{};
  std::string name;
  std::optional<ValueSet> in;
  ValueSet not_in;
  std::optional<std::chrono::milliseconds> within;  ///< [now - within, now]
  bool or_missing = false;

  bool matches(const Finding& finding, Timestamp now) const;
};

/// Parses `where`; problems go to `diags` with paths like "where.severity.in".
std::vector<Condition> parse_conditions(const Options& where, Diagnostics& diags);

}  // namespace cspm::plugins::match
