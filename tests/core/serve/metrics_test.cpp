// /metrics text read back by the official Prometheus client library's parser.
#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "../../../core/serve/metrics.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::core;
using nlohmann::json;

namespace {

// Every sample the parser saw, as "name{labels}" → value.
std::map<std::string, double> parsed(const Metrics& m) {
  test::TempDir dir;
  const auto file = dir.path() / "metrics.txt";
  test::write_file(file, m.render());
  const auto r = test::run_command("/usr/bin/python3 " + std::string{CSPM_SOURCE_DIR} + "/tests/tools/parse_prometheus.py " +
                                   file.string());
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err + "\n" + m.render());
  std::map<std::string, double> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    const json s = json::parse(line);
    out[s["name"].get<std::string>() + s["labels"].dump()] = s["value"].get<double>();
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(counters_gauges_and_histograms_parse_as_prometheus_text) {
  Metrics m;
  m.add("cspm_events_received_total", "Events received", 3, {{"endpoint", "firehose"}});
  m.add("cspm_events_received_total", "Events received", 2, {{"endpoint", "firehose"}});
  m.add("cspm_events_received_total", "Events received", 1, {{"endpoint", "ndjson"}});
  m.set("cspm_pipelines", "Pipelines loaded", 2);
  m.observe("cspm_run_duration_seconds", "Pipeline run duration", 0.2, {{"pipeline", "cspm-daily"}});
  m.observe("cspm_run_duration_seconds", "Pipeline run duration", 3, {{"pipeline", "cspm-daily"}});
  m.observe("cspm_run_duration_seconds", "Pipeline run duration", 10'000, {{"pipeline", "cspm-daily"}});
  const auto s = parsed(m);
  BOOST_TEST(s.at(R"(cspm_events_received_total{"endpoint":"firehose"})") == 5);
  BOOST_TEST(s.at(R"(cspm_events_received_total{"endpoint":"ndjson"})") == 1);
  BOOST_TEST(s.at("cspm_pipelines{}") == 2);
  BOOST_TEST(s.at(R"(cspm_run_duration_seconds_bucket{"le":"0.25","pipeline":"cspm-daily"})") == 1);
  BOOST_TEST(s.at(R"(cspm_run_duration_seconds_bucket{"le":"5","pipeline":"cspm-daily"})") == 2);
  BOOST_TEST(s.at(R"(cspm_run_duration_seconds_bucket{"le":"+Inf","pipeline":"cspm-daily"})") == 3);
  BOOST_TEST(s.at(R"(cspm_run_duration_seconds_count{"pipeline":"cspm-daily"})") == 3);
  BOOST_TEST(s.at(R"(cspm_run_duration_seconds_sum{"pipeline":"cspm-daily"})") == 10'003.2, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(m.value("cspm_events_received_total", {{"endpoint", "firehose"}}) == 5);
}

BOOST_AUTO_TEST_CASE(label_values_and_help_from_outside_are_escaped) {
  Metrics m;
  const std::string hostile = "a\"b\\c\nd} x=\"1\"";  // e.g. a pipeline file name
  m.add("cspm_reloads_total", "Reloads\nby \\result", 1, {{"file", hostile}});
  const auto s = parsed(m);
  BOOST_REQUIRE_EQUAL(s.size(), 1u);
  const std::string expected = "cspm_reloads_total" + json{{"file", hostile}}.dump();
  BOOST_TEST(s.begin()->first == expected);
}
