// The jira sink (the real .so) against the Jira stand-in, with a real SQLite ledger.
#define BOOST_TEST_MODULE jira_sink
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include <cspm/fingerprint.hpp>
#include <cspm/group.hpp>
#include <cspm/jira_wiki.hpp>
#include <cspm/ticket_document.hpp>

#include "../../core/store/sqlite_store.hpp"
#include "jira_standin.hpp"
#include "plugin_stages.hpp"
#include "support.hpp"

using namespace cspm;
using nlohmann::json;
using test::JiraStandin;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;

// Findings, groups and tickets owned by the test, as a pipeline run would make them.
struct Tickets {
  test::FindingFactory mk;
  std::deque<Finding> findings;
  std::vector<TicketPtr> tickets;

  /// One (control, account) ticket for `control` with `members` findings.
  TicketPtr add(const std::string& control, int members, const std::string& assignee = "owner@example.com",
                Timestamp at = kNow) {
    auto g = std::make_shared<Group>();
    g->grouping = "account";
    g->key = {{"control_id", control}, {"account_id", "111122223333"}};
    g->fingerprint = fingerprint("cspm-daily", "account", 1, g->key);
    for (int i = 0; i < members; ++i) {
      Finding& f = findings.emplace_back(mk.make(control + "-" + std::to_string(i), at));
      f.control_id = mk.keep(control);
      g->members.push_back(&f);
    }
    if (!assignee.empty()) g->attributes["assignee"] = assignee;
    const TicketDocument doc = make_ticket_document(*g);
    auto t = std::make_shared<Ticket>(make_ticket(g, doc, jira_wiki_document(doc), "jira_wiki", {}));
    tickets.push_back(t);
    return t;
  }
  Batch batch() const {
    Batch b;
    b.tickets = tickets;
    return b;
  }
};

struct Fixture {
  explicit Fixture(JiraStandin::Flavor flavor = JiraStandin::Flavor::cloud) : jira(flavor), cloud(flavor == JiraStandin::Flavor::cloud) {
    ::setenv("CSPM_TEST_JIRA_TOKEN", "t0ken", 1);
    jira.users["owner@example.com"] = {"5b10ac8d82e05b22cc7d4ef5", "owner"};
  }

  json options(json extra = json::object()) const {
    json o = {{"url", jira.url()}, {"token", {{"env", "CSPM_TEST_JIRA_TOKEN"}}}, {"project", "SEC"},
              {"backoff", "1ms"}, {"max_backoff", "20ms"}, {"rate_limit", 0}, {"search_settle", "1h"}};
    if (cloud) o["user"] = "bot@example.com";  // Cloud: basic auth; Data Center: bearer token
    for (auto& [k, v] : extra.items()) o[k] = v;
    return o;
  }

  /// One delivery through a fresh sink (as one run), returning its status.
  Status run(const Batch& batch, json extra = json::object(), bool dry_run = false, Timestamp now = kNow) {
    auto sink = test::make<Sink>("jira", options(std::move(extra)));
    ctx = std::make_unique<test::RecordingContext>(now);
    ctx->set_ledger(&store.ledger());
    ctx->set_dry_run(dry_run);
    return sink->deliver(*ctx, batch);
  }
  std::uint64_t count(const std::string& name) const { return ctx->counts.count(name) ? ctx->counts.at(name) : 0; }
  std::string logs() const {
    std::string all;
    for (const auto& l : ctx->logs) all += l + "\n";
    return all;
  }
  std::optional<LedgerEntry> entry(const TicketPtr& t) {
    std::optional<LedgerEntry> e;
    BOOST_REQUIRE(store.ledger().get("jira " + jira.url(), t->fingerprint, e).ok());
    return e;
  }

  JiraStandin jira;
  bool cloud;
  test::TempDir dir;
  store::SqliteStore store{dir.path()};
  std::unique_ptr<test::RecordingContext> ctx;
};

struct DataCenter : Fixture {
  DataCenter() : Fixture(JiraStandin::Flavor::datacenter) {}
};

}  // namespace

