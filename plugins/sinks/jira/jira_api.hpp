// The Jira REST calls the sink makes, for both flavours: Cloud (v3, ADF, accountId,
// /search/jql) and Data Center (v2, wiki markup, user names, /search).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "delivery.hpp"

namespace cspm::plugins::jira {

enum class Flavor { cloud, datacenter };

struct JiraIssue {
  std::string id, key;
  std::string status;           ///< name, for messages only (names are localized)
  std::string status_category;  ///< "new" | "indeterminate" | "done" (decisions use this)
  std::string resolution;       ///< empty when unresolved
  std::string resolution_date;  ///< ISO 8601, when resolved
  std::string created;
};

struct JiraTransition {
  std::string id, name, to_category;
};

/// A failed call: the message, and whether Jira answered with a 4xx (a request or
/// configuration problem that repeating will not fix).
struct CallError {
  bool client_error = false;
  int status = 0;
};

class JiraApi {
 public:
  JiraApi(Delivery& delivery, Flavor flavor, std::string authorization)
      : delivery_(delivery), flavor_(flavor), authorization_(std::move(authorization)) {}

  /// Cloud or Data Center, from GET /rest/api/2/serverInfo (both flavours serve v2).
  static Status detect(Delivery& delivery, const std::string& authorization, Flavor& flavor);

  Flavor flavor() const noexcept { return flavor_; }

  /// POST /issue. On failure `unknown` tells that the issue may exist anyway (no answer, 5xx).
  Status create(const nlohmann::json& fields, JiraIssue& created, bool& unknown, CallError& error);
  /// GET /issue/{key}; `missing` when Jira says 404 (deleted, or moved out of reach).
  Status get(const std::string& key, JiraIssue& issue, bool& missing);
  Status edit(const std::string& key, const nlohmann::json& fields);
  /// Adds a comment unless the newest comments already hold the same text (a retried run
  /// must not comment twice).
  Status comment(const std::string& key, const std::string& text);
  Status transitions(const std::string& key, std::vector<JiraTransition>& out);
  Status transition(const std::string& key, const std::string& transition_id);
  /// "Relates" link between two issues.
  Status link(const std::string& key, const std::string& related_key);
  /// Issues carrying `marker`, in any project, oldest first: as a label, or as the value of
  /// `field` (a text custom field, "customfield_NNNNN") when that is given.
  Status search_marker(const std::string& marker, const std::string& field, std::vector<JiraIssue>& out);
  /// The Cloud accountId (or Data Center user name) of the user with this e-mail address.
  Status find_user(const std::string& email, std::optional<std::string>& user);

  /// A description or comment body in this flavour's format.
  nlohmann::json body_text(const std::string& text) const;

  /// Set once a call showed that no later call can succeed this run (credentials refused,
  /// Jira unreachable or throttling past the retries); every later call fails at once.
  bool halted() const noexcept { return halt_.has_value() || delivery_.blocked(); }
  std::string halt_reason() const { return halt_.value_or("Jira asked for a pause longer than max_backoff"); }

 private:
  std::string api() const { return flavor_ == Flavor::cloud ? "/rest/api/3" : "/rest/api/2"; }
  Status call(const std::string& method, const std::string& target, const nlohmann::json* body,
              bool idempotent, nlohmann::json* answer, CallError* error = nullptr, int* status = nullptr);

  Delivery& delivery_;
  Flavor flavor_;
  std::string authorization_;
  std::optional<std::string> halt_;
};

/// "Jira rejected POST /rest/api/3/issue (400): project: valid project is required" from an
/// ErrorCollection body.
std::string jira_error_text(const HttpResponse& response);

}  // namespace cspm::plugins::jira
