// Placeholder expansion for custom field templates, from the group's facts only.
#include "field_templates.hpp"

#include <map>
#include <regex>
#include <set>

#include <cspm/group.hpp>
#include <cspm/markup.hpp>
#include <cspm/time.hpp>

namespace cspm::plugins::jira {
namespace {

using json = nlohmann::json;

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

std::map<std::string, std::string, std::less<>> values_of(const Ticket& ticket, std::string_view pipeline) {
  const GroupFacts f = facts_of(*ticket.group);
  const auto first = [](const std::vector<std::string>& v) { return v.empty() ? std::string{} : v.front(); };
  return {{"account_id", f.account_id},
          {"account_name", f.account_name},
          {"severity", f.severity},
          {"control_id", first(f.control_ids)},
          {"control_ids", joined(f.control_ids)},
          {"region", first(f.regions)},
          {"regions", joined(f.regions)},
          {"resource_types", joined(f.resource_types)},
          {"alert_type", first(f.types)},
          {"compliance_status", joined(f.compliance)},
          {"finding_count", std::to_string(ticket.group->members.size())},
          {"resource_count", std::to_string(f.resource_ids.size())},
          {"first_observed", format_timestamp(f.first_observed)},
          {"last_observed", format_timestamp(f.last_observed)},
          {"fingerprint", ticket.fingerprint},
          {"grouping", ticket.group->grouping},
          {"pipeline", std::string{pipeline}},
          {"owner", ticket.assignee}};
}

// Calls `each(name)` for each placeholder in `text`; false when a brace is unbalanced.
template <class Each>
bool scan(std::string_view text, Each&& each) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') return false;
    if (text[i] != '{') continue;
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) return false;
    each(text.substr(i + 1, close - i - 1), i, close);
    i = close;
  }
  return true;
}

void check(const json& value, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  static const std::map<std::string, std::string, std::less<>> known = [] {
    std::map<std::string, std::string, std::less<>> m;
    for (const auto& p : template_placeholders()) m.emplace(p, "");
    return m;
  }();
  if (value.is_string()) {
    const bool balanced = scan(value.get_ref<const std::string&>(), [&](std::string_view name, std::size_t, std::size_t) {
      if (!known.count(name))
        out.emplace_back(path, "unknown placeholder {" + std::string{name} + "}; known: " + joined(template_placeholders()));
    });
    if (!balanced) out.emplace_back(path, "unbalanced brace in template");
  } else if (value.is_object()) {
    for (const auto& [k, v] : value.items()) check(v, path + "." + k, out);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) check(value[i], path + "." + std::to_string(i), out);
  }
}

json expand(const json& value, const std::map<std::string, std::string, std::less<>>& values) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "{finding_count}" || text == "{resource_count}")
      return std::stoll(values.find(text.substr(1, text.size() - 2))->second);
    std::string out;
    std::size_t from = 0;
    scan(text, [&](std::string_view name, std::size_t open, std::size_t close) {
      out.append(text, from, open - from);
      if (auto v = values.find(name); v != values.end()) out += v->second;
      from = close + 1;
    });
    out.append(text, from);
    // Jira's limit for a text field; finding text never makes a value longer than this.
    return std::string{truncate_utf8(out, 32767)};
  }
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : value.items()) out[k] = expand(v, values);
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const auto& v : value) out.push_back(expand(v, values));
    return out;
  }
  return value;
}

}  // namespace

const std::vector<std::string>& template_placeholders() {
  static const std::vector<std::string> names = {
      "account_id", "account_name", "alert_type", "compliance_status", "control_id", "control_ids",
      "finding_count", "fingerprint", "first_observed", "grouping", "last_observed", "owner",
      "pipeline", "region", "regions", "resource_count", "resource_types", "severity"};
  return names;
}

std::vector<std::pair<std::string, std::string>> field_template_errors(const json& templates) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!templates.is_object()) {
    out.emplace_back("", "expected a table of field id = template");
    return out;
  }
  static const std::regex field_id(R"(^(customfield_[0-9]+|[a-z][A-Za-z]*)$)");
  static const std::set<std::string> owned = {"project", "issuetype", "summary", "description", "labels", "assignee"};
  for (const auto& [k, v] : templates.items()) {
    if (!std::regex_match(k, field_id)) out.emplace_back(k, "not a Jira field id (e.g. customfield_10010)");
    else if (owned.count(k)) out.emplace_back(k, "set by the sink itself; use its own options");
    check(v, k, out);
  }
  return out;
}

json expand_fields(const json& templates, const Ticket& ticket, std::string_view pipeline, bool stable) {
  json out = json::object();
  if (!templates.is_object() || templates.empty()) return out;
  auto values = values_of(ticket, pipeline);
  if (stable) values["first_observed"] = values["last_observed"] = "";
  for (const auto& [k, v] : templates.items()) out[k] = expand(v, values);
  return out;
}

}  // namespace cspm::plugins::jira