BOOST_AUTO_TEST_CASE(cloud_files_each_ticket_once_with_adf_marker_priority_and_owner) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 2);
  t.add("IAM.6", 1);
  const Status first = f.run(t.batch());
  BOOST_REQUIRE_MESSAGE(first.ok(), first.message() + "\n" + f.logs());
  BOOST_TEST(f.count("jira_create") == 2u);
  BOOST_REQUIRE_EQUAL(f.jira.issues.size(), 2u);
  const auto marked = f.jira.with_label("cspm-fp-" + t.tickets[0]->fingerprint);
  BOOST_REQUIRE_EQUAL(marked.size(), 1u);
  BOOST_TEST(marked[0]->description.is_object());  // ADF
  BOOST_TEST(marked[0]->description["type"] == "doc");
  BOOST_TEST(marked[0]->priority == "High");
  BOOST_TEST(marked[0]->assignee == "5b10ac8d82e05b22cc7d4ef5");  // e-mail resolved to accountId
  BOOST_TEST(f.entry(t.tickets[0])->issue_key == marked[0]->key);

  // The next run (same groups) changes nothing and asks no user search: the id is cached.
  const int before = f.jira.requests;
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_TEST(f.count("jira_none") == 2u);
  BOOST_TEST(f.jira.issues.size() == 2u);
  for (int i = before; i < f.jira.requests; ++i) BOOST_TEST(f.jira.log[i].find("/user/search") == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(data_center_is_detected_and_gets_wiki_markup_and_user_names, DataCenter) {
  Tickets t;
  t.add("S3.1", 1);
  const Status s = run(t.batch());
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message() + "\n" + logs());
  BOOST_REQUIRE_EQUAL(jira.issues.size(), 1u);
  const auto& issue = jira.issues.begin()->second;
  BOOST_TEST(issue.description.is_string());
  BOOST_TEST(issue.description.get<std::string>().find("h3. Overview") != std::string::npos);
  BOOST_TEST(issue.assignee == "owner");
  for (const auto& line : jira.log) BOOST_TEST(line.find("/rest/api/3/") == std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(a_changed_group_updates_the_issue_and_comments_once) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  Tickets grown;
  grown.add("S3.1", 3);  // same key, more members
  BOOST_REQUIRE(f.run(grown.batch()).ok());
  BOOST_TEST(f.count("jira_update") == 1u);
  const auto& issue = f.jira.issues.begin()->second;
  BOOST_TEST(issue.comments.size() == 1u);
  BOOST_TEST(issue.description.dump().find("S3.1-2") != std::string::npos);
  BOOST_REQUIRE(f.run(grown.batch()).ok());
  BOOST_TEST(f.count("jira_none") == 1u);
  BOOST_TEST(issue.comments.size() == 1u);
  BOOST_TEST(f.jira.issues.size() == 1u);
}

BOOST_AUTO_TEST_CASE(findings_seen_again_with_nothing_new_change_nothing) {
  Fixture f;
  Tickets today, tomorrow;
  today.add("S3.1", 2);
  tomorrow.add("S3.1", 2, "owner@example.com", kNow + 86'400'000);  // only the times moved
  BOOST_REQUIRE(f.run(today.batch()).ok());
  BOOST_REQUIRE(f.run(tomorrow.batch()).ok());
  BOOST_TEST(f.count("jira_none") == 1u);
  BOOST_TEST(f.jira.issues.begin()->second.comments.empty());
}

BOOST_AUTO_TEST_CASE(a_lost_create_of_a_successor_is_not_mistaken_for_its_closed_predecessor) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  const std::string old = f.jira.issues.begin()->first;
  f.jira.set_status(old, "done", "Done", "2020-01-01T00:00:00.000+0000");  // outside the reopen window
  f.jira.lose_create_answers = 1;
  BOOST_TEST(!f.run(t.batch()).ok());  // the successor is filed, its answer lost
  BOOST_REQUIRE_EQUAL(f.jira.issues.size(), 2u);
  BOOST_REQUIRE(f.run(t.batch(), {{"search_settle", "0s"}}).ok());
  BOOST_TEST(f.jira.issues.size() == 2u);  // found the successor; no third issue
  BOOST_TEST(f.entry(t.tickets[0])->issue_key != old);
  BOOST_TEST(f.entry(t.tickets[0])->previous_key == old);
}

BOOST_AUTO_TEST_CASE(a_create_whose_answer_was_lost_is_found_by_its_marker_not_filed_again) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  f.jira.lose_create_answers = 1;  // created, but the answer never reaches us
  f.jira.search_lag = 2;           // and Cloud's search does not show it at once
  BOOST_TEST(!f.run(t.batch()).ok());
  BOOST_TEST(f.entry(t.tickets[0])->state == "creating");
  BOOST_REQUIRE_EQUAL(f.jira.issues.size(), 1u);

  // Not visible yet and the settle time not over: wait, do not create; the run is not done.
  BOOST_TEST(!f.run(t.batch()).ok());
  BOOST_TEST(f.count("jira_deferred") == 1u);
  BOOST_TEST(!f.run(t.batch()).ok());
  BOOST_TEST(f.count("jira_deferred") == 1u);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_TEST(f.count("jira_recovered") == 1u);
  BOOST_TEST(f.jira.issues.size() == 1u);
  BOOST_TEST(f.entry(t.tickets[0])->issue_key == f.jira.issues.begin()->first);
  BOOST_TEST(f.entry(t.tickets[0])->state == "open");
}

