// A Jira stand-in for tests, both flavours, on a real HTTP server on loopback.
//
// Faithful to what the jira sink relies on, per Atlassian's Cloud v3 OpenAPI spec and the
// Data Center v2 docs (tests/data/reference/jira/): serverInfo (deploymentType), create
// (201 {id, key, self}; 400 ErrorCollection for an unknown project, a summary over 255, a
// description over 32,767, a Cloud description that is not ADF, labels with spaces, a
// Cloud assignee by name or a DC one by accountId), get, edit (204), comments, transitions
// with status categories, issue links, user search, JQL search by label (Cloud:
// POST /rest/api/3/search/jql, the old /rest/api/3/search answers 410 Gone; DC:
// /rest/api/2/search). Models what makes Jira hard: search that lags behind creates
// (Cloud), 429 with Retry-After, 5xx, and creates that succeed but whose answer is lost.
#pragma once
#include <deque>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>

#include "http_server.hpp"

namespace cspm::test {

/// A 429 with Retry-After, as Jira Cloud sends when the rate limit is hit.
inline ServerResponse too_many_requests(int retry_after_seconds = 0) {
  auto res = json_response(429, R"({"errorMessages":["Rate limit exceeded."],"errors":{}})");
  res.set("Retry-After", std::to_string(retry_after_seconds));
  return res;
}

class JiraStandin {
 public:
  using json = nlohmann::json;
  enum class Flavor { cloud, datacenter };

  struct Issue {
    std::string id, key, project, summary, assignee, priority, resolution, resolution_date;
    json description, labels = json::array(), custom = json::object();
    std::string status = "To Do", category = "new";
    std::vector<json> comments;
    std::vector<std::string> links, components;
    int searchable_after = 0;  // search requests to answer before this issue shows
  };

  explicit JiraStandin(Flavor flavor, std::string token = "t0ken", std::string user = "bot@example.com")
      : flavor_(flavor), token_(std::move(token)), user_(std::move(user)),
        server_([this](const ServerRequest& r) { return handle(r); }) {}

  std::string url() const { return server_.url(); }
  HttpServer& server() { return server_; }

  // --- what tests set up ---------------------------------------------------------------
  std::set<std::string> projects{"SEC"};
  /// Custom fields on the create and edit screens; others are refused as Jira does.
  std::set<std::string> custom_fields;
  /// e-mail → (accountId, DC name)
  std::map<std::string, std::pair<std::string, std::string>> users;
  /// Cloud search lag: a new issue stays invisible to this many search requests.
  int search_lag = 0;
  /// Answers queued for the next requests (429s, 5xx), consumed one per request.
  std::deque<ServerResponse> faults;
  /// The next N creates are carried out but answered with 502 (lost answer).
  int lose_create_answers = 0;
  /// The next N creates are carried out and then their connection closes unanswered.
  int drop_create_answers = 0;
  /// Every Nth request (0: none) is answered 429 or 503 in turn, before it is looked at.
  int chaos_every = 0;
  /// Called with each request's number once it has been carried out, before it is answered
  /// (a test kills the client here: Jira acted, the client never heard).
  std::function<void(int)> on_request;

  // --- what tests inspect ----------------------------------------------------------------
  std::map<std::string, Issue> issues;  // by key
  std::map<std::string, std::string> moved;  // old key → new key
  int requests = 0;
  std::vector<std::string> log;  // "METHOD target"

  /// Issues carrying `label`.
  std::vector<const Issue*> with_label(const std::string& label) const {
    std::vector<const Issue*> out;
    for (const auto& [k, i] : issues)
      for (const auto& l : i.labels)
        if (l == label) out.push_back(&i);
    return out;
  }
  /// Moves an issue to another project: a new key, and the old one still leads to it.
  std::string move(const std::string& key, const std::string& project) {
    Issue i = issues.at(key);
    issues.erase(key);
    i.key = project + "-" + std::to_string(++next_);
    i.project = project;
    moved[key] = i.key;
    issues[i.key] = i;
    return i.key;
  }
  /// Moves an issue to a status of `category` (as a person working the ticket would).
  void set_status(const std::string& key, const std::string& category, const std::string& resolution = "",
                  const std::string& resolution_date = "2026-11-20T10:00:00.000+0000") {
    Issue& i = issues.at(key);
    i.category = category;
    i.status = category == "done" ? "Done" : category == "new" ? "To Do" : "In Progress";
    i.resolution = category == "done" ? (resolution.empty() ? "Done" : resolution) : "";
    i.resolution_date = category == "done" ? resolution_date : "";
  }

 private:
  static ServerResponse error(int status, json errors, json messages = json::array()) {
    return json_response(status, json{{"errorMessages", messages}, {"errors", errors}}.dump());
  }

