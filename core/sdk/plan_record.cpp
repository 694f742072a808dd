// Plan records: the JSON line per ticket that dry runs print and the ledger acts on.
#include <cspm/plan_record.hpp>

namespace cspm {

nlohmann::ordered_json plan_record(const Ticket& ticket, std::string_view pipeline_id,
                           std::string_view action) {
  const GroupFacts facts = facts_of(*ticket.group);
  return nlohmann::ordered_json{
      {"action", action},
      {"pipeline", pipeline_id},
      {"fingerprint", ticket.fingerprint},
      {"grouping", ticket.group->grouping},
      {"account_id", facts.account_id},
      {"account_name", facts.account_name},
      {"control_ids", facts.control_ids},
      {"resource_ids", facts.resource_ids},
      {"severity", facts.severity},
      {"findings", ticket.group->members.size()},
      {"assignee", ticket.assignee},
      {"summary", ticket.summary},
      {"description", ticket.description},
      {"labels", ticket.labels},
  };
}

}  // namespace cspm
