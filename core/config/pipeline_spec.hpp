// A pipeline file as parsed: components, their options and where each came from.
#pragma once
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cspm::core {

struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Role { source, transform, sink };

/// "sources", "transforms", "sinks": the table a component is declared in.
const char* role_table(Role role) noexcept;

/// One `[sources.x]`, `[transforms.x]` or `[sinks.x]` table.
struct ComponentSpec {
  std::string id;
  Role role = Role::transform;
  std::string type;
  Location location;       ///< the component's table header
  Location type_location;
  std::vector<std::string> inputs;
  std::vector<Location> input_locations;
  nlohmann::json options = nlohmann::json::object();  ///< all but type/inputs, params resolved
  std::map<std::string, Location> option_locations;  ///< option path ("where.severity") → where
  std::set<std::string> command_line_options;         ///< options set from the command line

  /// Dotted path of the component ("transforms.relevant"), optionally with an option path.
  std::string path(const std::string& option = {}) const;
  /// Where option `option` (or its closest enclosing table) was written.
  Location locate(const std::string& option) const;
};

struct PipelineSpec {
  std::string id;
  std::string description;
  std::filesystem::path file;   ///< absolute
  std::string source_name;      ///< the file as the user named it, for messages
  std::string schedule_cron;      ///< empty: run only on demand
  std::string schedule_timezone;  ///< IANA name, default UTC
  std::vector<ComponentSpec> components;

  std::filesystem::path directory() const { return file.parent_path(); }
};

}  // namespace cspm::core
