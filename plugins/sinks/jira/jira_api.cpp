// Request shapes per the Jira Cloud v3 OpenAPI spec; Data Center takes the same in v2 with
// plain-text bodies and user names.
#include "jira_api.hpp"

#include <algorithm>

#include <cspm/adf.hpp>

namespace cspm::plugins::jira {
namespace {

using json = nlohmann::json;

// Percent-encoding for query values.
std::string query_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A JQL string literal: quotes and backslashes escaped.
std::string jql_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

JiraIssue issue_of(const json& j) {
  JiraIssue issue;
  issue.id = j.value("id", "");
  issue.key = j.value("key", "");
  const json& f = j.contains("fields") && j["fields"].is_object() ? j["fields"] : json::object();
  if (f.contains("status") && f["status"].is_object()) {
    issue.status = f["status"].value("name", "");
    if (f["status"].contains("statusCategory") && f["status"]["statusCategory"].is_object())
      issue.status_category = f["status"]["statusCategory"].value("key", "");
  }
  if (f.contains("resolution") && f["resolution"].is_object()) issue.resolution = f["resolution"].value("name", "");
  if (f.contains("resolutiondate") && f["resolutiondate"].is_string()) issue.resolution_date = f["resolutiondate"];
  if (f.contains("created") && f["created"].is_string()) issue.created = f["created"];
  return issue;
}

}  // namespace

std::string jira_error_text(const HttpResponse& response) {
  std::string text;
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    if (body.contains("errorMessages") && body["errorMessages"].is_array())
      for (const auto& m : body["errorMessages"])
        if (m.is_string()) text += (text.empty() ? "" : "; ") + m.get<std::string>();
    if (body.contains("errors") && body["errors"].is_object())
      for (const auto& [field, m] : body["errors"].items())
        if (m.is_string()) text += (text.empty() ? "" : "; ") + field + ": " + m.get<std::string>();
  }
  if (text.empty()) text = response.body.substr(0, 300);
  return text;
}

Status JiraApi::call(const std::string& method, const std::string& target, const json* body,
                     bool idempotent, json* answer, CallError* error, int* status) {
  if (error) *error = CallError{};
  if (status) *status = 0;
  if (halted()) return Status::failure(halt_reason());
  HttpRequest req{method, target, {{"Authorization", authorization_}, {"Accept", "application/json"}}, {}};
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  HttpResponse res;
  const Status s = delivery_.send(req, res, idempotent);
  if (status) *status = res.status;
  if (error) *error = CallError{res.status >= 400 && res.status < 500 && res.status != 429, res.status};
  if (res.status == 401) {
    // Every later call would be refused the same way: stop, and say it once.
    halt_ = "Jira refused the credentials (401) on " + method + " " + route_of(target) + ": " + jira_error_text(res) +
            "; check the token and user";
    return Status::failure(*halt_);
  }
  if (!s) {
    // No answer at all (the tickets after this one would each wait out the same timeout),
    // or a failing gateway or throttling that outlasted the retries: Jira is in trouble.
    // A 5xx to a create, which is not retried, was quick to come: the others go on. So does
    // a 500, one request's problem.
    const bool gateway = res.status == 502 || res.status == 503 || res.status == 504;
    if (res.status == 0 || res.status == 429 || (gateway && idempotent)) halt_ = "Jira is unavailable: " + s.message();
    if (res.status >= 400) return Status::failure(s.message() + ": " + jira_error_text(res));
    return s;
  }
  if (res.status >= 400)
    return Status::failure("Jira rejected " + method + " " + route_of(target) + " (" + std::to_string(res.status) +
                           "): " + jira_error_text(res));
  if (answer) {
    *answer = res.body.empty() ? json::object() : json::parse(res.body, nullptr, false);
    if (answer->is_discarded())
      return Status::failure("Jira answered " + method + " " + target + " with something that is not JSON");
  }
  return Status::success();
}

Status JiraApi::detect(Delivery& delivery, const std::string& authorization, Flavor& flavor) {
  JiraApi probe(delivery, Flavor::datacenter, authorization);
  json info;
  if (Status s = probe.call("GET", "/rest/api/2/serverInfo", nullptr, true, &info); !s) return s;
  // Cloud says deploymentType "Cloud" and numbers its versions 1000 and up.
  const bool cloud = info.value("deploymentType", "") == "Cloud" ||
                     (info.contains("versionNumbers") && info["versionNumbers"].is_array() &&
                      !info["versionNumbers"].empty() && info["versionNumbers"][0].is_number() &&
                      info["versionNumbers"][0].get<long long>() >= 1000);
  flavor = cloud ? Flavor::cloud : Flavor::datacenter;
  return Status::success();
}

json JiraApi::body_text(const std::string& text) const {
  return flavor_ == Flavor::cloud ? adf_paragraph(text) : json(text);
}

Status JiraApi::create(const json& fields, JiraIssue& created, bool& unknown, CallError& error) {
  const json body = {{"fields", fields}};
  json answer;
  int status = 0;
  const Status s = call("POST", api() + "/issue", &body, false, &answer, &error, &status);
  // Only a definite refusal (4xx, 429 retried away) proves nothing was created; a 2xx with
  // an unreadable body, a 5xx or no answer may have created the issue.
  unknown = !s && !error.client_error;
  if (!s) return s;
  if (!answer.is_object()) {
    unknown = true;
    return Status::failure("Jira's answer to POST /issue is not an object");
  }
  created.id = answer.value("id", "");
  created.key = answer.value("key", "");
  created.status_category = "new";
  if (created.key.empty()) {
    unknown = true;
    return Status::failure("Jira created an issue but named no key");
  }
  return Status::success();
}

