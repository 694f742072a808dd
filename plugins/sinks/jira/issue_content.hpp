// What the sink sends for a ticket: create fields, a description that fits Jira's limits.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <cspm/ticket.hpp>

#include "jira_api.hpp"

namespace cspm::plugins::jira {

struct ContentOptions {
  std::string project;
  std::string issue_type = "Task";
  std::map<std::string, std::string> priorities;  ///< severity label → Jira priority name
  std::vector<std::string> components;
  std::vector<std::string> labels;                ///< added to the ticket's own
  std::size_t description_limit = 32767;          ///< Jira's, in characters
  nlohmann::json fields = nlohmann::json::object();  ///< field id → template (field_templates.hpp)
  /// Empty: the marker is the label cspm-fp-<fingerprint>; else the custom field that holds
  /// it instead (e.g. "customfield_10050", a single-line text field on the create screen).
  std::string marker_field;
};

/// Everything a ticket says, in one flavour: what is sent and the hash that tells change.
struct IssueContent {
  nlohmann::json description;
  nlohmann::json fields = nlohmann::json::object();  ///< expanded custom field templates
  std::string hash;
};
/// Lays the ticket out for `flavor` (fitted description, expanded templates, hash).
IssueContent issue_content(const Ticket& ticket, const ContentOptions& options, Flavor flavor, std::string_view pipeline);

/// What marks an issue as this ticket's, in its label or marker field.
std::string marker_of(const Ticket& ticket);

/// The description in the flavour's format (ADF for Cloud, wiki markup for Data Center),
/// made to fit `limit`: resources are listed by halves until it fits ("+ N more resources"),
/// then long finding texts are cut. The result is always valid markup.
nlohmann::json fitted_description(const Ticket& ticket, Flavor flavor, std::size_t limit);

/// Jira labels: no spaces (Jira rejects them), at most 255 characters, no duplicates.
std::vector<std::string> jira_labels(const Ticket& ticket, const std::vector<std::string>& extra);

/// Fields for POST /issue. `assignee` is an accountId (Cloud) or user name (Data Center),
/// empty for the project's default; `custom` the expanded field templates.
nlohmann::json create_fields(const Ticket& ticket, const ContentOptions& options, Flavor flavor,
                             const nlohmann::json& description, const std::string& assignee,
                             const std::vector<std::string>& extra_labels, const nlohmann::json& custom);

/// Hex SHA-256 of what a ticket says about its group (summary, description without the
/// first/last observed times, which move every day, and the custom fields): unchanged → no
/// update, no comment.
std::string content_hash(const Ticket& ticket, Flavor flavor, std::size_t limit, const nlohmann::json& custom);

}  // namespace cspm::plugins::jira
