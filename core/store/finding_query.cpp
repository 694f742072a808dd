// SQL for `cspmd query`: every value is a bound parameter, never spliced into the text.
#include "finding_query.hpp"

#include <map>

#include <cspm/diagnostics.hpp>

namespace cspm::store {
namespace {

const std::map<std::string, std::string, std::less<>>& group_expressions() {
  static const std::map<std::string, std::string, std::less<>> m{
      {"account", "account_id"},
      {"account_name", "account_name"},
      {"region", "region"},
      {"severity", "severity"},
      {"control", "control_id"},
      {"product", "product_name"},
      {"compliance", "compliance_status"},
      {"workflow", "workflow_status"},
      {"record_state", "record_state"},
      {"resource_type", "resource_type"},
      {"type", "type"},
      {"day", "strftime('%Y-%m-%d', updated_at / 1000, 'unixepoch')"},
  };
  return m;
}

}  // namespace

const std::vector<std::string>& group_by_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, expr] : group_expressions()) out.push_back(name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& finding_row_columns() {
  static const std::vector<std::string> c{
      "id", "product_arn", "account_id", "account_name", "region", "severity", "compliance_status",
      "workflow_status", "record_state", "control_id", "resource_ids", "resource_type", "updated_at",
      "last_observed_at", "title"};
  return c;
}

Sql build_query(const FindingQuery& q) {
  Sql sql;
  std::vector<std::string> where;
  // Binds `values` and returns their placeholders: "?3, ?4".
  const auto placeholders = [&](const std::vector<std::string>& values) {
    std::string list;
    for (const auto& v : values) {
      sql.text_params.push_back(v);
      list += (list.empty() ? "?" : ", ?") + std::to_string(sql.text_params.size());
    }
    return list;
  };
  const auto any_of = [&](const std::string& column, const std::vector<std::string>& values) {
    if (!values.empty()) where.push_back(column + " IN (" + placeholders(values) + ")");
  };
  any_of("account_id", q.accounts);
  any_of("region", q.regions);
  any_of("severity", q.severities);
  any_of("control_id", q.controls);
  any_of("compliance_status", q.compliance);
  any_of("workflow_status", q.workflow);
  any_of("record_state", q.record_states);
  if (!q.products.empty()) {  // a product by name or by ARN
    std::string clause = "(";
    for (std::size_t i = 0; i < q.products.size(); ++i) {
      sql.text_params.push_back(q.products[i]);
      const std::string p = "?" + std::to_string(sql.text_params.size());
      clause += (i ? " OR " : "") + std::string{"product_name = "} + p + " OR product_arn = " + p;
    }
    where.push_back(clause + ")");
  }
  const auto any_resource = [&](const std::string& key, const std::vector<std::string>& values) {
    if (values.empty()) return;
    where.push_back("EXISTS (SELECT 1 FROM json_each(findings.resources) r WHERE json_extract(r.value, '$." + key +
                    "') IN (" + placeholders(values) + "))");
  };
  any_resource("Id", q.resource_ids);
  any_resource("Type", q.resource_types);
  if (!q.title_text.empty()) {  // % and _ in the user's text are literal
    std::string pattern = "%";
    for (char c : q.title_text) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    sql.text_params.push_back(pattern + "%");
    where.push_back("title LIKE ?" + std::to_string(sql.text_params.size()) + " ESCAPE '\\'");
  }
  const std::size_t first_int = sql.text_params.size() + 1;
  if (q.since) {
    sql.integer_params.push_back(q.since);
    where.push_back("updated_at >= ?" + std::to_string(first_int + sql.integer_params.size() - 1));
  }
  if (q.until) {
    sql.integer_params.push_back(q.until);
    where.push_back("updated_at < ?" + std::to_string(first_int + sql.integer_params.size() - 1));
  }
  std::string filter;
  for (std::size_t i = 0; i < where.size(); ++i) filter += (i ? " AND " : " WHERE ") + where[i];

  if (q.group_by.empty()) {
    sql.text = "SELECT finding_id, product_arn, account_id, account_name, region, severity, compliance_status, "
               "workflow_status, record_state, control_id, "
               "(SELECT json_group_array(json_extract(r.value, '$.Id')) FROM json_each(findings.resources) r), "
               "resource_type, updated_at, last_observed_at, title FROM findings" +
               filter + " ORDER BY updated_at DESC, finding_id";
  } else {
    std::string columns, keys;
    for (const auto& g : q.group_by) {
      const auto it = group_expressions().find(g);
      if (it == group_expressions().end()) {
        sql.error = "unknown --group-by \"" + g + "\". " + suggest(g, group_by_names()) +
                    " (one of: " + join(group_by_names()) + ")";
        return sql;
      }
      columns += it->second + " AS \"" + g + "\", ";
      keys += (keys.empty() ? "" : ", ") + it->second;
    }
    sql.text = "SELECT " + columns + "count(*) AS findings FROM findings" + filter + " GROUP BY " + keys +
               " ORDER BY findings DESC, " + keys;
  }
  if (q.limit) sql.text += " LIMIT " + std::to_string(q.limit);
  return sql;
}

}  // namespace cspm::store
