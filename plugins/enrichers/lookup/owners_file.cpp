// Owners file parsing with toml++, reporting every problem at its line and column.
#include "owners_file.hpp"

#include <algorithm>
#include <tuple>

#include <toml++/toml.h>

namespace cspm::plugins::lookup {
namespace {

const std::vector<std::string> kKeys{"name", "owner", "assignee", "project", "component"};

bool account_id(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::variant<OwnersTable, Diagnostics> load_owners(const std::filesystem::path& file) {
  Diagnostics diags;
  const std::string name = file.string();
  const auto problem = [&](const toml::source_region& at, std::string path, std::string message,
                           std::string hint = {}) {
    Diagnostic d = make_error("E040", std::move(path), std::move(message), std::move(hint));
    d.file = name;
    d.line = static_cast<int>(at.begin.line);
    d.column = static_cast<int>(at.begin.column);
    diags.push_back(std::move(d));
  };
  toml::table root;
  try {
    root = toml::parse_file(name);
  } catch (const toml::parse_error& e) {
    problem(e.source(), "", "owners file: " + std::string{e.description()});
    return diags;
  }
  OwnersTable owners;
  for (auto&& [key, node] : root) {
    if (key.str() != "accounts")
      problem(key.source(), std::string{key.str()}, "unknown table; owners files hold [accounts.\"<id>\"] tables");
  }
  const auto* accounts = root["accounts"].as_table();
  if (!accounts) return owners;  // an empty owners file routes everything to the fallback
  for (auto&& [id, node] : *accounts) {
    const std::string path = "accounts." + std::string{id.str()};
    if (!account_id(id.str())) problem(id.source(), path, "an AWS account id has 12 digits");
    const auto* t = node.as_table();
    if (!t) {
      problem(node.source(), path, "expected a table with name, owner…");
      continue;
    }
    Owner o;
    for (auto&& [k, v] : *t) {
      const std::string key{k.str()};
      std::string* field = key == "name" ? &o.name
                           : key == "owner" ? &o.owner
                           : key == "assignee" ? &o.assignee
                           : key == "project" ? &o.project
                           : key == "component" ? &o.component
                                                : nullptr;
      if (!field) {
        problem(k.source(), path + "." + key, "unknown key \"" + key + "\"", suggest(key, kKeys));
      } else if (!v.is_string()) {
        problem(v.source(), path + "." + key, "expected a string");
      } else {
        *field = v.as_string()->get();
      }
    }
    owners.emplace(std::string{id.str()}, std::move(o));
  }
  if (!diags.empty()) {
    std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    return diags;
  }
  return owners;
}

}  // namespace cspm::plugins::lookup