BOOST_AUTO_TEST_CASE(an_unconfirmed_create_that_made_nothing_is_repeated_after_the_settle_time) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1, "");  // no owner: no user search between serverInfo and the create
  f.jira.faults.push_back(test::json_response(502, "{}"));  // serverInfo is retried: fine
  f.jira.faults.push_back(test::json_response(200, R"({"deploymentType":"Cloud"})"));
  f.jira.faults.push_back(test::json_response(503, "{}"));  // the create: not repeated blindly
  BOOST_TEST(!f.run(t.batch()).ok());
  BOOST_TEST(f.jira.issues.empty());
  BOOST_REQUIRE(f.run(t.batch(), {{"search_settle", "0s"}}).ok());
  BOOST_TEST(f.count("jira_create") == 1u);
  BOOST_TEST(f.jira.issues.size() == 1u);
}

BOOST_AUTO_TEST_CASE(rate_limits_are_retried_and_counted) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  f.jira.faults.push_back(test::too_many_requests(0));
  f.jira.faults.push_back(test::too_many_requests(0));
  const Status s = f.run(t.batch());
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
  BOOST_TEST(f.count("jira_throttled") == 2u);
  BOOST_TEST(f.jira.issues.size() == 1u);
}

BOOST_AUTO_TEST_CASE(configuration_errors_are_reported_once_with_jiras_message) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  t.add("IAM.6", 1);
  t.add("EC2.19", 1);
  const Status s = f.run(t.batch(), {{"project", "NOPE"}});
  BOOST_TEST(!s.ok());
  int mentions = 0;
  for (const auto& l : f.ctx->logs) mentions += l.find("valid project is required") != std::string::npos;
  BOOST_TEST(mentions == 1);
  std::vector<LedgerEntry> all;
  BOOST_REQUIRE(f.store.ledger().list("jira " + f.jira.url(), all).ok());
  BOOST_TEST(all.empty());  // nothing was created: no intent left behind
}

BOOST_AUTO_TEST_CASE(the_flood_guard_caps_new_tickets_per_run) {
  Fixture f;
  Tickets t;
  for (const char* c : {"A.1", "A.2", "A.3", "A.4", "A.5"}) t.add(c, 1);
  BOOST_REQUIRE(f.run(t.batch(), {{"max_new_tickets", 2}}).ok());
  BOOST_TEST(f.jira.issues.size() == 2u);
  BOOST_TEST(f.count("jira_capped") == 3u);
  BOOST_TEST(f.logs().find("flood guard") != std::string::npos);
  BOOST_REQUIRE(f.run(t.batch(), {{"max_new_tickets", 2}}).ok());
  BOOST_TEST(f.jira.issues.size() == 4u);
}

BOOST_AUTO_TEST_CASE(closed_issues_reopen_within_the_window_else_a_linked_one_is_filed) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  t.add("IAM.6", 1);
  t.add("EC2.19", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  const std::string recent = f.entry(t.tickets[0])->issue_key, old = f.entry(t.tickets[1])->issue_key,
                    wont = f.entry(t.tickets[2])->issue_key;
  f.jira.set_status(recent, "done", "Done", "2099-01-01T00:00:00.000+0000");  // closed "just now"
  f.jira.set_status(old, "done", "Done", "2020-01-01T00:00:00.000+0000");
  f.jira.set_status(wont, "done", "Won't Do", "2099-01-01T00:00:00.000+0000");
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_TEST(f.count("jira_reopen") == 1u);
  BOOST_TEST(f.jira.issues.at(recent).category == "new");
  BOOST_TEST(f.count("jira_create") == 1u);
  const std::string successor = f.entry(t.tickets[1])->issue_key;
  BOOST_TEST(successor != old);
  BOOST_TEST(f.entry(t.tickets[1])->previous_key == old);
  BOOST_TEST(f.jira.issues.at(successor).links == std::vector<std::string>{old});
  BOOST_TEST(f.jira.issues.at(wont).category == "done");  // won't fix stays closed
  BOOST_TEST(f.jira.issues.size() == 4u);
}

