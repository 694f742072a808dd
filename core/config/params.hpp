// Pipeline parameters: the [params] table, command-line overrides and { param = "…" }.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <cspm/diagnostics.hpp>

#include "pipeline_spec.hpp"

namespace cspm::core {

struct Param {
  nlohmann::json value;
  Location location;
  bool from_command_line = false;
};

using Params = std::map<std::string, Param>;

/// Reads [params] (any TOML values) into `params`.
void read_params(const toml::table& table, const std::string& file, Params& params);

/// Where a TOML node or key starts, in `file`.
Location where(const toml::source_region& region, const std::string& file);

/// Applies `NAME=VALUE` overrides; the value is converted to the type of the declared
/// parameter (lists split on commas). Unknown names are errors with a suggestion.
void apply_overrides(const std::vector<std::pair<std::string, std::string>>& overrides,
                     Params& params, Diagnostics& diags);

/// A TOML value as JSON (dates and times as their TOML text).
nlohmann::json toml_to_json(const toml::node& node);

}  // namespace cspm::core
