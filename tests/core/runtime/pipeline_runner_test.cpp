// Tests for core/runtime/pipeline_runner: stages run in order over real plugins, and the
// storage a source hands over lives as long as the caller asks.
#define BOOST_TEST_MODULE pipeline_runner
#include <boost/test/unit_test.hpp>

#include <sstream>

#include "../../../core/plugins/plugin_host.hpp"
#include "../../../core/runtime/pipeline_runner.hpp"
#include "asff_json.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::core;

namespace {

struct Fixture {
  Fixture() {
    for (const auto& problem : plugins.load_directory(CSPM_PLUGIN_DIR)) BOOST_FAIL(problem);
    dir.write("in.ndjson", test::event({test::finding("a"), test::finding("b")}).dump() + "\n" +
                               test::finding("c").dump() + "\n");
    dir.write("p.toml",
              "[pipeline]\nid = \"p\"\n[sources.in]\ntype = \"file\"\npaths = [\"in.ndjson\"]\n"
              "[transforms.count]\ntype = \"count\"\ninputs = [\"in\"]\nwhat = \"findings\"\n"
              "[sinks.log]\ntype = \"log\"\ninputs = [\"count\"]\n");
  }

  std::unique_ptr<PipelineRunner> runner() {
    auto validation = validate_pipeline(dir.path() / "p.toml", plugins);
    BOOST_REQUIRE(validation.pipeline);
    auto created = PipelineRunner::create(std::move(validation.pipeline));
    BOOST_REQUIRE(std::holds_alternative<std::unique_ptr<PipelineRunner>>(created));
    return std::move(std::get<std::unique_ptr<PipelineRunner>>(created));
  }

  PluginHost plugins;
  test::TempDir dir;
  std::ostringstream out, log;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(stages_run_in_order_and_report_counts, Fixture) {
  RunSettings settings;
  settings.output = &out;
  settings.log = &log;
  const RunReport report = runner()->run(settings);
  BOOST_TEST(report.ok, report.error);
  BOOST_REQUIRE_EQUAL(report.stages.size(), 3u);
  BOOST_TEST(report.stages[0].id == "in");
  BOOST_TEST(report.stages[0].emitted == 3u);
  BOOST_TEST(report.stages[1].received == 3u);
  BOOST_TEST(report.counters.at("unique") == 3u);
}

// A one-shot run leaves the findings to the process's exit: the runner hands them over
// instead of freeing them, and frees them itself otherwise.
BOOST_FIXTURE_TEST_CASE(storage_is_handed_over_when_asked_for, Fixture) {
  RunSettings settings;
  settings.output = &out;
  settings.log = &log;
  std::vector<std::shared_ptr<const void>> kept;
  settings.storage_after_run = &kept;
  auto r = runner();
  BOOST_TEST(r->run(settings).ok);
  BOOST_REQUIRE(!kept.empty());
  std::weak_ptr<const void> watched = kept.front();
  BOOST_TEST(watched.use_count() == 1);  // only the caller holds it now
  kept.clear();
  BOOST_TEST(watched.expired());
}
