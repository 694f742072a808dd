// Templated custom fields: `fields = { customfield_10010 = "{account_id}" }` in the sink's options.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <cspm/ticket.hpp>

namespace cspm::plugins::jira {

/// The placeholders a template may use, for messages and docs.
const std::vector<std::string>& template_placeholders();

/// Problems with a `fields` table: keys that are not Jira field ids, unknown placeholders,
/// unclosed braces. Each as (dotted path below `fields`, message).
std::vector<std::pair<std::string, std::string>> field_template_errors(const nlohmann::json& templates);

/// The fields with every placeholder filled in from the ticket's group. Strings anywhere
/// in the value are expanded (`{ value = "{severity}" }` for a select field); a string that
/// is exactly "{finding_count}" or "{resource_count}" becomes a number (number fields).
/// Values are plain text: Jira renders no markup in text, select or number fields.
/// `stable` leaves out the first/last observed times (which move every day), for hashing
/// what a ticket says.
nlohmann::json expand_fields(const nlohmann::json& templates, const Ticket& ticket, std::string_view pipeline,
                             bool stable = false);

}  // namespace cspm::plugins::jira
