// Parsing and evaluation of match conditions.
#include "condition.hpp"

#include <cspm/time.hpp>

namespace cspm::plugins::match {
namespace {

const std::vector<std::string> kConditionKeys{"in", "not_in", "within", "or_missing"};

std::optional<std::vector<std::string>> strings(const nlohmann::json& v) {
  if (v.is_string()) return std::vector<std::string>{v.get<std::string>()};
  if (!v.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<std::string> field_names() {
  const auto& names = finding_field_names();
  return {names.begin(), names.end()};
}

}  // namespace

bool Condition::matches(const Finding& f, Timestamp now) const {
  if (is_time_field(field)) {
    const Timestamp t = time_field(f, field);
    if (t == 0) return or_missing;
    return !within || (t >= now - within->count() && t <= now);
  }
  const std::string_view v = text_field(f, field);
  if (v.empty()) return or_missing || (!in && !within);
  if (in && !in->contains(v)) return false;
  return !not_in.contains(v);
}

std::vector<Condition> parse_conditions(const Options& where, Diagnostics& diags) {
  std::vector<Condition> out;
  for (const auto& [name, spec] : where.items()) {
    const std::string path = "where." + name;
    const auto field = finding_field(name);
    if (!field) {
      const std::string s = suggest(name, field_names());
      diags.push_back(make_error("E006", path, "unknown finding field \"" + name + "\"",
                                 s.empty() ? "Fields: " + join(field_names()) : s));
      continue;
    }
    Condition c;
    c.field = *field;
    c.name = name;
    if (!spec.is_object()) {
      if (auto list = strings(spec)) c.in.emplace(*list);
      else diags.push_back(make_error("E007", path, "expected a string, a list of strings or a condition table"));
    } else {
      for (const auto& [key, value] : spec.items()) {
        const std::string kpath = path + "." + key;
        if (key == "in" || key == "not_in") {
          auto list = strings(value);
          if (!list) diags.push_back(make_error("E007", kpath, "expected a list of strings"));
          else if (key == "in") c.in.emplace(*list);
          else c.not_in = Condition::ValueSet{*list};
        } else if (key == "within") {
          const auto d = value.is_string() ? parse_duration(value.get<std::string>()) : std::nullopt;
          if (!d) diags.push_back(make_error("E007", kpath, "expected a duration like \"24h\""));
          c.within = d;
        } else if (key == "or_missing") {
          if (!value.is_boolean()) diags.push_back(make_error("E007", kpath, "expected true or false"));
          else c.or_missing = value.get<bool>();
        } else {
          const std::string s = suggest(key, kConditionKeys);
          diags.push_back(make_error("E006", kpath, "unknown condition \"" + key + "\"",
                                     s.empty() ? "Allowed: " + join(kConditionKeys) : s));
        }
      }
    }
    const auto warn = [&](std::string code, std::string at, std::string message) {
      Diagnostic d = make_error(std::move(code), std::move(at), std::move(message));
      d.level = Diagnostic::Level::warning;
      diags.push_back(std::move(d));
    };
    if (c.in && c.in->empty())  // e.g. --param accounts= : legal, but nothing will match
      warn("W010", path, "\"" + name + "\" must be in an empty list: this filter keeps nothing");
    if (c.or_missing && !c.in && !c.within)
      warn("W011", path + ".or_missing", "or_missing only matters with in or within; ignored");
    const bool time = is_time_field(c.field);
    if (time && (c.in || !c.not_in.empty()))
      diags.push_back(make_error("E007", path, "\"" + name + "\" is a time: use within = \"24h\""));
    if (!time && c.within)
      diags.push_back(make_error("E007", path + ".within", "\"" + name + "\" is not a time field"));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace cspm::plugins::match
