// `jira` sink: files each ticket as a Jira issue, exactly once, through the ledger.
#include <algorithm>
#include <limits>
#include <set>
#include <memory>
#include <regex>

#include <boost/beast/core/detail/base64.hpp>

#include <cspm/factory_base.hpp>
#include <cspm/http_client.hpp>
#include <cspm/plan_record.hpp>
#include <cspm/registrar.hpp>
#include <cspm/secret.hpp>

#include "field_templates.hpp"
#include "ticket_sync.hpp"

namespace cspm::plugins::jira {
namespace {

using json = nlohmann::json;

struct SinkSettings {
  std::string url;
  std::string flavor;  // auto | cloud | datacenter
  std::string user;    // Cloud: the account's e-mail (basic auth); empty: bearer token (DC PAT)
  json token;          // secret reference
  std::filesystem::path pipeline_dir;
  HttpClientOptions http;
  DeliveryPolicy delivery;
  SyncPolicy sync;
};

std::string base64(const std::string& s) {
  std::string out(boost::beast::detail::base64::encoded_size(s.size()), '\0');
  out.resize(boost::beast::detail::base64::encode(out.data(), s.data(), s.size()));
  return out;
}

// The URL as the ledger knows its Jira: "HTTPS://Jira.Example.com:443/" and
// "https://jira.example.com" are one instance, whose tickets must not be filed twice.
std::string tracker_origin(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t host_end = std::min(url.find('/', scheme_end + 3), url.size());
  std::string origin = url.substr(0, host_end);
  std::transform(origin.begin(), origin.end(), origin.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* port : {"https://|:443", "http://|:80"}) {
    const std::string_view p{port};
    const std::string scheme{p.substr(0, p.find('|'))}, suffix{p.substr(p.find('|') + 1)};
    if (origin.rfind(scheme, 0) == 0 && origin.size() > suffix.size() &&
        origin.compare(origin.size() - suffix.size(), suffix.size(), suffix) == 0)
      origin.resize(origin.size() - suffix.size());
  }
  return origin + url.substr(host_end);  // a context path (Data Center's /jira) keeps its case
}

class JiraSink final : public Sink {
 public:
  explicit JiraSink(SinkSettings settings) : s_(std::move(settings)) {
    tracker_ = "jira " + tracker_origin(s_.url);  // not the project: owners may route tickets to several
  }

  Status deliver(RunContext& ctx, const Batch& in) override {
    try {
      return deliver_all(ctx, in);
    } catch (const std::exception& e) {  // nothing may cross the plugin boundary
      return Status::failure(std::string{"jira sink: "} + e.what());
    } catch (...) {
      return Status::failure("jira sink: unknown exception");
    }
  }

