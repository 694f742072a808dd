// Stages created the way cspmd creates them: factory from the real plugin .so, options
// checked against its schema (defaults filled in), then validate() and create().
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "config/schema_check.hpp"
#include "plugins/plugin_host.hpp"

namespace cspm::test {

using core::ComponentSpec;
using core::PluginHost;
using core::check_options;

inline PluginHost& host() {
  static PluginHost h = [] {
    PluginHost p;
    BOOST_REQUIRE(p.load_directory(CSPM_PLUGIN_DIR).empty());
    return p;
  }();
  return h;
}

// Options as a pipeline would give them (schema defaults filled in), then create().
inline CreateResult create(const std::string& type, nlohmann::json options, const std::filesystem::path& dir = "/") {
  const auto* e = host().find(type);
  BOOST_REQUIRE(e);
  ComponentSpec c;
  c.id = "stage";
  c.type = type;
  c.options = std::move(options);
  Diagnostics diags;
  const Options resolved = check_options(c, e->factory->schema(), dir, diags);
  BOOST_REQUIRE_MESSAGE(diags.empty(), diags.front().message);
  auto more = e->factory->validate(resolved);
  if (!more.empty()) return more;
  return e->factory->create(resolved, StageEnv{"test-pipeline", "stage", dir});
}

template <class T>
std::unique_ptr<T> make(const std::string& type, nlohmann::json options, const std::filesystem::path& dir = "/") {
  auto created = create(type, std::move(options), dir);
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<StagePtr>(created), "could not create " << type);
  auto* stage = dynamic_cast<T*>(std::get<StagePtr>(created).release());
  BOOST_REQUIRE(stage);
  return std::unique_ptr<T>(stage);
}

}  // namespace cspm::test
