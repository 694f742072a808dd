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
};

/// The description in the flavour's format (ADF for Cloud, wiki markup for Data Center),
/// made to fit `limit`: resources are listed by halves until it fits ("+ N more resources"),
/// then long finding texts are cut. The result is always valid markup.
nlohmann::json fitted_description(const Ticket& ticket, Flavor flavor, std::size_t limit);

/// Jira labels: no spaces (Jira rejects them), at most 255 characters, no duplicates.
std::vector<std::string> jira_labels(const Ticket& ticket, const std::vector<std::string>& extra);

/// Fields for POST /issue. `assignee` is an accountId (Cloud) or user name (Data Center),
/// empty for the project's default.
nlohmann::json create_fields(const Ticket& ticket, const ContentOptions& options, Flavor flavor,
                             const nlohmann::json& description, const std::string& assignee,
                             const std::vector<std::string>& extra_labels);

/// Hex SHA-256 of what a ticket says about its group (summary and description without the
/// first/last observed times, which move every day): unchanged → no update, no comment.
std::string content_hash(const Ticket& ticket, Flavor flavor, std::size_t limit);

}  // namespace cspm::plugins::jira