BOOST_AUTO_TEST_CASE(tickets_whose_groups_stay_away_are_resolved_once) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  t.add("IAM.6", 1);
  t.add("EC2.19", 1);  // always failing: the runs below plan something
  BOOST_REQUIRE(f.run(t.batch()).ok());
  const std::string gone = f.entry(t.tickets[0])->issue_key, kept = f.entry(t.tickets[1])->issue_key;
  Batch only_iam, only_ec2;
  only_iam.tickets = {t.tickets[1], t.tickets[2]};
  only_ec2.tickets = {t.tickets[2]};
  constexpr Timestamp kDay = 86'400'000;
  BOOST_REQUIRE(f.run(only_iam, json::object(), false, kNow + 2 * kDay).ok());  // within the grace
  BOOST_TEST(f.jira.issues.at(gone).comments.empty());
  BOOST_REQUIRE(f.run(only_iam, json::object(), false, kNow + 4 * kDay).ok());
  BOOST_TEST(f.count("jira_resolve") == 1u);
  BOOST_TEST(f.jira.issues.at(gone).comments.size() == 1u);
  BOOST_TEST(f.jira.issues.at(gone).category == "new");  // no transition unless asked for
  BOOST_TEST(f.entry(t.tickets[0])->state == "resolved");
  BOOST_TEST(f.jira.issues.at(kept).comments.empty());
  BOOST_REQUIRE(f.run(only_iam, json::object(), false, kNow + 5 * kDay).ok());
  BOOST_REQUIRE(f.run(Batch{}, json::object(), false, kNow + 20 * kDay).ok());  // no input: no verdict
  BOOST_TEST(f.jira.issues.at(kept).comments.empty());
  BOOST_TEST(f.jira.issues.at(gone).comments.size() == 1u);  // said once

  // With resolve_transition, an open one moves to a done status (found by category).
  BOOST_REQUIRE(f.run(only_ec2, {{"resolve_transition", true}}, false, kNow + 9 * kDay).ok());
  BOOST_TEST(f.jira.issues.at(kept).category == "done");
  BOOST_TEST(f.entry(t.tickets[1])->state == "closed");
  // The group is back: the closed issue reopens.
  BOOST_REQUIRE(f.run(only_iam, json::object(), false, kNow + 10 * kDay).ok());
  BOOST_TEST(f.jira.issues.at(kept).category == "new");
}

BOOST_AUTO_TEST_CASE(unknown_owners_get_the_fallback_assignee_and_a_label_never_a_failed_run) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1, "");                       // no owner in the owners file
  t.add("IAM.6", 1, "nobody@example.com");    // an owner Jira does not know
  const Status s = f.run(t.batch(), {{"fallback_assignee", "712020:triage"}});
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
  for (const auto& [key, issue] : f.jira.issues) {
    BOOST_TEST(issue.assignee == "712020:triage");
    BOOST_TEST(issue.labels.dump().find("cspm-no-owner") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_failed_owner_lookup_waits_for_the_next_run_instead_of_misassigning) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);  // owner@example.com: Jira knows the user
  f.jira.faults.push_back(test::json_response(200, R"({"deploymentType":"Cloud"})"));  // serverInfo
  for (int i = 0; i < 6; ++i) f.jira.faults.push_back(test::json_response(503, "{}"));  // the user search, retries
  BOOST_TEST(!f.run(t.batch()).ok());
  BOOST_TEST(f.jira.issues.empty());
  BOOST_TEST(!f.entry(t.tickets[0]));
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_REQUIRE_EQUAL(f.jira.issues.size(), 1u);
  BOOST_TEST(f.jira.issues.begin()->second.assignee == "5b10ac8d82e05b22cc7d4ef5");
}

BOOST_AUTO_TEST_CASE(owners_can_route_tickets_to_their_own_project_and_component) {
  Fixture f;
  f.jira.projects.insert("OPS");
  Tickets t;
  auto ticket = t.add("S3.1", 1);
  auto routed = std::make_shared<Group>(*ticket->group);
  routed->attributes["project"] = "OPS";
  routed->attributes["component"] = "Platform";
  auto copy = std::make_shared<Ticket>(*ticket);
  copy->group = routed;
  t.tickets = {copy};
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_REQUIRE_EQUAL(f.jira.issues.size(), 1u);
  BOOST_TEST(f.jira.issues.begin()->second.project == "OPS");
  BOOST_TEST(f.jira.issues.begin()->second.components == std::vector<std::string>{"Platform"});
}