 private:
  Status deliver_all(RunContext& ctx, const Batch& in) {
    std::vector<TicketPtr> tickets = in.tickets;
    std::sort(tickets.begin(), tickets.end(),
              [](const TicketPtr& a, const TicketPtr& b) { return a->fingerprint < b->fingerprint; });
    TicketLedger* ledger = ctx.ledger();
    if (ctx.dry_run()) return plan(ctx, tickets, ledger);
    if (!ledger) return Status::failure("the jira sink needs cspmd's store for its ledger (check --data-dir)");
    if (tickets.empty()) return Status::success();  // nothing to file, and no evidence to resolve on

    std::string token;
    if (Status s = resolve_secret(s_.token, s_.pipeline_dir, token); !s) return Status::failure("jira token: " + s.message());
    const std::string authorization =
        s_.user.empty() ? "Bearer " + token : "Basic " + base64(s_.user + ":" + token);
    std::unique_ptr<HttpClient> client;
    if (Status s = HttpClient::create(s_.url, s_.http, client); !s) return s;
    Delivery delivery(*client, s_.delivery);
    delivery.set_stop([&ctx] { return ctx.stop_requested(); });
    Flavor flavor = s_.flavor == "cloud" ? Flavor::cloud : Flavor::datacenter;
    if (s_.flavor == "auto")
      if (Status s = JiraApi::detect(delivery, authorization, flavor); !s)
        return Status::failure("cannot tell Jira Cloud from Data Center: " + s.message());
    JiraApi api(delivery, flavor, authorization);
    // Dry runs lay descriptions out for the flavour the last real run found.
    (void)ledger->cache_put(tracker_, "flavor", flavor == Flavor::cloud ? "cloud" : "datacenter",
                            std::numeric_limits<Timestamp>::max());

    TicketSync sync(api, *ledger, ctx, s_.sync, tracker_);
    std::map<Action, std::uint64_t> actions;
    std::set<std::string> planned;
    std::size_t done = 0;
    bool stopped = false;
    for (const auto& t : tickets) {
      if (api.halted()) break;  // the rest stay as they are for the next run
      if (ctx.stop_requested()) {  // cspmd is stopping: the call in progress has finished
        stopped = true;
        break;
      }
      // One odd answer (a body of the wrong shape) fails its ticket, not the ones after it.
      Action a = Action::failed;
      try {
        a = sync.sync(*t);
      } catch (const std::exception& e) {
        ctx.log(LogLevel::error, t->fingerprint + ": " + e.what());
      }
      ++actions[a];
      planned.insert(t->fingerprint);
      ++done;
    }
    // Resolving needs evidence that the pipeline still sees data: a run that planned nothing
    // may be one whose input stopped (ingest down), not one whose findings were all fixed.
    std::uint64_t resolve_failed = 0;
    if (!api.halted() && !stopped) {
      try {
        actions[Action::resolve] += sync.resolve_absent(planned, resolve_failed);
      } catch (const std::exception& e) {
        ctx.log(LogLevel::error, std::string{"resolving: "} + e.what());
        ++resolve_failed;
      }
    }
    actions[Action::failed] += resolve_failed;
    for (const auto& [action, n] : actions) ctx.count(std::string{"jira_"} + action_name(action), n);
    ctx.count("jira_requests", delivery.stats().requests);
    ctx.count("jira_request_ms", delivery.stats().request_ms);
    if (delivery.stats().throttled) ctx.count("jira_throttled", delivery.stats().throttled);
    if (delivery.stats().retries) ctx.count("jira_retries", delivery.stats().retries);
    for (const auto& r : sync.rejections()) ctx.log(LogLevel::error, r);
    for (const auto& [message, n] : sync.failures())
      if (n > 1) ctx.log(LogLevel::error, "the same error failed " + std::to_string(n) + " tickets: " + message);
    if (api.halted()) {
      ctx.count("jira_not_attempted", tickets.size() - done);
      return Status::failure(api.halt_reason() + "; stopped after " + std::to_string(done) + " of " +
                             std::to_string(tickets.size()) + " tickets, the next run goes on");
    }
    if (stopped) {
      ctx.count("jira_not_attempted", tickets.size() - done);
      return Status::failure("cspmd is stopping; stopped after " + std::to_string(done) + " of " +
                             std::to_string(tickets.size()) + " tickets, the next run goes on");
    }
    if (const auto capped = actions[Action::capped])
      ctx.log(LogLevel::warning, "flood guard: " + std::to_string(capped) + " tickets not created this run (max_new_tickets = " +
                                     std::to_string(s_.sync.max_new_tickets) + "); they are created by later runs");
    const auto failed = actions[Action::failed];
    if (failed)
      return Status::failure(std::to_string(failed) + " of " + std::to_string(tickets.size()) +
                             " tickets could not be synced with Jira (see above); the next run retries them");
    // Not done yet either: the run must not count as a success (its watermark would skip them).
    if (const auto pending = actions[Action::deferred] + actions[Action::busy])
      return Status::failure(std::to_string(pending) +
                             " tickets are pending (a create awaiting Jira's search, or another cspmd writing "
                             "them); the next run completes them");
    return Status::success();
  }

  // Dry run: what the ledger says would happen, without calling Jira.
  Status plan(RunContext& ctx, const std::vector<TicketPtr>& tickets, TicketLedger* ledger) {
    std::ostream& out = ctx.output();
    Flavor flavor = s_.flavor == "cloud" ? Flavor::cloud : Flavor::datacenter;
    if (std::optional<std::string> seen; s_.flavor == "auto" && ledger &&
                                         ledger->cache_get(tracker_, "flavor", system_now(), seen) && seen)
      flavor = *seen == "cloud" ? Flavor::cloud : Flavor::datacenter;
    std::set<std::string> planned;
    for (const auto& t : tickets) {
      std::optional<LedgerEntry> entry;
      if (ledger)
        if (Status s = ledger->get(tracker_, t->fingerprint, entry); !s) return s;
      const std::string hash = issue_content(*t, s_.sync.content, flavor, ctx.pipeline_id()).hash;
      const Action action = planned_action(entry, hash, s_.sync, system_now());
      ctx.count(std::string{"plan_"} + action_name(action), 1);
      json record = plan_record(*t, ctx.pipeline_id(), action_name(action));
      if (entry && !entry->issue_key.empty()) record["issue_key"] = entry->issue_key;
      out << record.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
      planned.insert(t->fingerprint);
    }
    // The open tickets a real run would resolve (it does so only when it has tickets).
    std::vector<LedgerEntry> entries;
    if (ledger && !tickets.empty())
      if (Status s = ledger->list(tracker_, entries); !s) return s;
    for (const auto& e : entries) {
      if (planned.count(e.fingerprint) || !due_for_resolve(e, ctx.pipeline_id(), ctx.now(), s_.sync)) continue;
      ctx.count("plan_resolve", 1);
      out << json{{"action", "resolve"}, {"pipeline", ctx.pipeline_id()}, {"fingerprint", e.fingerprint},
                  {"issue_key", e.issue_key}, {"last_planned", format_timestamp(e.last_planned)}}
                 .dump(-1, ' ', false, json::error_handler_t::replace)
          << '\n';
    }
    out.flush();
    return out ? Status::success() : Status::failure("could not write plan records");
  }

