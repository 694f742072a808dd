// The plan record: what `--dry-run` prints and what a ticket sink acts on.
#pragma once
#include <string_view>

#include <nlohmann/json.hpp>

#include <cspm/ticket.hpp>

namespace cspm {

/// {"action", "pipeline", "fingerprint", "grouping", "account_id", "account_name",
///  "control_ids", "resource_ids", "severity", "findings", "assignee", "summary",
///  "description", "labels"}, keys in that order.
nlohmann::ordered_json plan_record(const Ticket& ticket, std::string_view pipeline_id,
                           std::string_view action);

}  // namespace cspm