BOOST_AUTO_TEST_CASE(the_token_is_a_secret_reference_and_never_logged) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_TEST(f.logs().find("t0ken") == std::string::npos);
  ::unsetenv("CSPM_TEST_JIRA_TOKEN");
  const Status s = f.run(t.batch());
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("CSPM_TEST_JIRA_TOKEN") != std::string::npos, s.message());
  // A literal token is refused when the pipeline is checked.
  core::ComponentSpec c;
  c.id = "jira";
  c.type = "jira";
  c.options = f.options({{"token", "t0ken"}});
  Diagnostics diags;
  core::check_options(c, test::host().find("jira")->factory->schema(), "/", diags);
  BOOST_REQUIRE_EQUAL(diags.size(), 1u);
  BOOST_TEST(diags[0].path.ends_with(".token"), diags[0].path);
}

BOOST_AUTO_TEST_CASE(dry_runs_print_the_ledgers_action_without_calling_jira) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  t.add("EC2.19", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  Tickets more;
  more.add("S3.1", 2);   // changed: update
  more.add("IAM.6", 1);  // new: create; EC2.19 stays away for four days: resolve
  const int before = f.jira.requests;
  const Timestamp later = kNow + 4LL * 24 * 3600 * 1000;
  BOOST_REQUIRE(f.run(more.batch(), json::object(), true, later).ok());
  BOOST_TEST(f.jira.requests == before);
  std::map<std::string, json> records;
  std::istringstream lines(f.ctx->out.str());
  for (std::string line; std::getline(lines, line);) {
    const json r = json::parse(line);
    records[r["fingerprint"]] = r;
  }
  BOOST_REQUIRE_EQUAL(records.size(), 3u);
  BOOST_TEST(records[more.tickets[0]->fingerprint]["action"] == "update");
  BOOST_TEST(records[more.tickets[0]->fingerprint]["issue_key"] == f.entry(t.tickets[0])->issue_key);
  BOOST_TEST(records[more.tickets[1]->fingerprint]["action"] == "create");
  BOOST_TEST(!records[more.tickets[1]->fingerprint].contains("issue_key"));
  BOOST_TEST(records[t.tickets[1]->fingerprint]["action"] == "resolve");
  BOOST_TEST(records[t.tickets[1]->fingerprint]["issue_key"] == f.entry(t.tickets[1])->issue_key);

  // The real run does what the dry run said.
  BOOST_REQUIRE(f.run(more.batch(), json::object(), false, later).ok());
  BOOST_TEST(f.count("jira_update") == 1u);
  BOOST_TEST(f.count("jira_create") == 1u);
  BOOST_TEST(f.count("jira_resolve") == 1u);
}

BOOST_AUTO_TEST_CASE(refused_credentials_stop_the_run_at_the_first_call_and_say_so_once) {
  Fixture f;
  Tickets t;
  for (const char* c : {"A.1", "A.2", "A.3"}) t.add(c, 1);
  ::setenv("CSPM_TEST_JIRA_WRONG", "expired", 1);
  const Status s = f.run(t.batch(), {{"flavor", "cloud"}, {"token", {{"env", "CSPM_TEST_JIRA_WRONG"}}}});
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("refused the credentials (401)") != std::string::npos, s.message());
  BOOST_TEST(s.message().find("stopped after 1 of 3") != std::string::npos, s.message());
  BOOST_TEST(f.jira.requests == 1);  // not one request per ticket
  BOOST_TEST(f.count("jira_not_attempted") == 2u);
  BOOST_TEST(f.logs().find("expired") == std::string::npos);  // nor the token
  std::vector<LedgerEntry> all;
  BOOST_REQUIRE(f.store.ledger().list("jira " + f.jira.url(), all).ok());
  BOOST_TEST(all.empty());
}

BOOST_AUTO_TEST_CASE(a_jira_that_stays_down_stops_the_run_instead_of_waiting_for_every_ticket) {
  Fixture f;
  Tickets t;
  for (const char* c : {"A.1", "A.2", "A.3"}) t.add(c, 1);
  for (int i = 0; i < 2; ++i) f.jira.faults.push_back(test::json_response(503, R"({"errorMessages":["Service unavailable"]})"));
  const Status s = f.run(t.batch(), {{"flavor", "cloud"}, {"retries", 1}});
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("Jira is unavailable") != std::string::npos, s.message());
  BOOST_TEST(f.jira.requests == 2);  // one call and its retry
  BOOST_TEST(f.jira.issues.empty());
  // Back up: the next run files all three.
  BOOST_REQUIRE(f.run(t.batch(), {{"flavor", "cloud"}}).ok());
  BOOST_TEST(f.jira.issues.size() == 3u);
}