  SinkSettings s_;
  std::string tracker_;
};

std::chrono::milliseconds duration(const Options& o, const char* name) {
  return parse_duration(o.at(name).get<std::string>()).value_or(std::chrono::milliseconds{0});
}

class JiraSinkFactory final : public FactoryBase<StageKind::sink> {
 public:
  JiraSinkFactory()
      : FactoryBase(
            "jira",
            "Files each ticket as a Jira issue (Cloud REST v3 or Data Center v2), once per fingerprint, "
            "updating or reopening it as the group changes",
            {{"url", OptionType::string, true, nullptr, "Jira base URL, https:// (http:// only for local test instances)", {}},
             {"flavor", OptionType::string, false, "auto", "Jira Cloud or Data Center (auto: ask /serverInfo)",
              {"auto", "cloud", "datacenter"}},
             {"user", OptionType::string, false, "", "Cloud: the API token's account e-mail; empty: bearer token (Data Center PAT)", {}},
             {"token", OptionType::secret, true, nullptr, "API token or personal access token", {}},
             {"project", OptionType::string, true, nullptr, "project key", {}},
             {"issue_type", OptionType::string, false, "Task", "issue type name", {}},
             {"priorities", OptionType::table, false,
              json{{"CRITICAL", "Highest"}, {"HIGH", "High"}, {"MEDIUM", "Medium"}, {"LOW", "Low"}, {"INFORMATIONAL", "Lowest"}},
              "severity -> Jira priority name", {}},
             {"components", OptionType::string_list, false, json::array(), "components to set", {}},
             {"labels", OptionType::string_list, false, json::array(), "labels added to every issue", {}},
             {"ca_file", OptionType::path, false, "", "PEM CA bundle to trust instead of the system's", {}},
             {"timeout", OptionType::duration, false, "30s", "per network step", {}},
             {"retries", OptionType::integer, false, 5, "retries of 429, 5xx and timeouts", {}},
             {"backoff", OptionType::duration, false, "1s", "first retry wait (doubles, with jitter)", {}},
             {"max_backoff", OptionType::duration, false, "60s", "longest retry wait, also for Retry-After", {}},
             {"rate_limit", OptionType::integer, false, 5, "requests per second at most (0: no limit)", {}},
             {"max_new_tickets", OptionType::integer, false, 50, "flood guard: new issues per run at most", {}},
             {"reopen_window", OptionType::duration, false, "30d", "a closed issue whose group is back is reopened within this; later a new linked issue is filed", {}},
             {"wont_fix_resolutions", OptionType::string_list, false, json::array({"Won't Do", "Won't Fix", "Declined"}),
              "resolutions that keep an issue closed", {}},
             {"search_settle", OptionType::duration, false, "2m",
              "how long an unconfirmed create may stay invisible to Jira's search before it is repeated", {}},
             {"fallback_assignee", OptionType::string, false, "", "assignee when the owner is unknown (empty: project default)", {}},
             {"owner_missing_label", OptionType::string, false, "cspm-no-owner",
              "label when no owner is known or Jira knows no user for the owner's e-mail", {}},
             {"comment_on_update", OptionType::boolean, false, true, "comment when an open issue's content changes", {}},
             {"resolve_after", OptionType::duration, false, "72h",
              "an open issue whose group was not planned for this long gets a 'resolved' comment (0s: never)", {}},
             {"resolve_transition", OptionType::boolean, false, false, "then also move it to a done status", {}},
             {"description_limit", OptionType::integer, false, 32767, "description size limit, in characters", {}},
             {"fields", OptionType::table, false, json::object(),
              "more fields to set, field id = template, e.g. customfield_10010 = \"{account_id}\" or "
              "{ value = \"{severity}\" } (placeholders: account_id, account_name, severity, control_id, region, ...)",
              {}},
             {"marker_field", OptionType::string, false, "",
              "custom field (customfield_NNNNN, single-line text) that carries the ticket's marker instead of a label", {}}},
            {kTickets, 0, false}) {}

