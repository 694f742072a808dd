// End-to-end: the cspmd binary with the real plugins, on real AWS samples and generated days,
// checked against an independent implementation of the same rules (bench/reference_daily.py).
#define BOOST_TEST_MODULE cspmd
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "support.hpp"

using namespace cspm;
using nlohmann::json;

namespace {

const std::string kSource = CSPM_SOURCE_DIR;
const std::string kDaily = kSource + "/pipelines/cspm-daily.toml";

struct Params {
  std::string now;
  std::string accounts;
  std::string account_controls;
  std::string resource_controls;
  std::string window_hours = "24";
  std::string severities = "CRITICAL,HIGH";
};

using test::q;

std::string cspmd_args(const std::vector<std::string>& inputs, const Params& p) {
  std::string args = "run " + q(kDaily) + " --dry-run --now " + p.now + " --input";
  for (const auto& i : inputs) args += " " + q(i);
  args += " --param accounts=" + p.accounts + " --param group_by_account_controls=" + p.account_controls +
          " --param group_by_resource_controls=" + p.resource_controls + " --param window=" + p.window_hours + "h" +
          " --param severities=" + p.severities;
  return args;
}

// The fields both implementations produce, one canonical line per group.
std::multiset<std::string> groups_of(const std::string& lines) {
  std::multiset<std::string> out;
  for (const auto& line : test::lines_of(lines)) {
    const json r = json::parse(line);
    out.insert(json{{"grouping", r.at("grouping")}, {"account_id", r.at("account_id")},
                    {"control_ids", r.at("control_ids")}, {"resource_ids", r.at("resource_ids")},
                    {"severity", r.at("severity")}, {"findings", r.at("findings")}}.dump());
  }
  return out;
}

// `reference_inputs` defaults to `inputs`; the reference reads NDJSON only, so whole-file
// documents are given to it flattened (same findings, one per line).
void compare_with_reference(const std::vector<std::string>& inputs, const Params& p, std::size_t min_groups,
                            std::vector<std::string> reference_inputs = {}, bool same_events = true) {
  const auto ours = test::cspmd(cspmd_args(inputs, p));
  BOOST_REQUIRE_MESSAGE(ours.exit_code == 0, ours.err);
  if (reference_inputs.empty()) reference_inputs = inputs;
  std::string ref_cmd = "python3 " + q(kSource + "/bench/reference_daily.py");
  for (const auto& i : reference_inputs) ref_cmd += " " + q(i);
  ref_cmd += " --now " + p.now + " --accounts " + p.accounts + " --account-controls " + p.account_controls +
             " --resource-controls " + p.resource_controls + " --window-hours " + p.window_hours +
             " --severities " + p.severities;
  const auto ref = test::run_command(ref_cmd);
  BOOST_REQUIRE_MESSAGE(ref.exit_code == 0, ref.err);
  const auto a = groups_of(ours.out), b = groups_of(ref.out);
  BOOST_TEST(a.size() >= min_groups);
  BOOST_TEST(a == b, "cspmd and the reference implementation must find the same groups");
  // The statistics agree too.
  const json stats = json::parse(test::lines_of(ref.err).back());
  for (const char* key : {"events", "malformed", "unique"}) {
    if (!same_events && std::string{key} == "events") continue;
    BOOST_TEST(ours.err.find(std::string{key} + "=" + std::to_string(stats.at(key).get<long>())) != std::string::npos,
               key);
  }
}

std::string generate(const test::TempDir& dir, const std::string& name, const std::string& options) {
  return test::generate_findings(dir, name, options);
}

std::vector<std::string> accounts_of(const std::string& summary_file, std::size_t n) {
  const json s = json::parse(test::read_file(summary_file));
  std::vector<std::string> a = s.at("accounts").get<std::vector<std::string>>();
  a.resize(std::min(n, a.size()));
  return a;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cspmd_test)

BOOST_AUTO_TEST_CASE(bundled_sample_quick_start) {
  // The README's quick start: load the sample into a fresh store, run the daily pipeline on it.
  test::TempDir data;
  const std::string sample = kSource + "/pipelines/samples/security-hub-day.ndjson.gz";
  const auto ingest = test::cspmd("ingest --data-dir " + q(data.path().string()) + " " + q(sample));
  BOOST_REQUIRE_MESSAGE(ingest.exit_code == 0, ingest.err);
  BOOST_TEST(ingest.err.find("security-hub-day.ndjson.gz:") != std::string::npos);  // bad lines named
  BOOST_TEST(ingest.out.find("7 quarantined") != std::string::npos, ingest.out);
  const auto r = test::cspmd("run " + q(kDaily) + " --data-dir " + q(data.path().string()) +
                             " --dry-run --now 2026-11-27T09:00:00+01:00");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto plan = test::lines_of(r.out);
  BOOST_REQUIRE(!plan.empty());
  for (const auto& line : plan) {
    const json p = json::parse(line);
    for (const char* key : {"action", "pipeline", "fingerprint", "grouping", "account_id", "account_name",
                            "control_ids", "resource_ids", "severity", "findings", "assignee", "summary",
                            "description", "labels"})
      BOOST_TEST(p.contains(key), key);
    BOOST_TEST(p.at("pipeline") == "cspm-daily");
    BOOST_TEST(p.at("summary").get<std::string>().size() <= 255u * 4);
  }
  BOOST_TEST(r.err.find("count_new:") != std::string::npos);  // the new-findings count is logged

  // The same day read directly from the file plans the same tickets.
  const auto direct = test::cspmd("run " + q(kDaily) + " --dry-run --now 2026-11-27T09:00:00+01:00 --input " + q(sample));
  BOOST_REQUIRE_MESSAGE(direct.exit_code == 0, direct.err);
  BOOST_TEST(direct.out == r.out);
  BOOST_TEST(direct.err.find("malformed=7") != std::string::npos, direct.err);
}

BOOST_AUTO_TEST_CASE(generated_days_match_the_reference_implementation) {
  test::TempDir dir;
  struct Day {
    std::string seed, events, accounts, extra;
  };
  for (const Day& d : {Day{"101", "6000", "12", "--multi-rate 0.1 --hostile-rate 0.05 --malformed-rate 0.01"},
                       Day{"202", "8000", "30", "--days 2 --malformed-rate 0.005"}}) {
    BOOST_TEST_CONTEXT("seed " << d.seed) {
      const std::string summary = (dir.path() / ("summary-" + d.seed + ".json")).string();
      const std::string file = generate(dir, "day-" + d.seed + ".ndjson",
                                        "--events " + d.events + " --accounts " + d.accounts + " --resources 30 --seed " +
                                            d.seed + " --end 2026-11-27T08:00:00Z --summary " + q(summary) + " " + d.extra);
      Params p;
      p.now = "2026-11-27T08:00:00Z";
      p.accounts = joined(accounts_of(summary, 8));
      p.account_controls = "S3.8,IAM.6,CloudTrail.1,EC2.19,GuardDuty.1";
      p.resource_controls = "EC2.13,EC2.18,S3.2,RDS.2,Lambda.1";
      compare_with_reference({file}, p, 5);
    }
  }
}

BOOST_AUTO_TEST_CASE(real_aws_samples_match_the_reference_implementation) {
  const std::string ref = std::string{CSPM_TEST_DATA} + "/reference/";
  std::vector<std::string> inputs;
  for (const char* f : {"defectdojo/config_multiple_resources.json", "defectdojo/guardduty.json",
                        "defectdojo/inspector_ec2_cve.json", "defectdojo/config_many_findings.json",
                        "aws-solutions-asr/afsbp-ec2.2.json", "aws-solutions-asr/afsbp-s3.1.json",
                        "aws-solutions-asr/afsbp-rds.1.json", "aws-samples-securityhub-jira/imported_new_automated_standard_check.template",
                        "aws-docs-sample-control-findings/sample-control-finding-01.json",
                        "aws-docs-sample-control-findings/sample-control-finding-07.json.txt"})
    inputs.push_back(ref + f);
  // The same findings, one per line, for the reference; unparseable files stay one bad line.
  test::TempDir dir;
  const auto flat = (dir.path() / "flat.ndjson").string();
  std::string flatten = "python3 -c 'import json,sys\n"
                        "for f in sys.argv[1:]:\n"
                        "  t=open(f).read()\n"
                        "  try: d=json.loads(t)\n"
                        "  except ValueError: print(\" \".join(t.split())); continue\n"
                        "  fs=d[\"detail\"][\"findings\"] if \"detail\" in d else d.get(\"findings\") or d.get(\"Findings\") or [d]\n"
                        "  [print(json.dumps(x)) for x in fs]'";
  for (const auto& i : inputs) flatten += " " + q(i);
  BOOST_REQUIRE(test::run_command(flatten + " > " + q(flat)).exit_code == 0);
  // Captured years ago: a window of 20 years takes them all; every account in them counts.
  Params p;
  p.now = "2026-11-27T08:00:00Z";
  p.window_hours = "175200";
  p.accounts = "111111111111,123456789012,012345678912,1234567890123,123456789123,222222222222,111122223333";
  p.account_controls = "EC2.2,S3.8,CloudTrail.2,S3.1";
  p.resource_controls = "EC2.2,RDS.1,EC2.8";
  p.severities = "CRITICAL,HIGH,MEDIUM";
  compare_with_reference(inputs, p, 1, {flat}, false);
}

BOOST_AUTO_TEST_CASE(plan_does_not_depend_on_input_order_or_threads) {
  test::TempDir dir;
  const std::string summary = (dir.path() / "summary.json").string();
  // Over 16 MiB, so that the file source reads it with several threads.
  const std::string file = generate(dir, "day.ndjson", "--events 7000 --accounts 6 --resources 25 --seed 7 "
                                                       "--end 2026-11-27T08:00:00Z --summary " + q(summary));
  BOOST_REQUIRE(std::filesystem::file_size(file) > (16u << 20));
  auto lines = test::lines_of(test::read_file(file));
  std::mt19937 rng{1};
  std::shuffle(lines.begin(), lines.end(), rng);
  std::string shuffled;
  for (const auto& l : lines) shuffled += l + "\n";
  const auto shuffled_file = dir.write("shuffled.ndjson", shuffled).string();
  Params p;
  p.now = "2026-11-27T08:00:00Z";
  p.accounts = joined(accounts_of(summary, 6));
  p.account_controls = "S3.8,IAM.6,CloudTrail.1,EC2.19";
  p.resource_controls = "EC2.13,EC2.18,S3.2,RDS.2";
  const auto a = test::cspmd(cspmd_args({file}, p));
  const auto b = test::cspmd(cspmd_args({shuffled_file}, p));
  BOOST_REQUIRE(a.exit_code == 0);
  BOOST_REQUIRE(b.exit_code == 0);
  BOOST_TEST(!a.out.empty());
  BOOST_TEST(a.out == b.out, "same plan, byte for byte, whatever the order of events");

  // The same file read by one thread and by several.
  for (const int threads : {1, 4}) {
    std::string pipeline = test::read_file(kDaily);
    const std::string from = "type = \"store\"\nwindow = { param = \"window\" }";
    BOOST_REQUIRE(pipeline.find(from) != std::string::npos);
    pipeline.replace(pipeline.find(from), from.size(),
                     "type = \"file\"\npaths = [\"-\"]\nthreads = " + std::to_string(threads));
    const std::string owners = kSource + "/pipelines/tables/owners.toml";
    const auto copy = dir.write("daily-" + std::to_string(threads) + ".toml", pipeline);
    std::filesystem::create_directories(dir.path() / "tables");
    std::filesystem::copy_file(owners, dir.path() / "tables/owners.toml",
                               std::filesystem::copy_options::overwrite_existing);
    std::string args = cspmd_args({file}, p);
    args.replace(args.find(q(kDaily)), q(kDaily).size(), q(copy.string()));
    const auto t = test::cspmd(args);
    BOOST_REQUIRE_MESSAGE(t.exit_code == 0, t.err);
    BOOST_TEST(t.out == a.out, "threads = " << threads);
  }
}

BOOST_AUTO_TEST_CASE(stdin_and_gzip_give_the_same_plan_as_files) {
  const std::string sample = kSource + "/pipelines/samples/security-hub-day.ndjson.gz";
  const std::string args = "run " + q(kDaily) + " --dry-run --now 2026-11-27T08:00:00Z";
  const auto from_file = test::cspmd(args + " --input " + q(sample));
  const auto from_stdin = test::run_command("gzip -dc " + q(sample) + " | CSPM_PLUGIN_DIR='" + CSPM_PLUGIN_DIR +
                                            "' CSPM_DATA_DIR='" + test::test_data_dir().string() + "' '" +
                                            CSPMD_BINARY + "' " + args + " --input -");
  BOOST_REQUIRE(from_file.exit_code == 0);
  BOOST_REQUIRE_MESSAGE(from_stdin.exit_code == 0, from_stdin.err);
  BOOST_TEST(!from_file.out.empty());
  BOOST_TEST(from_file.out == from_stdin.out);
}

BOOST_AUTO_TEST_CASE(validate_reports_all_errors_and_exits_78) {
  const std::string dir = std::string{CSPM_TEST_DATA} + "/pipelines/invalid";
  const auto r = test::cspmd("validate --pipelines-dir " + q(dir));
  BOOST_TEST(r.exit_code == 78);
  BOOST_TEST(r.out.find("unknown_names.toml:2:2: error[E002]: sink: unknown table [sink]") != std::string::npos);
  BOOST_TEST(r.out.find("graph_errors.toml:6:1: error[E022]") != std::string::npos);
  BOOST_TEST(r.out.find("Did you mean \"level\"?") != std::string::npos);
  const auto ok = test::cspmd("validate " + q(kDaily));
  BOOST_TEST(ok.exit_code == 0);
  const auto json_out = test::cspmd("validate --format json " + q(dir + "/type_mismatch.toml"));
  BOOST_TEST(json_out.exit_code == 78);
  const json report = json::parse(json_out.out);
  BOOST_TEST(report.at(0).at("ok") == false);
  bool mismatch = false;
  for (const auto& d : report.at(0).at("diagnostics")) mismatch = mismatch || d.at("code") == "E023";
  BOOST_TEST(mismatch);
}

BOOST_AUTO_TEST_CASE(plugins_lists_types_with_their_libraries) {
  const auto r = test::cspmd("plugins --json");
  BOOST_REQUIRE(r.exit_code == 0);
  const json out = json::parse(r.out);
  std::set<std::string> types;
  for (const auto& t : out.at("types")) {
    types.insert(t.at("type"));
    BOOST_TEST(std::filesystem::exists(t.at("library").get<std::string>()));
    BOOST_TEST(!t.at("kind").get<std::string>().empty());
    BOOST_TEST(t.at("options").is_array());
  }
  BOOST_TEST(types == (std::set<std::string>{"count", "file", "group_by", "jira", "jira_wiki", "log", "lookup",
                                              "markdown", "match", "plan", "store"}));
}

BOOST_AUTO_TEST_CASE(bad_runs_fail_clearly) {
  // A missing input file fails the run (exit 1) and says which file.
  auto r = test::cspmd("run " + q(kDaily) + " --dry-run --input /nonexistent/day.ndjson");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("cannot open /nonexistent/day.ndjson") != std::string::npos);
  // Usage errors exit 2; configuration errors exit 78.
  BOOST_TEST(test::cspmd("run").exit_code == 2);
  BOOST_TEST(test::cspmd("run " + q(kDaily) + " --now yesterday").exit_code == 2);
  BOOST_TEST(test::cspmd("frobnicate").exit_code == 2);
  r = test::cspmd("run " + q(kDaily) + " --param acounts=1");
  BOOST_TEST(r.exit_code == 78);
  BOOST_TEST(r.err.find("Did you mean \"accounts\"?") != std::string::npos);
  // A refused plugin directory leaves nothing to run with: a configuration error, not a crash.
  r = test::cspmd("run " + q(kDaily) + " --plugin-dir /nonexistent");
  BOOST_TEST(r.exit_code == 78);
  BOOST_TEST(r.err.find("plugin directory /nonexistent does not exist") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