Status JiraApi::get(const std::string& key, JiraIssue& issue, bool& missing) {
  json answer;
  int status = 0;
  const Status s = call("GET", api() + "/issue/" + query_escape(key) + "?fields=status,resolution,resolutiondate,created",
                        nullptr, true, &answer, nullptr, &status);
  missing = status == 404;
  if (!s) return s;
  issue = issue_of(answer);
  return Status::success();
}

Status JiraApi::edit(const std::string& key, const json& fields) {
  const json body = {{"fields", fields}};
  return call("PUT", api() + "/issue/" + query_escape(key), &body, true, nullptr);
}

Status JiraApi::comment(const std::string& key, const std::string& text) {
  const json wanted = body_text(text);
  json recent;
  if (Status s = call("GET", api() + "/issue/" + query_escape(key) + "/comment?orderBy=-created&maxResults=5",
                      nullptr, true, &recent);
      !s)
    return s;
  if (recent.contains("comments") && recent["comments"].is_array())
    for (const auto& c : recent["comments"])
      if (c.is_object() && c.contains("body") && c["body"] == wanted) return Status::success();
  const json body = {{"body", wanted}};
  return call("POST", api() + "/issue/" + query_escape(key) + "/comment", &body, false, nullptr);
}

Status JiraApi::transitions(const std::string& key, std::vector<JiraTransition>& out) {
  out.clear();
  json answer;
  if (Status s = call("GET", api() + "/issue/" + query_escape(key) + "/transitions", nullptr, true, &answer); !s)
    return s;
  if (answer.contains("transitions") && answer["transitions"].is_array())
    for (const auto& t : answer["transitions"]) {
      if (!t.is_object()) continue;
      JiraTransition tr{t.value("id", ""), t.value("name", ""), ""};
      if (t.contains("to") && t["to"].is_object() && t["to"].contains("statusCategory") &&
          t["to"]["statusCategory"].is_object())
        tr.to_category = t["to"]["statusCategory"].value("key", "");
      out.push_back(std::move(tr));
    }
  return Status::success();
}

Status JiraApi::transition(const std::string& key, const std::string& transition_id) {
  const json body = {{"transition", {{"id", transition_id}}}};
  return call("POST", api() + "/issue/" + query_escape(key) + "/transitions", &body, false, nullptr);
}

Status JiraApi::link(const std::string& key, const std::string& related_key) {
  const json body = {{"type", {{"name", "Relates"}}}, {"inwardIssue", {{"key", key}}}, {"outwardIssue", {{"key", related_key}}}};
  return call("POST", api() + "/issueLink", &body, false, nullptr);
}

Status JiraApi::search_marker(const std::string& marker, const std::string& field, std::vector<JiraIssue>& out) {
  out.clear();
  // Every project: the owners file may route a ticket anywhere, and people move issues.
  // Text fields only support "contains" (~), on words: the exact value is checked below.
  // The label too when a field is set: issues filed before the field was configured.
  const std::string by_label = "labels = " + jql_string(marker);
  const std::string jql =
      (field.empty() ? by_label
                     : by_label + " OR cf[" + field.substr(field.find('_') + 1) + "] ~ " + jql_string(jql_string(marker))) +
      " ORDER BY created ASC";
  json fields = json::array({"status", "resolution", "resolutiondate", "created", "labels"});
  if (!field.empty()) fields.push_back(field);
  json answer;
  Status s = Status::success();
  if (flavor_ == Flavor::cloud) {
    // The enhanced search: /rest/api/3/search was removed from Cloud (410 Gone).
    const json body = {{"jql", jql}, {"fields", fields}, {"maxResults", 50}};
    s = call("POST", "/rest/api/3/search/jql", &body, true, &answer);
  } else {
    const json body = {{"jql", jql}, {"fields", fields}, {"maxResults", 50}, {"startAt", 0}};
    s = call("POST", "/rest/api/2/search", &body, true, &answer);
  }
  if (!s) return s;
  if (answer.contains("issues") && answer["issues"].is_array())
    for (const auto& i : answer["issues"]) {
      if (!i.is_object()) continue;
      if (!field.empty()) {
        const json& f = i.contains("fields") && i["fields"].is_object() ? i["fields"] : json::object();
        const bool labelled = f.contains("labels") && f["labels"].is_array() &&
                              std::find(f["labels"].begin(), f["labels"].end(), marker) != f["labels"].end();
        if (!labelled && !(f.contains(field) && f[field] == marker)) continue;
      }
      out.push_back(issue_of(i));
    }
  return Status::success();
}

Status JiraApi::find_user(const std::string& email, std::optional<std::string>& user) {
  user.reset();
  json answer;
  const std::string target = flavor_ == Flavor::cloud ? "/rest/api/3/user/search?query=" + query_escape(email)
                                                      : "/rest/api/2/user/search?username=" + query_escape(email);
  if (Status s = call("GET", target, nullptr, true, &answer); !s) return s;
  if (!answer.is_array()) return Status::failure("Jira's user search did not answer a list");
  for (const auto& u : answer) {
    if (!u.is_object() || !u.value("active", true)) continue;
    const std::string address = u.value("emailAddress", "");
    // Cloud hides addresses by privacy settings: a single hit for the query is the user.
    if (!address.empty() && address != email) continue;
    if (address.empty() && answer.size() != 1) continue;
    user = flavor_ == Flavor::cloud ? u.value("accountId", "") : u.value("name", "");
    if (user->empty()) user.reset();
    else break;
  }
  return Status::success();
}

}  // namespace cspm::plugins::jira
