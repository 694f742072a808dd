// Group lookups and the aggregates tickets are made of.
#include <cspm/group.hpp>

#include <algorithm>
#include <set>

#include <cspm/severity.hpp>

namespace cspm {

std::string_view key_value(const Group& group, std::string_view field) noexcept {
  for (const auto& [k, v] : group.key)
    if (k == field) return v;
  return {};
}

std::string_view attribute(const Group& group, std::string_view name) noexcept {
  const auto it = group.attributes.find(std::string{name});
  return it == group.attributes.end() ? std::string_view{} : std::string_view{it->second};
}

GroupFacts facts_of(const Group& group) {
  GroupFacts f;
  std::set<std::string_view> controls, regions, resources, types, alert_types, compliance;
  int rank = 0;
  for (const Finding* m : group.members) {
    rank = std::max(rank, severity_rank(m->severity));
    if (!m->control_id.empty()) controls.insert(m->control_id);
    if (!m->region.empty()) regions.insert(m->region);
    if (!m->type.empty()) alert_types.insert(m->type);
    if (!m->compliance_status.empty()) compliance.insert(m->compliance_status);
    for (const auto& r : m->resources) {
      resources.insert(r.id);
      if (!r.type.empty()) types.insert(r.type);
    }
    const Timestamp first = m->first_observed_at ? m->first_observed_at : m->created_at;
    if (first && (!f.first_observed || first < f.first_observed)) f.first_observed = first;
    f.last_observed = std::max(f.last_observed, m->last_observed_at);
  }
  const auto to_vec = [](const std::set<std::string_view>& s) {
    return std::vector<std::string>(s.begin(), s.end());
  };
  f.severity = std::string{severity_label(rank)};
  f.control_ids = to_vec(controls);
  f.regions = to_vec(regions);
  f.resource_ids = to_vec(resources);
  f.resource_types = to_vec(types);
  f.types = to_vec(alert_types);
  f.compliance = to_vec(compliance);
  f.account_id = std::string{key_value(group, "account_id")};
  if (f.account_id.empty() && !group.members.empty())
    f.account_id = std::string{group.members.front()->account_id};
  f.account_name = std::string{attribute(group, "account_name")};
  if (f.account_name.empty())
    for (const Finding* m : group.members)
      if (!m->account_name.empty()) {
        f.account_name = std::string{m->account_name};
        break;
      }
  return f;
}

}  // namespace cspm
