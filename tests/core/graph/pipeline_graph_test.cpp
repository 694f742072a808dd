// Tests for core/graph: topological order and data types along the daily pipeline.
#define BOOST_TEST_MODULE pipeline_graph
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "config/pipeline_validator.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::core;

BOOST_AUTO_TEST_SUITE(pipeline_graph_test)

BOOST_AUTO_TEST_CASE(order_and_types_of_the_daily_pipeline) {
  PluginHost host;
  BOOST_REQUIRE(host.load_directory(CSPM_PLUGIN_DIR).empty());
  const auto v = validate_pipeline(std::string{CSPM_SOURCE_DIR} + "/pipelines/cspm-daily.toml", host);
  BOOST_REQUIRE(v.pipeline);
  const auto& g = v.pipeline->graph;
  BOOST_REQUIRE(g.order.size() == g.nodes.size());
  // Every stage runs after all of its inputs.
  for (std::size_t pos = 0; pos < g.order.size(); ++pos)
    for (const std::size_t in : g.nodes[g.order[pos]].inputs)
      BOOST_TEST((std::find(g.order.begin(), g.order.begin() + static_cast<long>(pos), in) !=
                  g.order.begin() + static_cast<long>(pos)));
  const auto output_of = [&](const std::string& id) {
    for (const auto& n : g.nodes)
      if (n.spec->id == id) return n.output;
    BOOST_FAIL("no component " << id);
    return DataTypes{0};
  };
  BOOST_TEST(output_of("findings") == kFindings);
  BOOST_TEST(output_of("relevant") == kFindings);   // filters pass their input type through
  BOOST_TEST(output_of("by_account") == kGroups);
  BOOST_TEST(output_of("owners") == kGroups);       // so do enrichers
  BOOST_TEST(output_of("tickets") == kTickets);
  BOOST_TEST(output_of("count_new") == kMetrics);
}

BOOST_AUTO_TEST_CASE(fan_in_merges_types) {
  PluginHost host;
  BOOST_REQUIRE(host.load_directory(CSPM_PLUGIN_DIR).empty());
  test::TempDir dir;
  // A log sink accepts anything: findings and metrics may meet there.
  const auto file = dir.write("p.toml", R"([pipeline]
id = "p"
[sources.in]
type = "file"
paths = ["x"]
[transforms.n]
type = "count"
inputs = ["in"]
[sinks.out]
type = "log"
inputs = ["in", "n"]
)");
  const auto v = validate_pipeline(file, host);
  BOOST_TEST(v.diagnostics.empty());
  BOOST_TEST(v.pipeline != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