BOOST_AUTO_TEST_CASE(templated_custom_fields_are_filled_from_the_group_and_kept_current) {
  Fixture f;
  f.jira.custom_fields = {"customfield_10010", "customfield_10020", "customfield_10030"};
  const json fields = {{"customfield_10010", "{account_id} in {region}"},
                       {"customfield_10020", {{"value", "{severity}"}}},
                       {"customfield_10030", "{finding_count}"}};
  Tickets t;
  t.add("S3.1", 1);
  const Status s = f.run(t.batch(), {{"fields", fields}});
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message() + "\n" + f.logs());
  const auto& custom = f.jira.issues.begin()->second.custom;
  const GroupFacts facts = facts_of(*t.tickets[0]->group);
  BOOST_TEST(custom["customfield_10010"] == facts.account_id + " in " + facts.regions.front());
  BOOST_TEST(custom["customfield_10020"]["value"] == facts.severity);
  BOOST_TEST(custom["customfield_10030"] == 1);  // a number, for a number field

  // Seen again unchanged: nothing sent. Grown: the count follows.
  BOOST_REQUIRE(f.run(t.batch(), {{"fields", fields}}).ok());
  BOOST_TEST(f.count("jira_none") == 1u);
  Tickets grown;
  grown.add("S3.1", 3);
  BOOST_REQUIRE(f.run(grown.batch(), {{"fields", fields}}).ok());
  BOOST_TEST(f.count("jira_update") == 1u);
  BOOST_TEST(f.jira.issues.begin()->second.custom["customfield_10030"] == 3);
}

BOOST_AUTO_TEST_CASE(a_field_not_on_the_screen_is_reported_once_with_jiras_message) {
  Fixture f;
  Tickets t;
  for (const char* c : {"A.1", "A.2", "A.3"}) t.add(c, 1);
  const Status s = f.run(t.batch(), {{"fields", {{"customfield_10099", "{severity}"}}}});
  BOOST_REQUIRE(!s.ok());
  int mentions = 0;
  for (const auto& l : f.ctx->logs) mentions += l.find("It is not on the appropriate screen") != std::string::npos;
  BOOST_TEST(mentions == 1, f.logs());
  BOOST_TEST(f.jira.issues.empty());
}

BOOST_AUTO_TEST_CASE(bad_field_templates_are_configuration_errors) {
  const auto created = test::create(
      "jira", {{"url", "https://jira.example.com"}, {"token", {{"env", "X"}}}, {"project", "SEC"},
               {"fields", {{"customfield_1", "{acount_id}"}, {"summary", "x"}, {"customfield_2", {{"value", "{severity"}}}}},
               {"marker_field", "labels"}});
  BOOST_REQUIRE(std::holds_alternative<Diagnostics>(created));
  std::set<std::string> paths;
  for (const auto& d : std::get<Diagnostics>(created)) paths.insert(d.path);
  BOOST_TEST(paths.count("fields.customfield_1"));  // unknown placeholder
  BOOST_TEST(paths.count("fields.summary"));        // the sink's own field
  BOOST_TEST(paths.count("fields.customfield_2.value"));  // unbalanced brace
  BOOST_TEST(paths.count("marker_field"));

  // A template may not overwrite the marker.
  const auto clash = test::create("jira", {{"url", "https://jira.example.com"}, {"token", {{"env", "X"}}}, {"project", "SEC"},
                                           {"fields", {{"customfield_10050", "{severity}"}}},
                                           {"marker_field", "customfield_10050"}});
  BOOST_REQUIRE(std::holds_alternative<Diagnostics>(clash));
  BOOST_TEST(std::get<Diagnostics>(clash).front().path == "fields.customfield_10050");
}

BOOST_AUTO_TEST_CASE(a_create_left_without_answer_stops_the_run_and_is_recovered_later) {
  Fixture f;
  Tickets t;
  for (const char* c : {"A.1", "A.2", "A.3"}) t.add(c, 1, "");  // no owner: no user search
  f.jira.drop_create_answers = 1;  // carried out, then the connection closes: no answer at all
  const Status s = f.run(t.batch(), {{"flavor", "cloud"}, {"search_settle", "0s"}});
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("Jira is unavailable") != std::string::npos, s.message());
  BOOST_TEST(f.jira.requests == 1);  // the create was not repeated, nor were the others tried
  BOOST_TEST(f.count("jira_not_attempted") == 2u);
  std::vector<LedgerEntry> all;
  BOOST_REQUIRE(f.store.ledger().list("jira " + f.jira.url(), all).ok());
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].state == "creating");
  BOOST_REQUIRE(f.run(t.batch(), {{"flavor", "cloud"}, {"search_settle", "0s"}}).ok());
  BOOST_TEST(f.jira.issues.size() == 3u);  // the first found by its marker, not filed twice
}

