// Paths and locations of pipeline components.
#include "pipeline_spec.hpp"

namespace cspm::core {

const char* role_table(Role role) noexcept {
  switch (role) {
    case Role::source: return "sources";
    case Role::transform: return "transforms";
    case Role::sink: return "sinks";
  }
  return "?";
}

std::string ComponentSpec::path(const std::string& option) const {
  std::string p = std::string{role_table(role)} + "." + id;
  if (!option.empty()) p += "." + option;
  return p;
}

Location ComponentSpec::locate(const std::string& option) const {
  std::string p = option;
  for (;;) {
    if (const auto it = option_locations.find(p); it != option_locations.end()) return it->second;
    const auto dot = p.find_last_of(".[");
    if (dot == std::string::npos) return location;
    p.resize(dot);
  }
}

}  // namespace cspm::core
