// [params] parsing and typed command-line overrides.
#include "params.hpp"

#include <charconv>
#include <sstream>

namespace cspm::core {
Location where(const toml::source_region& r, const std::string& file) {
  return {file, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string{s.substr(b, e - b + 1)};
}

// Converts override text to the JSON type of `like`; false when it does not fit.
bool convert(const std::string& text, const nlohmann::json& like, nlohmann::json& out) {
  if (like.is_boolean()) {
    if (text != "true" && text != "false") return false;
    out = text == "true";
  } else if (like.is_number_integer()) {
    long long v;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size()) return false;
    out = v;
  } else if (like.is_number_float()) {
    try {
      std::size_t used;
      out = std::stod(text, &used);
      if (used != text.size()) return false;
    } catch (const std::exception&) {
      return false;
    }
  } else {
    out = text;
  }
  return true;
}

}  // namespace

nlohmann::json toml_to_json(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: {
      nlohmann::json o = nlohmann::json::object();
      for (auto&& [k, v] : *node.as_table()) o[std::string{k.str()}] = toml_to_json(v);
      return o;
    }
    case toml::node_type::array: {
      nlohmann::json a = nlohmann::json::array();
      for (auto&& v : *node.as_array()) a.push_back(toml_to_json(v));
      return a;
    }
    case toml::node_type::string: return node.as_string()->get();
    case toml::node_type::integer: return node.as_integer()->get();
    case toml::node_type::floating_point: return node.as_floating_point()->get();
    case toml::node_type::boolean: return node.as_boolean()->get();
    default: {
      std::ostringstream text;
      node.visit([&](auto&& v) { text << v; });
      return text.str();
    }
  }
}

void read_params(const toml::table& table, const std::string& file, Params& params) {
  for (auto&& [key, node] : table)
    params[std::string{key.str()}] = Param{toml_to_json(node), where(key.source(), file), false};
}

void apply_overrides(const std::vector<std::pair<std::string, std::string>>& overrides,
                     Params& params, Diagnostics& diags) {
  std::vector<std::string> names;
  for (const auto& [name, p] : params) names.push_back(name);
  for (const auto& [name, text] : overrides) {
    const auto it = params.find(name);
    if (it == params.end()) {
      diags.push_back(make_error("E030", "params." + name,
                                 "--param " + name + ": the pipeline declares no such parameter",
                                 suggest(name, names).empty()
                                     ? "Declared: " + join(names)
                                     : suggest(name, names)));
      continue;
    }
    nlohmann::json value;
    bool ok = true;
    if (it->second.value.is_array()) {
      const nlohmann::json like =
          it->second.value.empty() ? nlohmann::json("") : it->second.value.front();
      value = nlohmann::json::array();
      std::stringstream in(text);
      for (std::string item; std::getline(in, item, ',');) {
        item = trim(item);
        if (item.empty()) continue;
        nlohmann::json v;
        ok = ok && convert(item, like, v);
        value.push_back(v);
      }
    } else {
      ok = convert(text, it->second.value, value);
    }
    if (!ok) {
      diags.push_back(make_error("E031", "params." + name,
                                 "--param " + name + "=" + text + ": expected " +
                                     std::string{it->second.value.type_name()} +
                                     (it->second.value.is_array() ? " (comma separated)" : "")));
      continue;
    }
    it->second.value = std::move(value);
    it->second.from_command_line = true;
  }
}

}  // namespace cspm::core
