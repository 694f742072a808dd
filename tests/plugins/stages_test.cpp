// The built-in stages, each created by its factory from the real plugin .so.
#define BOOST_TEST_MODULE stages
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include <cspm/batch.hpp>

#include "plugin_stages.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::core;
using nlohmann::json;
using test::create;
using test::make;
using test::host;

namespace {

constexpr Timestamp kNow = 1'700'000'000'000;
constexpr Timestamp kHour = 3'600'000;

Batch run(Transform& t, const Batch& in, test::RecordingContext& ctx) {
  Batch out;
  BOOST_REQUIRE(t.process(ctx, in, out).ok());
  return out;
}

Batch findings_batch(std::vector<Finding>& findings) {
  Batch b;
  for (auto& f : findings) b.findings.push_back(&f);
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stages_test)

BOOST_AUTO_TEST_CASE(match_applies_every_condition) {
  test::FindingFactory mk;
  std::vector<Finding> f;
  for (int i = 0; i < 7; ++i) f.push_back(mk.make("f" + std::to_string(i), kNow - kHour));
  f[1].severity = mk.keep("MEDIUM");
  f[2].compliance_status = {};                    // no compliance status: allowed
  f[3].compliance_status = mk.keep("PASSED");
  f[4].workflow_status = mk.keep("SUPPRESSED");
  f[5].last_observed_at = kNow - 25 * kHour;       // outside the window
  f[6].workflow_status = {};                      // missing: passes not_in
  auto filter = make<Transform>("match", {{"where", {
      {"severity", {{"in", {"CRITICAL", "HIGH"}}}},
      {"compliance_status", {{"in", {"FAILED"}}, {"or_missing", true}}},
      {"workflow_status", {{"not_in", {"SUPPRESSED", "RESOLVED"}}}},
      {"last_observed_at", {{"within", "24h"}}}}}});
  test::RecordingContext ctx{kNow};
  const Batch out = run(*filter, findings_batch(f), ctx);
  std::vector<std::string> kept;
  for (const Finding* x : out.findings) kept.emplace_back(x->id);
  BOOST_TEST(kept == (std::vector<std::string>{"f0", "f2", "f6"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(match_rejects_unknown_fields_with_a_path) {
  const auto created = create("match", {{"where", {{"sevrity", {"HIGH"}}}}});
  BOOST_REQUIRE(std::holds_alternative<Diagnostics>(created));
  const auto& d = std::get<Diagnostics>(created).front();
  BOOST_TEST(d.path == "where.sevrity");
  BOOST_TEST(d.hint == "Did you mean \"severity\"?");
}

BOOST_AUTO_TEST_CASE(match_warns_about_conditions_that_cannot_work) {
  const auto* e = host().find("match");
  BOOST_REQUIRE(e);
  const auto diags = e->factory->validate({{"where", {{"account_id", {{"in", json::array()}}},
                                                       {"region", {{"not_in", {"x"}}, {"or_missing", true}}}}}});
  BOOST_REQUIRE(diags.size() == 2u);
  BOOST_TEST((diags[0].level == Diagnostic::Level::warning && diags[0].code == "W010"));
  BOOST_TEST((diags[1].level == Diagnostic::Level::warning && diags[1].code == "W011"));
}

BOOST_AUTO_TEST_CASE(group_by_fingerprints_ignore_input_order) {
  test::FindingFactory mk;
  std::vector<Finding> f;
  for (int i = 0; i < 12; ++i) {
    f.push_back(mk.make("f" + std::to_string(i)));
    f.back().account_id = mk.keep(i % 2 ? "111122223333" : "444455556666");
    f.back().control_id = mk.keep(i % 3 ? "S3.1" : "IAM.6");
  }
  f.push_back(mk.make("guardduty"));
  f.back().control_id = {};  // no control: cannot be grouped by control
  auto grouper = make<Transform>("group_by", {{"keys", {"control_id", "account_id"}}, {"grouping", "account"}});
  test::RecordingContext ctx;
  const Batch first = run(*grouper, findings_batch(f), ctx);
  BOOST_TEST(first.groups.size() == 4u);
  BOOST_TEST(ctx.counts["ungrouped"] == 1u);
  std::mt19937 rng{42};
  std::shuffle(f.begin(), f.end(), rng);
  const Batch second = run(*grouper, findings_batch(f), ctx);
  BOOST_REQUIRE(second.groups.size() == first.groups.size());
  for (std::size_t i = 0; i < first.groups.size(); ++i) {
    BOOST_TEST(first.groups[i]->fingerprint == second.groups[i]->fingerprint);
    BOOST_TEST(first.groups[i]->members.size() == second.groups[i]->members.size());
    BOOST_TEST(first.groups[i]->grouping == "account");
  }
}

BOOST_AUTO_TEST_CASE(lookup_routes_owners_and_falls_back) {
  test::TempDir dir;
  dir.write("owners.toml", "[accounts.\"111122223333\"]\nname = \"payments-prod\"\nowner = \"alice@example.com\"\n"
                           "[accounts.\"444455556666\"]\nowner = \"bob@example.com\"\nassignee = \"5b10ac8d82e05b22cc7d4ef5\"\n");
  auto lookup = make<Transform>("lookup", {{"file", "owners.toml"}, {"fallback_assignee", "secops-triage"}}, dir.path());
  test::FindingFactory mk;
  std::vector<Finding> f{mk.make("a"), mk.make("b"), mk.make("c")};
  f[1].account_id = mk.keep("444455556666");
  f[2].account_id = mk.keep("999999999999");
  Batch in;
  for (auto& x : f) {
    auto g = std::make_shared<Group>();
    g->grouping = "account";
    g->key = {{"account_id", std::string{x.account_id}}};
    g->members = {&x};
    in.groups.push_back(g);
  }
  test::RecordingContext ctx;
  const Batch out = run(*lookup, in, ctx);
  BOOST_REQUIRE(out.groups.size() == 3u);
  BOOST_TEST(attribute(*out.groups[0], "account_name") == "payments-prod");
  BOOST_TEST(attribute(*out.groups[0], "assignee") == "alice@example.com");
  BOOST_TEST(attribute(*out.groups[1], "assignee") == "5b10ac8d82e05b22cc7d4ef5");
  BOOST_TEST(attribute(*out.groups[2], "assignee") == "secops-triage");
  BOOST_TEST(attribute(*out.groups[2], "label") == "cspm-no-owner");
  BOOST_TEST(ctx.counts["owner_missing"] == 1u);
  BOOST_TEST(attribute(*in.groups[0], "assignee").empty());  // input groups are not modified
}

BOOST_AUTO_TEST_CASE(owners_file_errors_have_positions) {
  test::TempDir dir;
  const auto file = dir.write("owners.toml", "[accounts.\"1234\"]\nowner = \"a\"\n[accounts.\"111122223333\"]\nowenr = \"b\"\nname = 5\n");
  const auto created = create("lookup", {{"file", file.string()}});
  BOOST_REQUIRE(std::holds_alternative<Diagnostics>(created));
  const auto& diags = std::get<Diagnostics>(created);
  BOOST_REQUIRE(diags.size() == 3u);
  BOOST_TEST(diags[0].file == file.string());
  BOOST_TEST(diags[0].line == 1);
  BOOST_TEST(diags[0].message.find("12 digits") != std::string::npos);
  BOOST_TEST(diags[1].line == 4);
  BOOST_TEST(diags[1].hint == "Did you mean \"owner\"?");
  BOOST_TEST(diags[2].line == 5);
}

BOOST_AUTO_TEST_CASE(jira_wiki_tables_survive_hostile_text) {
  test::FindingFactory mk;
  std::vector<Finding> f{mk.make("a")};
  f[0].title = mk.keep("x | y || z {noformat} [~accountid:123] [evil|http://evil] \n h1. boom");
  f[0].description = mk.keep(std::string(10000, '|'));
  f[0].remediation_url = mk.keep("javascript:alert(1)");
  auto g = std::make_shared<Group>();
  g->grouping = "account";
  g->fingerprint = "0123456789abcdef0123456789abcdef";
  g->key = {{"control_id", "S3.1"}, {"account_id", "111122223333"}};
  g->members = {&f[0]};
  g->attributes["assignee"] = "alice@example.com";
  Batch in;
  in.groups.push_back(g);
  auto renderer = make<Transform>("jira_wiki", json::object());
  test::RecordingContext ctx;
  const Batch out = run(*renderer, in, ctx);
  BOOST_REQUIRE(out.tickets.size() == 1u);
  const Ticket& t = *out.tickets[0];
  BOOST_TEST(t.assignee == "alice@example.com");
  BOOST_TEST(t.markup == "jira_wiki");
  BOOST_TEST((std::find(t.labels.begin(), t.labels.end(), "cspm-fp-" + g->fingerprint) != t.labels.end()));
  // Every table row has exactly as many cell separators as its header.
  std::istringstream lines(t.description);
  std::size_t columns = 0, rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("||", 0) == 0) {
      columns = static_cast<std::size_t>(std::count(line.begin(), line.end(), '|')) / 2 - 1;
    } else if (line.rfind("|", 0) == 0) {
      ++rows;
      BOOST_TEST(static_cast<std::size_t>(std::count(line.begin(), line.end(), '|')) == columns + 1, line.substr(0, 80));
    }
    BOOST_TEST(line.rfind("h1.", 0) != 0u);
  }
  BOOST_TEST(rows >= 3u);
  BOOST_TEST(t.description.find("[~") == std::string::npos);
  BOOST_TEST(t.description.find("{noformat}") == std::string::npos);
  BOOST_TEST(t.description.find("|javascript") == std::string::npos);
  BOOST_TEST(t.description.find("[Remediation guide|javascript") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(markdown_tables_survive_hostile_text) {
  test::FindingFactory mk;
  std::vector<Finding> f{mk.make("a")};
  f[0].title = mk.keep("a | b <img src=x onerror=alert(1)> @channel [x](http://evil)");
  auto g = std::make_shared<Group>();
  g->grouping = "resource";
  g->fingerprint = "ff";
  g->key = {{"resource_id", "arn:aws:s3:::bucket-a"}};
  g->members = {&f[0]};
  Batch in;
  in.groups.push_back(g);
  auto renderer = make<Transform>("markdown", json::object());
  test::RecordingContext ctx;
  const Ticket& t = *run(*renderer, in, ctx).tickets.at(0);
  BOOST_TEST(t.description.find("<img") == std::string::npos);
  BOOST_TEST(t.description.find("@channel") == std::string::npos);
  BOOST_TEST(t.description.find("](http://evil)") == std::string::npos);
  BOOST_TEST(t.description.find("[Remediation guide](<https://docs.aws.amazon.com/") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plan_sink_prints_one_sorted_record_per_ticket) {
  test::FindingFactory mk;
  std::vector<Finding> f{mk.make("a")};
  Batch in;
  for (const std::string fp : {"bb", "aa"}) {
    auto g = std::make_shared<Group>();
    g->grouping = "account";
    g->fingerprint = fp;
    g->key = {{"control_id", "S3.1"}, {"account_id", "111122223333"}};
    g->members = {&f[0]};
    auto t = std::make_shared<Ticket>();
    t->fingerprint = fp;
    t->summary = "s";
    t->group = g;
    in.tickets.push_back(t);
  }
  auto sink = make<Sink>("plan", json::object());
  test::RecordingContext ctx;
  BOOST_REQUIRE(sink->deliver(ctx, in).ok());
  const auto lines = test::lines_of(ctx.out.str());
  BOOST_REQUIRE(lines.size() == 2u);
  const json first = json::parse(lines[0]);
  BOOST_TEST(first.at("fingerprint") == "aa");
  BOOST_TEST(first.at("action") == "create");
  BOOST_TEST(first.at("pipeline") == "test-pipeline");
  BOOST_TEST(first.at("control_ids") == json({"S3.1"}));
  BOOST_TEST(first.at("findings") == 1);
  for (const char* key : {"grouping", "account_id", "account_name", "resource_ids", "severity", "assignee",
                          "summary", "description", "labels"})
    BOOST_TEST(first.contains(key), key);
}

BOOST_AUTO_TEST_CASE(count_emits_a_metric) {
  test::FindingFactory mk;
  std::vector<Finding> f{mk.make("a"), mk.make("b")};
  auto counter = make<Transform>("count", {{"what", "new findings"}});
  test::RecordingContext ctx;
  const Batch out = run(*counter, findings_batch(f), ctx);
  BOOST_REQUIRE(out.metrics.size() == 1u);
  BOOST_TEST(out.metrics[0].value == 2.0);
  BOOST_TEST(out.metrics[0].what == "new findings");
}

BOOST_AUTO_TEST_CASE(file_source_counts_and_reports_bad_records) {
  test::TempDir dir;
  const std::string good = test::read_file(std::string{CSPM_TEST_DATA} +
                                           "/reference/aws-solutions-asr/afsbp-ec2.2.json");
  json one = json::parse(good);
  const auto file = dir.write("in.ndjson", one.dump() + "\n{oops\n" + one.dump() + "\n");
  auto source = make<Source>("file", {{"paths", {file.string()}}});
  test::RecordingContext ctx;
  Batch out;
  BOOST_REQUIRE(source->pull(ctx, out).ok());
  BOOST_TEST(out.findings.size() == 1u);  // the same finding twice counts once
  BOOST_TEST(ctx.counts["events"] == 3u);
  BOOST_TEST(ctx.counts["findings"] == 2u);
  BOOST_TEST(ctx.counts["unique"] == 1u);
  BOOST_TEST(ctx.counts["malformed"] == 1u);
  BOOST_REQUIRE(ctx.logs.size() == 1u);
  BOOST_TEST(ctx.logs[0].find(file.string() + ":2: skipped: invalid JSON") == 0u);
  BOOST_TEST(!ctx.kept.empty());  // the findings' storage lives as long as the run
}

BOOST_AUTO_TEST_SUITE_END()
