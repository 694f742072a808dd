// Batch concatenation and data-type names.
#include <cspm/batch.hpp>

namespace cspm {

std::string data_types_name(DataTypes types) {
  std::string out;
  const auto add = [&](DataTypes bit, const char* name) {
    if (!(types & bit)) return;
    if (!out.empty()) out += '|';
    out += name;
  };
  add(kFindings, "finding");
  add(kGroups, "group");
  add(kTickets, "ticket");
  add(kMetrics, "metric");
  return out.empty() ? "nothing" : out;
}

void Batch::append(const Batch& other) {
  findings.insert(findings.end(), other.findings.begin(), other.findings.end());
  groups.insert(groups.end(), other.groups.begin(), other.groups.end());
  tickets.insert(tickets.end(), other.tickets.begin(), other.tickets.end());
  metrics.insert(metrics.end(), other.metrics.begin(), other.metrics.end());
}

}  // namespace cspm