  // UTF-16 code units, as Java (and Jira) count string length.
  static std::size_t characters(const std::string& s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if ((c & 0xC0) != 0x80) n += c >= 0xF0 ? 2 : 1;
    }
    return n;
  }

  std::string api() const { return flavor_ == Flavor::cloud ? "/rest/api/3" : "/rest/api/2"; }

  // Custom fields in a create or edit: stored, or Jira's error for one not on the screen.
  bool take_custom(const json& fields, json& into, json& errors) const {
    for (const auto& [k, v] : fields.items()) {
      if (k.rfind("customfield_", 0) != 0) continue;
      if (!custom_fields.count(k)) errors[k] = "Field '" + k + "' cannot be set. It is not on the appropriate screen, or unknown.";
      else into[k] = v;
    }
    return errors.empty();
  }

  bool authorized(const ServerRequest& r) const {
    const std::string auth{r[http::field::authorization]};
    if (flavor_ == Flavor::datacenter) return auth == "Bearer " + token_;
    // Cloud: basic auth with e-mail and API token.
    std::string plain = user_ + ":" + token_, encoded(boost::beast::detail::base64::encoded_size(plain.size()), '\0');
    encoded.resize(boost::beast::detail::base64::encode(encoded.data(), plain.data(), plain.size()));
    return auth == "Basic " + encoded;
  }

  json issue_json(const Issue& i) const {
    json out = {{"id", i.id}, {"key", i.key}, {"self", url() + api() + "/issue/" + i.id},
            {"fields", {{"summary", i.summary},
                        {"status", {{"name", i.status}, {"statusCategory", {{"key", i.category}, {"name", i.status}}}}},
                        {"resolution", i.resolution.empty() ? json(nullptr) : json{{"name", i.resolution}}},
                        {"resolutiondate", i.resolution_date.empty() ? json(nullptr) : json(i.resolution_date)},
                        {"labels", i.labels}, {"created", "2026-11-01T09:00:00.000+0000"}}}};
    for (const auto& [k, v] : i.custom.items()) out["fields"][k] = v;
    return out;
  }