BOOST_AUTO_TEST_CASE(a_5xx_to_one_create_does_not_stop_the_others) {
  Fixture f;
  Tickets t;
  for (const char* c : {"A.1", "A.2", "A.3"}) t.add(c, 1, "");
  f.jira.faults.push_back(test::json_response(503, R"({"errorMessages":["Service unavailable"]})"));
  const Status s = f.run(t.batch(), {{"flavor", "cloud"}, {"search_settle", "0s"}});
  BOOST_TEST(!s.ok());  // one create's outcome is unknown
  BOOST_TEST(f.jira.issues.size() == 2u);
  BOOST_REQUIRE(f.run(t.batch(), {{"flavor", "cloud"}, {"search_settle", "0s"}}).ok());
  BOOST_TEST(f.jira.issues.size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_ticket_claimed_by_another_cspmd_is_left_to_it) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  store::SqliteStore other(f.dir.path());  // another process's connection
  auto held = f.entry(t.tickets[0]);
  ClaimResult claim = ClaimResult::held;
  BOOST_REQUIRE(other.ledger().claim(*held, system_now(), system_now() + 600000, claim).ok());
  BOOST_REQUIRE((claim == ClaimResult::taken));
  Tickets grown;
  grown.add("S3.1", 2);
  const int before = f.jira.requests;
  const Status s = f.run(grown.batch());
  BOOST_TEST(!s.ok());  // pending: the run must not count as done
  BOOST_TEST(s.message().find("pending") != std::string::npos, s.message());
  BOOST_TEST(f.count("jira_busy") == 1u);
  BOOST_TEST(f.jira.requests - before <= 1);  // at most serverInfo: nothing about the issue
  BOOST_TEST(f.jira.issues.begin()->second.comments.empty());
  BOOST_REQUIRE(other.ledger().put(*held).ok());  // released
  BOOST_REQUIRE(f.run(grown.batch()).ok());
  BOOST_TEST(f.count("jira_update") == 1u);
}

BOOST_AUTO_TEST_CASE(an_edit_refused_for_every_ticket_is_reported_once) {
  Fixture f;
  Tickets t;
  for (const char* c : {"A.1", "A.2", "A.3"}) t.add(c, 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  // A template for a field that is not on the edit screen: each update is refused alike.
  const Status s = f.run(t.batch(), {{"fields", {{"customfield_10099", "{severity}"}}}});
  BOOST_REQUIRE(!s.ok());
  int mentions = 0;
  for (const auto& l : f.ctx->logs) mentions += l.find("It is not on the appropriate screen") != std::string::npos;
  BOOST_TEST(mentions == 2, f.logs());  // the error once, and once "the same error failed 3 tickets"
  BOOST_TEST(f.logs().find("the same error failed 3 tickets") != std::string::npos, f.logs());
  BOOST_TEST(f.logs().find("SEC-") == std::string::npos, f.logs());  // said without a key
}

BOOST_AUTO_TEST_CASE(switching_to_a_marker_field_still_finds_issues_marked_by_label) {
  Fixture f;
  f.jira.custom_fields = {"customfield_10050"};
  f.jira.lose_create_answers = 1;
  Tickets t;
  t.add("S3.1", 1);
  BOOST_TEST(!f.run(t.batch()).ok());  // filed with the label; the answer lost
  const Status s = f.run(t.batch(), {{"marker_field", "customfield_10050"}});
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message() + "\n" + f.logs());
  BOOST_TEST(f.jira.issues.size() == 1u);
  BOOST_TEST(f.count("jira_recovered") == 1u);
}

BOOST_AUTO_TEST_CASE(a_marker_field_replaces_the_label_and_finds_lost_creates) {
  Fixture f;
  f.jira.custom_fields = {"customfield_10050"};
  f.jira.lose_create_answers = 1;
  Tickets t;
  t.add("S3.1", 1);
  const json options = {{"marker_field", "customfield_10050"}};
  BOOST_TEST(!f.run(t.batch(), options).ok());  // the answer was lost
  BOOST_REQUIRE_EQUAL(f.jira.issues.size(), 1u);
  const auto& issue = f.jira.issues.begin()->second;
  BOOST_TEST(issue.custom["customfield_10050"] == "cspm-fp-" + t.tickets[0]->fingerprint);
  for (const auto& l : issue.labels) BOOST_TEST(l.get<std::string>().rfind("cspm-fp-", 0) != 0u);
  const Status s = f.run(t.batch(), options);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message() + "\n" + f.logs());
  BOOST_TEST(f.jira.issues.size() == 1u);  // found by the field, not filed again
  BOOST_TEST(f.entry(t.tickets[0])->issue_key == issue.key);
}

