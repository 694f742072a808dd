// Typed, self-documenting stage options (the Fluent Bit config-map idea).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cspm {

/// The value types an option can take in a pipeline file.
enum class OptionType {
  string,       ///< "text"
  integer,      ///< 42
  boolean,      ///< true
  duration,     ///< "24h" (checked with parse_duration)
  string_list,  ///< ["a", "b"] (a single string is accepted as a one-element list)
  path,         ///< "owners.toml", resolved against the pipeline file's directory
  path_list,    ///< ["a.ndjson", "b.ndjson.gz"], each resolved like `path`
  table,        ///< free-form table checked by the factory's validate()
  secret,       ///< { env = "…" } | { file = "…" } | { credential = "…" }, never a literal
};

std::string_view option_type_name(OptionType type) noexcept;

/// One option: name, type, default, documentation.
struct OptionSpec {
  std::string name;
  OptionType type = OptionType::string;
  bool required = false;
  nlohmann::json default_value;        ///< null = no default
  std::string help;
  std::vector<std::string> choices;    ///< allowed values for strings (empty = any)
};

using OptionSchema = std::vector<OptionSpec>;

/// A stage's options after validation: every schema option is present (defaults filled in),
/// paths are absolute, parameter references are resolved. Plain JSON so it crosses the
/// plugin boundary without TOML types.
using Options = nlohmann::json;

}  // namespace cspm