  Diagnostics validate(const Options& o) const override {
    Diagnostics d;
    const std::string url = o.at("url").get<std::string>();
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0)
      d.push_back(make_error("E007", "url", "must start with https:// (or http:// for a local test instance)"));
    if (o.at("project").get<std::string>().empty()) d.push_back(make_error("E008", "project", "must not be empty"));
    if (!o.at("priorities").is_object()) d.push_back(make_error("E007", "priorities", "expected a table of severity = \"Priority\""));
    else
      for (const auto& [k, v] : o.at("priorities").items())
        if (!v.is_string()) d.push_back(make_error("E007", "priorities." + k, "expected a priority name"));
    for (const char* n : {"retries", "rate_limit", "max_new_tickets"})
      if (o.at(n).get<long long>() < 0) d.push_back(make_error("E007", n, "must not be negative"));
    for (const auto& [path, message] : field_template_errors(o.at("fields")))
      d.push_back(make_error("E007", path.empty() ? "fields" : "fields." + path, message));
    if (const std::string m = o.at("marker_field").get<std::string>();
        !m.empty() && !std::regex_match(m, std::regex{"^customfield_[0-9]+$"}))
      d.push_back(make_error("E007", "marker_field", "expected a custom field id, e.g. customfield_10050"));
    else if (!m.empty() && o.at("fields").is_object() && o.at("fields").contains(m))
      d.push_back(make_error("E007", "fields." + m, "is the marker_field: the sink sets it, a template would replace the marker"));
    if (o.at("description_limit").get<long long>() < 1000)
      d.push_back(make_error("E007", "description_limit", "must be at least 1000"));
    return d;
  }

  CreateResult create(const Options& o, const StageEnv& env) const override {
    SinkSettings s;
    s.url = o.at("url").get<std::string>();
    s.flavor = o.at("flavor").get<std::string>();
    s.user = o.at("user").get<std::string>();
    s.token = o.at("token");
    s.pipeline_dir = env.pipeline_dir;
    s.http.ca_file = o.at("ca_file").get<std::string>();
    s.http.timeout = duration(o, "timeout");
    s.delivery.retries = static_cast<int>(o.at("retries").get<long long>());
    s.delivery.backoff = duration(o, "backoff");
    s.delivery.max_backoff = duration(o, "max_backoff");
    s.delivery.requests_per_second = static_cast<double>(o.at("rate_limit").get<long long>());
    s.sync.content.project = o.at("project").get<std::string>();
    s.sync.content.issue_type = o.at("issue_type").get<std::string>();
    for (const auto& [k, v] : o.at("priorities").items()) s.sync.content.priorities[k] = v.get<std::string>();
    s.sync.content.components = o.at("components").get<std::vector<std::string>>();
    s.sync.content.labels = o.at("labels").get<std::vector<std::string>>();
    s.sync.content.description_limit = o.at("description_limit").get<std::size_t>();
    s.sync.content.fields = o.at("fields");
    s.sync.content.marker_field = o.at("marker_field").get<std::string>();
    s.sync.reopen_window = duration(o, "reopen_window");
    for (const auto& r : o.at("wont_fix_resolutions")) s.sync.wont_fix.insert(r.get<std::string>());
    s.sync.search_settle = duration(o, "search_settle");
    s.sync.max_new_tickets = o.at("max_new_tickets").get<std::uint64_t>();
    s.sync.fallback_assignee = o.at("fallback_assignee").get<std::string>();
    s.sync.owner_missing_label = o.at("owner_missing_label").get<std::string>();
    s.sync.comment_on_update = o.at("comment_on_update").get<bool>();
    s.sync.resolve_after = duration(o, "resolve_after");
    s.sync.resolve_transition = o.at("resolve_transition").get<bool>();
    // Claims are renewed before each call that changes Jira: one call, with all its
    // retries, must fit in a lease, or a second cspmd could act on the same ticket.
    const auto one_call = (s.delivery.retries + 1) * (s.http.timeout + s.delivery.max_backoff);
    s.sync.lease = std::max<std::chrono::milliseconds>(std::chrono::minutes{10}, 2 * one_call);
    return std::make_unique<JiraSink>(std::move(s));
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<JiraSinkFactory>()); }

}  // namespace
}  // namespace cspm::plugins::jira

CSPM_PLUGIN("jira", CSPM_SDK_VERSION, cspm::plugins::jira::register_factories)
