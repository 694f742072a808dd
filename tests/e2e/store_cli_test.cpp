// End-to-end store: cspmd ingest / query / run on generated days, checked against an
// independent reading (bench/reference_daily.py --latest-counts), through crashes and
// concurrent use.
#define BOOST_TEST_MODULE store_cli
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "support.hpp"

using namespace cspm;
using nlohmann::json;
using test::q;

namespace {

const std::string kSource = CSPM_SOURCE_DIR;
const std::string kDaily = kSource + "/pipelines/cspm-daily.toml";

std::string data_arg(const test::TempDir& d) { return " --data-dir " + q((d.path() / "data").string()); }

json ingest_json(const test::TempDir& d, const std::string& files, const std::string& extra = "") {
  const auto r = test::cspmd("ingest --format json" + data_arg(d) + " " + extra + " " + files);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return json::parse(r.out);
}

std::string sql(const test::TempDir& d, const std::string& statement) {
  const auto r = test::cspmd("query --format csv" + data_arg(d) + " --sql " + q(statement));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto lines = test::lines_of(r.out);
  BOOST_REQUIRE(lines.size() >= 2u);
  std::string v = lines[1];
  if (!v.empty() && v.back() == '\r') v.pop_back();
  return v;
}

json oracle(const std::string& file) {
  const auto r = test::run_command("python3 " + q(kSource + "/bench/reference_daily.py") +
                                   " --now 2026-11-27T08:00:00Z --latest-counts " + q(file));
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return json::parse(r.out);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_cli_test)

BOOST_AUTO_TEST_CASE(stored_counts_match_an_independent_reading) {
  test::TempDir d;
  const auto day = test::generate_findings(d, "day.ndjson",
                                           "--events 6000 --seed 11 --multi-rate 0.05 --hostile-rate 0.01 "
                                           "--malformed-rate 0.003 --end 2026-11-27T08:00:00Z");
  const json expected = oracle(day);
  const json got = ingest_json(d, q(day));
  BOOST_TEST(got.at("events") == expected.at("events"));
  BOOST_TEST(got.at("findings") == expected.at("findings"));
  BOOST_TEST(got.at("findings_new") == expected.at("unique"));
  BOOST_TEST(got.at("quarantined") == expected.at("malformed"));
  BOOST_TEST(expected.at("malformed").get<int>() > 0);

  // One JSON object per stored finding, with the documented fields.
  const auto all = test::cspmd("query --format json" + data_arg(d));
  BOOST_REQUIRE(all.exit_code == 0);
  const auto rows = test::lines_of(all.out);
  BOOST_TEST(rows.size() == expected.at("unique").get<std::size_t>());
  const json first = json::parse(rows.front());
  for (const char* key : {"id", "product_arn", "account_id", "region", "severity", "compliance_status",
                          "workflow_status", "record_state", "control_id", "resource_ids", "updated_at"})
    BOOST_TEST(first.contains(key), key);
  BOOST_TEST(first.at("resource_ids").is_array());

  // Group-by counts, and a filter, agree with the independent reading.
  const auto by_severity = test::cspmd("query --format json -g severity" + data_arg(d));
  json severities = json::object();
  for (const auto& line : test::lines_of(by_severity.out)) {
    const json r = json::parse(line);
    severities[r.at("severity").get<std::string>()] = r.at("findings");
  }
  BOOST_TEST(severities == expected.at("by_severity"));
  const auto [account, count] = *expected.at("by_account").items().begin();
  const auto one = test::cspmd("query --format json --account " + account + data_arg(d));
  BOOST_TEST(test::lines_of(one.out).size() == count.get<std::size_t>());

  // Quarantined records are queryable with where and why.
  BOOST_TEST(sql(d, "SELECT count(*) FROM quarantine WHERE line > 0 AND reason <> ''") ==
             std::to_string(expected.at("malformed").get<int>()));

  // Re-ingest: nothing new, nothing updated, nothing more observed.
  const std::string observations = sql(d, "SELECT count(*) FROM observations");
  const json again = ingest_json(d, q(day));
  BOOST_TEST(again.at("findings_new") == 0);
  BOOST_TEST(again.at("findings_updated") == 0);
  BOOST_TEST(again.at("stale") == got.at("findings"));
  BOOST_TEST(sql(d, "SELECT count(*) FROM observations") == observations);
  BOOST_TEST(sql(d, "SELECT count(*) FROM findings") == std::to_string(expected.at("unique").get<int>()));
}

BOOST_AUTO_TEST_CASE(the_daily_pipeline_plans_the_same_from_the_store_as_from_the_file) {
  test::TempDir d;
  const auto day = test::generate_findings(d, "day.ndjson", "--events 5000 --seed 5 --multi-rate 0.03 "
                                                            "--end 2026-11-27T08:00:00Z --summary " +
                                                                q((d.path() / "summary.json").string()));
  const auto accounts = json::parse(test::read_file(d.path() / "summary.json")).at("accounts");
  std::string list;
  for (std::size_t i = 0; i < 25 && i < accounts.size(); ++i) list += (i ? "," : "") + accounts[i].get<std::string>();
  const std::string args = "run " + q(kDaily) + " --dry-run --now 2026-11-27T08:00:00Z --param accounts=" + list +
                           " --param group_by_account_controls=S3.8,IAM.6,EC2.19 "
                           "--param group_by_resource_controls=EC2.13,S3.2,RDS.2";
  ingest_json(d, q(day));
  const auto from_store = test::cspmd(args + data_arg(d));
  const auto from_file = test::cspmd(args + data_arg(d) + " --input " + q(day));
  BOOST_REQUIRE_MESSAGE(from_store.exit_code == 0, from_store.err);
  BOOST_REQUIRE_MESSAGE(from_file.exit_code == 0, from_file.err);
  BOOST_TEST(test::lines_of(from_store.out).size() >= 3u);
  BOOST_TEST(from_store.out == from_file.out);
  BOOST_TEST(sql(d, "SELECT count(*) FROM runs WHERE outcome = 'success' AND dry_run = 1") == "2");
}

BOOST_AUTO_TEST_CASE(since_last_success_reads_only_what_changed) {
  test::TempDir d;
  std::string pipeline = test::read_file(kDaily);
  const std::string from = "window = { param = \"window\" }";
  pipeline.replace(pipeline.find(from), from.size(), "window = \"since_last_success\"");
  std::filesystem::create_directories(d.path() / "tables");
  std::filesystem::copy_file(kSource + "/pipelines/tables/owners.toml", d.path() / "tables/owners.toml");
  const auto copy = d.write("incremental.toml", pipeline);
  const auto day1 = test::generate_findings(d, "day1.ndjson", "--events 800 --seed 2 --end 2026-11-26T08:00:00Z");
  const auto day2 = test::generate_findings(d, "day2.ndjson", "--events 300 --seed 3 --end 2026-11-27T08:00:00Z");
  const std::string run = "run " + q(copy.string()) + data_arg(d);
  ingest_json(d, q(day1));
  const auto first = test::cspmd(run + " --now 2026-11-26T08:00:00Z");  // a real run: advances the mark
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  BOOST_TEST(first.err.find("no successful run yet") != std::string::npos);
  const json second_ingest = ingest_json(d, q(day2));
  const auto changed = second_ingest.at("findings_new").get<int>() + second_ingest.at("findings_updated").get<int>();
  // The second run sees exactly the findings whose state changed since the first one.
  const auto second = test::cspmd(run + " --now 2026-11-27T08:00:00Z");
  BOOST_REQUIRE_MESSAGE(second.exit_code == 0, second.err);
  const std::string expected = "stored=" + sql(d, "SELECT count(*) FROM findings WHERE change_seq > "
                                                  "(SELECT watermark FROM runs ORDER BY id LIMIT 1)");
  BOOST_TEST(second.err.find(expected) != std::string::npos, second.err);
  BOOST_TEST(changed > 0);
  // Nothing changed since: the next run reads nothing; a dry run does not move the mark.
  const auto dry = test::cspmd(run + " --dry-run --now 2026-11-27T08:00:00Z");
  BOOST_TEST(dry.err.find("stored=0") != std::string::npos, dry.err);
  BOOST_TEST(sql(d, "SELECT count(*) FROM runs WHERE dry_run = 0 AND outcome = 'success'") == "2");
}

BOOST_AUTO_TEST_CASE(kill_9_during_ingest_loses_no_committed_batch) {
  test::TempDir d;
  const auto day = test::generate_findings(d, "big.ndjson", "--events 12000 --seed 8 --end 2026-11-27T08:00:00Z");
  std::size_t committed_new = 0;
  {
    test::Background ingest{{"ingest", "--batch", "1500", "--data-dir", (d.path() / "data").string(), day}};
    for (int batches = 0; batches < 2;) {
      const auto line = ingest.next_line();
      BOOST_REQUIRE_MESSAGE(line, "ingest ended before two batches were committed");
      if (line->rfind("committed: ", 0) != 0) continue;
      // "committed: FILE: N findings (X new, …"
      const auto open = line->find(" findings (");
      committed_new += std::stoul(line->substr(open + 11));
      ++batches;
    }
    ingest.kill9();
    BOOST_TEST(ingest.wait() == -SIGKILL);
  }
  BOOST_TEST(sql(d, "PRAGMA integrity_check") == "ok");
  BOOST_TEST(std::stoul(sql(d, "SELECT count(*) FROM findings")) >= committed_new);
  // Loading the file again completes the store as if nothing had happened.
  ingest_json(d, q(day));
  test::TempDir clean;
  ingest_json(clean, q(day));
  const std::string state = "SELECT count(*) || ':' || sum(updated_at % 1000003) || ':' || sum(length(workflow_status)) "
                            "FROM findings";
  BOOST_TEST(sql(d, state) == sql(clean, state));
  BOOST_TEST(sql(d, "SELECT count(*) FROM observations") == sql(clean, "SELECT count(*) FROM observations"));
}

BOOST_AUTO_TEST_CASE(runs_and_queries_work_while_an_ingest_writes) {
  test::TempDir d;
  const auto day1 = test::generate_findings(d, "day1.ndjson", "--events 600 --seed 4 --end 2026-11-27T08:00:00Z");
  const auto big = test::generate_findings(d, "big.ndjson", "--events 8000 --seed 9 --end 2026-11-27T08:00:00Z");
  ingest_json(d, q(day1));
  const std::string before = sql(d, "SELECT count(*) FROM findings");
  test::Background ingest{{"ingest", "--batch", "1000", "--data-dir", (d.path() / "data").string(), big}};
  BOOST_REQUIRE(ingest.wait_for("committed: "));  // it is now inside its next transaction
  const auto query = test::cspmd("query -g severity" + data_arg(d));
  BOOST_TEST(query.exit_code == 0, query.err);
  const auto run = test::cspmd("run " + q(kDaily) + " --dry-run --now 2026-11-27T08:00:00Z" + data_arg(d));
  BOOST_TEST(run.exit_code == 0, run.err);
  while (ingest.next_line()) {
  }
  BOOST_TEST(ingest.wait() == 0);
  BOOST_TEST(std::stoul(sql(d, "SELECT count(*) FROM findings")) > std::stoul(before));
}

BOOST_AUTO_TEST_CASE(query_sql_cannot_change_the_store) {
  test::TempDir d;
  const auto day = test::generate_findings(d, "day.ndjson", "--events 200 --seed 1");
  ingest_json(d, q(day));
  const std::string count = sql(d, "SELECT count(*) FROM findings");
  const std::string version = sql(d, "PRAGMA user_version");
  for (const char* bad : {"DELETE FROM findings", "UPDATE findings SET severity = 'LOW'",
                                "SELECT 1; DELETE FROM findings", "PRAGMA user_version = 7",
                                "DROP TABLE findings"}) {
    const auto r = test::cspmd("query" + data_arg(d) + " --sql " + q(bad));
    BOOST_TEST(r.exit_code != 0, bad);
    BOOST_TEST(!r.err.empty(), bad);
  }
  BOOST_TEST(sql(d, "SELECT count(*) FROM findings") == count);
  BOOST_TEST(sql(d, "PRAGMA user_version") == version);
  BOOST_TEST(sql(d, "SELECT json_valid(raw_json(min(row))) FROM findings") == "1");
}

BOOST_AUTO_TEST_CASE(unusable_stores_fail_clearly) {
  test::TempDir d;
  const auto file = d.write("plain-file", "x");
  const auto r = test::cspmd("ingest --data-dir " + q((file / "sub").string()) + " " + q(file.string()));
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("cannot create the data directory") != std::string::npos, r.err);
  const auto none = test::cspmd("query --data-dir " + q((d.path() / "empty").string()));
  BOOST_TEST(none.exit_code == 1);
  BOOST_TEST(none.err.find("cspmd ingest first") != std::string::npos, none.err);
  const auto config = d.write("cspmd.toml", "data_dir = 5\n[store]\nretention = \"forever\"\nlisten = 1\n");
  const auto bad = test::cspmd("query -c " + q(config.string()));
  BOOST_TEST(bad.exit_code == 78);
  for (const char* where : {"cspmd.toml:1:", "cspmd.toml:3:", "cspmd.toml:4:"})
    BOOST_TEST(bad.err.find(where) != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_SUITE_END()