BOOST_AUTO_TEST_CASE(a_moved_issue_is_followed_to_its_new_key) {
  Fixture f;
  f.jira.projects.insert("OPS");
  Tickets t;
  t.add("S3.1", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  const std::string moved = f.jira.move(f.entry(t.tickets[0])->issue_key, "OPS");
  Tickets grown;
  grown.add("S3.1", 2);
  BOOST_REQUIRE(f.run(grown.batch()).ok());
  BOOST_TEST(f.count("jira_update") == 1u);
  BOOST_TEST(f.jira.issues.size() == 1u);
  BOOST_TEST(f.entry(t.tickets[0])->issue_key == moved);
}

BOOST_AUTO_TEST_CASE(a_deleted_issue_gives_way_to_another_that_carries_its_marker) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  BOOST_REQUIRE(f.run(t.batch()).ok());
  // A person cloned the issue (labels and all) and deleted the original.
  const std::string original = f.entry(t.tickets[0])->issue_key;
  JiraStandin::Issue clone = f.jira.issues.at(original);
  clone.key = "SEC-900";
  clone.id = "10900";
  f.jira.issues.erase(original);
  f.jira.issues[clone.key] = clone;
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_TEST(f.count("jira_create") == 0u);
  BOOST_TEST(f.entry(t.tickets[0])->issue_key == "SEC-900");
  // Deleted with no clone: a new ticket.
  f.jira.issues.clear();
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_TEST(f.count("jira_create") == 1u);
  BOOST_TEST(f.jira.issues.size() == 1u);
}

BOOST_AUTO_TEST_CASE(huge_hostile_groups_still_fit_jiras_limits) {
  Fixture f;
  Tickets t;
  auto ticket = t.add("S3.1", 400);  // 400 resources
  for (auto* m : ticket->group->members) const_cast<Finding*>(m)->title = t.mk.keep(std::string(10'000, 'x') + " [~admin]");
  // Re-render with the hostile titles.
  const TicketDocument doc = make_ticket_document(*ticket->group);
  t.tickets[0] = std::make_shared<Ticket>(make_ticket(ticket->group, doc, jira_wiki_document(doc), "jira_wiki", {}));
  const Status s = f.run(t.batch());
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message() + "\n" + f.logs());
  const auto& issue = f.jira.issues.begin()->second;
  BOOST_TEST(issue.description.dump().size() <= 32767u);
  BOOST_TEST(issue.description.dump().find("more resources") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(one_jira_spelled_two_ways_is_one_ledger) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  std::string url = f.jira.url();  // http://127.0.0.1:PORT
  url.replace(url.find("127.0.0.1"), 9, "localhost");
  BOOST_REQUIRE(f.run(t.batch(), {{"url", url}}).ok());
  // Same instance: the host's case differs, and a trailing slash.
  url.replace(url.find("localhost"), 9, "LocalHost");
  const Status s = f.run(t.batch(), {{"url", url + "/"}});
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
  BOOST_TEST(f.count("jira_none") == 1u);
  BOOST_TEST(f.jira.issues.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_stopping_daemon_finishes_the_call_in_progress_and_leaves_the_rest_to_the_next_run) {
  Fixture f;
  Tickets t;
  t.add("S3.1", 1);
  t.add("IAM.6", 1);
  t.add("EC2.2", 1);
  // SIGTERM arrives while Jira carries out the first create.
  f.jira.on_request = [&](int) {
    if (f.jira.issues.size() == 1 && !f.ctx->stop_requested()) f.ctx->request_stop();
  };
  const Status stopped = f.run(t.batch());
  BOOST_TEST(!stopped.ok());
  BOOST_TEST(stopped.message().find("stopping") != std::string::npos, stopped.message());
  BOOST_TEST(f.jira.issues.size() == 1u);  // that create completed and was recorded
  BOOST_TEST(f.count("jira_not_attempted") == 2u);
  f.jira.on_request = nullptr;
  BOOST_REQUIRE(f.run(t.batch()).ok());
  BOOST_TEST(f.jira.issues.size() == 3u);  // the rest, and no second copy of the first
  BOOST_TEST(f.count("jira_none") == 1u);
}