  ServerResponse create(const json& body) {
    if (!body.is_object() || !body.contains("fields") || !body["fields"].is_object())
      return error(400, json::object(), json::array({"Issue must have fields"}));
    const json& f = body["fields"];
    json errors = json::object();
    const std::string project = f.contains("project") && f["project"].is_object() ? f["project"].value("key", "") : "";
    if (!projects.count(project)) errors["project"] = "valid project is required";
    if (!f.contains("summary") || !f["summary"].is_string() || f["summary"].get<std::string>().empty())
      errors["summary"] = "You must specify a summary of the issue.";
    else if (characters(f["summary"].get<std::string>()) > 255)
      errors["summary"] = "Summary must be less than 255 characters.";
    if (f.contains("description")) {
      const json& d = f["description"];
      if (flavor_ == Flavor::cloud && !(d.is_object() && d.value("type", "") == "doc"))
        errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)";
      else if (flavor_ == Flavor::datacenter && !d.is_string())
        errors["description"] = "Operation value must be a string";
      else if ((d.is_string() ? d.get<std::string>().size() : d.dump().size()) > 32767)
        errors["description"] = "The entered text is too long. It exceeds the allowed limit of 32,767 characters.";
    }
    if (f.contains("labels"))
      for (const auto& l : f["labels"])
        if (!l.is_string() || l.get<std::string>().find(' ') != std::string::npos)
          errors["labels"] = "The label '" + l.dump() + "' contains spaces which is invalid.";
    std::string assignee;
    if (f.contains("assignee") && f["assignee"].is_object()) {
      const bool cloud = flavor_ == Flavor::cloud;
      if (cloud && !f["assignee"].contains("accountId")) errors["assignee"] = "Specify an accountId";
      if (!cloud && !f["assignee"].contains("name")) errors["assignee"] = "Specify a user name";
      assignee = f["assignee"].value(cloud ? "accountId" : "name", "");
    }
    json custom = json::object();
    take_custom(f, custom, errors);
    if (!errors.empty()) return error(400, errors);
    Issue i;
    i.custom = custom;
    i.id = std::to_string(10000 + next_);
    i.key = project + "-" + std::to_string(++next_);
    i.project = project;
    i.summary = f["summary"];
    i.description = f.value("description", json());
    i.labels = f.value("labels", json::array());
    i.assignee = assignee;
    if (f.contains("priority") && f["priority"].is_object()) i.priority = f["priority"].value("name", "");
    if (f.contains("components") && f["components"].is_array())
      for (const auto& c : f["components"]) i.components.push_back(c.value("name", ""));
    i.searchable_after = flavor_ == Flavor::cloud ? search_lag : 0;
    issues[i.key] = i;
    if (lose_create_answers > 0) {
      --lose_create_answers;
      return error(502, json::object(), json::array({"Bad gateway"}));
    }
    if (drop_create_answers > 0) {
      --drop_create_answers;
      ServerResponse dropped{http::status::ok, 11};
      dropped.set(kDropHeader, "1");
      return dropped;
    }
    return json_response(201, json{{"id", i.id}, {"key", i.key}, {"self", url() + api() + "/issue/" + i.id}}.dump());
  }

  ServerResponse search(const json& body) {
    const std::string jql = body.value("jql", "");
    // labels = "x", or that OR a text field's phrase search: cf[10050] ~ "\"x\"" (Jira
    // matches words of the phrase; the stand-in a substring, which finds at least as much).
    static const std::regex by_label(R"re(^labels = "([^"]*)" ORDER BY created ASC$)re");
    static const std::regex by_field(
        R"re(^labels = "([^"]*)" OR cf\[([0-9]+)\] ~ "\\"([^"\\]*)\\"" ORDER BY created ASC$)re");
    std::smatch m;
    json found = json::array();
    std::vector<Issue*> hits;
    if (std::regex_match(jql, m, by_label)) {
      for (auto& [k, i] : issues)
        for (const auto& l : i.labels)
          if (l == m[1].str()) hits.push_back(&i);
    } else if (std::regex_match(jql, m, by_field)) {
      const std::string field = "customfield_" + m[2].str();
      if (!custom_fields.count(field))
        return error(400, json::object(), json::array({"Field 'cf[" + m[2].str() + "]' does not exist or you do not have permission to view it."}));
      for (auto& [k, i] : issues) {
        const bool labelled = std::find(i.labels.begin(), i.labels.end(), m[1].str()) != i.labels.end();
        if (labelled || (i.custom.contains(field) && i.custom[field].is_string() &&
                         i.custom[field].get<std::string>().find(m[3].str()) != std::string::npos))
          hits.push_back(&i);
      }
    } else {
      return error(400, json::object(), json::array({"Error in the JQL Query: unsupported by the stand-in: " + jql}));
    }
    std::sort(hits.begin(), hits.end(), [](const Issue* a, const Issue* b) { return std::stoi(a->id) < std::stoi(b->id); });
    for (Issue* i : hits) {
      if (i->searchable_after > 0) {
        --i->searchable_after;
        continue;
      }
      found.push_back(issue_json(*i));
    }
    if (flavor_ == Flavor::cloud) return json_response(200, json{{"issues", found}, {"isLast", true}}.dump());
    return json_response(200, json{{"issues", found}, {"startAt", 0}, {"maxResults", 50}, {"total", found.size()}}.dump());
  }

  ServerResponse handle(const ServerRequest& r) {
    ServerResponse res = carry_out(r);
    if (on_request) on_request(requests);
    return res;
  }

  ServerResponse carry_out(const ServerRequest& r) {
    ++requests;
    const std::string method{r.method_string()}, target{r.target()};
    log.push_back(method + " " + target);
    if (chaos_every > 0 && requests % chaos_every == 0)
      return (requests / chaos_every) % 2 ? too_many_requests(0) : json_response(503, R"({"errorMessages":["Service unavailable"]})");
    if (!faults.empty()) {
      ServerResponse f = faults.front();
      faults.pop_front();
      return f;
    }
    if (!authorized(r)) return error(401, json::object(), json::array({"Client must be authenticated to access this resource."}));
    const std::string path = target.substr(0, target.find('?'));
    const json body = r.body().empty() ? json::object() : json::parse(r.body(), nullptr, false);
    if (body.is_discarded()) return error(400, json::object(), json::array({"Unexpected character in the JSON body"}));
    if (method == "GET" && path == "/rest/api/2/serverInfo")
      return json_response(200, json{{"baseUrl", url()}, {"version", flavor_ == Flavor::cloud ? "1001.0.0-SNAPSHOT" : "9.12.2"},
                                     {"versionNumbers", flavor_ == Flavor::cloud ? json{1001, 0, 0} : json{9, 12, 2}},
                                     {"deploymentType", flavor_ == Flavor::cloud ? "Cloud" : "Server"}}.dump());
    if (flavor_ == Flavor::cloud && path == "/rest/api/3/search")  // removed in 2025
      return error(410, json::object(), json::array({"The requested API has been removed. Please use /rest/api/3/search/jql."}));
    if (method == "POST" && ((flavor_ == Flavor::cloud && path == "/rest/api/3/search/jql") ||
                             (flavor_ == Flavor::datacenter && path == "/rest/api/2/search")))
      return search(body);
    if (path.rfind(api(), 0) != 0) return error(404, json::object(), json::array({"Not found: " + path}));
    const std::string rest = path.substr(api().size());
    if (method == "POST" && rest == "/issue") return create(body);
    if (method == "POST" && rest == "/issueLink") {
      const std::string in = body["inwardIssue"].value("key", ""), out = body["outwardIssue"].value("key", "");
      if (!issues.count(in) || !issues.count(out)) return error(404, json::object(), json::array({"No issue"}));
      issues[in].links.push_back(out);
      issues[out].links.push_back(in);
      return json_response(201, "");
    }
    if (method == "GET" && rest == "/user/search") {
      const std::string q = target.substr(target.find('=') + 1);
      std::string email;  // the query value, percent-decoded
      for (std::size_t i = 0; i < q.size(); ++i) {
        if (q[i] == '%' && i + 2 < q.size()) {
          email += static_cast<char>(std::stoi(q.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          email += q[i];
        }
      }
      json out = json::array();
      if (auto u = users.find(email); u != users.end())
        out.push_back(flavor_ == Flavor::cloud ? json{{"accountId", u->second.first}, {"active", true}, {"displayName", email}}
                                               : json{{"name", u->second.second}, {"emailAddress", email}, {"active", true}});
      return json_response(200, out.dump());
    }
    static const std::regex issue_path(R"(^/issue/([A-Z][A-Z0-9]*-[0-9]+)(/comment|/transitions)?$)");
    std::smatch m;
    if (!std::regex_match(rest, m, issue_path)) return error(404, json::object(), json::array({"Not found: " + path}));
    std::string key = m[1].str();
    while (moved.count(key)) key = moved.at(key);  // Jira still answers to a moved issue's old key
    auto it = issues.find(key);
    if (it == issues.end()) return error(404, json::object(), json::array({"Issue does not exist or you do not have permission to see it."}));
    Issue& i = it->second;
    const std::string sub = m[2].str();
    if (sub.empty() && method == "GET") return json_response(200, issue_json(i).dump());
    if (sub.empty() && method == "PUT") {
      const json& f = body.value("fields", json::object());
      json errors = json::object();
      json custom = i.custom;
      if (!take_custom(f, custom, errors)) return error(400, errors);
      i.custom = custom;
      if (f.contains("summary")) i.summary = f["summary"];
      if (f.contains("description")) {
        if (flavor_ == Flavor::cloud && !(f["description"].is_object()))
          return error(400, json{{"description", "Operation value must be an Atlassian Document"}});
        i.description = f["description"];
      }
      ServerResponse res{http::status::no_content, 11};
      return res;
    }
    if (sub == "/comment" && method == "GET") {
      json out = json::array();
      for (auto c = i.comments.rbegin(); c != i.comments.rend() && out.size() < 5; ++c) out.push_back({{"body", *c}});
      return json_response(200, json{{"comments", out}, {"total", i.comments.size()}}.dump());
    }
    if (sub == "/comment" && method == "POST") {
      if (flavor_ == Flavor::cloud && !body["body"].is_object()) return error(400, json{{"comment", "Comment body must be ADF"}});
      i.comments.push_back(body["body"]);
      return json_response(201, json{{"id", std::to_string(i.comments.size())}}.dump());
    }
    if (sub == "/transitions" && method == "GET") {
      // Names are per workflow (and localized); categories are what clients should use.
      return json_response(200, json{{"transitions", json::array({
          {{"id", "11"}, {"name", "Backlog"}, {"to", {{"name", "To Do"}, {"statusCategory", {{"key", "new"}}}}}},
          {{"id", "21"}, {"name", "Start"}, {"to", {{"name", "In Progress"}, {"statusCategory", {{"key", "indeterminate"}}}}}},
          {{"id", "31"}, {"name", "Close"}, {"to", {{"name", "Done"}, {"statusCategory", {{"key", "done"}}}}}}})}}.dump());
    }
    if (sub == "/transitions" && method == "POST") {
      const std::string id = body["transition"].value("id", "");
      if (id == "11") set_status(i.key, "new");
      else if (id == "21") set_status(i.key, "indeterminate");
      else if (id == "31") set_status(i.key, "done");
      else return error(400, json::object(), json::array({"Transition id '" + id + "' is not valid for this issue."}));
      return ServerResponse{http::status::no_content, 11};
    }
    return error(405, json::object(), json::array({"Method not allowed"}));
  }

  Flavor flavor_;
  std::string token_, user_;
  int next_ = 0;
  HttpServer server_;  // last: its threads call handle(), which uses the members above
};

}  // namespace cspm::test
