// Reloading the pipelines directory with real plugins: edits, broken edits, removals,
// unchanged files and two files claiming one pipeline id.
#define BOOST_TEST_MODULE pipeline_set
#include <boost/test/unit_test.hpp>

#include "../../../core/serve/pipeline_set.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::core;

namespace {

std::string pipeline(const std::string& id, const std::string& what) {
  return "[pipeline]\nid = \"" + id + "\"\n[sources.all]\ntype = \"store\"\n[transforms.count]\ntype = \"count\"\n"
         "inputs = [\"all\"]\nwhat = \"" + what + "\"\n[sinks.log]\ntype = \"log\"\ninputs = [\"count\"]\n";
}

struct Fixture {
  Fixture() {
    for (const auto& problem : plugins.load_directory(CSPM_PLUGIN_DIR)) BOOST_FAIL(problem);
  }
  PluginHost plugins;
  test::TempDir dir;
  PipelineSet set{plugins, dir.path()};
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_broken_edit_keeps_the_working_version_and_a_fix_replaces_it, Fixture) {
  dir.write("a.toml", pipeline("a", "one"));
  auto r = set.reload();
  BOOST_TEST(r.ok());
  BOOST_TEST(r.added == std::vector<std::string>{"a"});
  const auto first = set.find("a");
  dir.write("a.toml", pipeline("a", "two") + "[transforms.bad]\ntype = \"nope\"\n");
  r = set.reload();
  BOOST_REQUIRE_EQUAL(r.problems.size(), 1u);
  BOOST_TEST(r.problems[0].errors.front().find("a.toml:") != std::string::npos);
  BOOST_TEST(set.find("a") == first);  // the same, working object
  BOOST_TEST(set.problems().size() == 1u);
  dir.write("a.toml", pipeline("a", "three"));
  r = set.reload();
  BOOST_TEST(r.changed == std::vector<std::string>{"a"});
  BOOST_TEST(set.find("a") != first);
  BOOST_TEST(set.problems().empty());
  const auto third = set.find("a");
  r = set.reload();  // nothing changed: nothing rebuilt
  BOOST_TEST(r.unchanged == 1u);
  BOOST_TEST(set.find("a") == third);
  std::filesystem::remove(dir.path() / "a.toml");
  r = set.reload();
  BOOST_TEST(r.removed == std::vector<std::string>{"a"});
  BOOST_TEST(!set.find("a"));
}

BOOST_FIXTURE_TEST_CASE(a_new_file_cannot_take_the_id_of_a_working_pipeline, Fixture) {
  dir.write("z.toml", pipeline("daily", "original"));
  BOOST_REQUIRE(set.reload().ok());
  const auto original = set.find("daily");
  dir.write("a.toml", pipeline("daily", "intruder"));  // sorts first, but comes later
  const auto r = set.reload();
  BOOST_REQUIRE_EQUAL(r.problems.size(), 1u);
  BOOST_TEST(r.problems[0].file.filename() == "a.toml");
  BOOST_TEST(r.problems[0].errors[0].find("already defined in") != std::string::npos);
  BOOST_TEST(r.added.empty());
  BOOST_TEST(set.find("daily") == original);
  BOOST_TEST(set.all().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(editors_temporary_files_are_not_pipelines, Fixture) {
  dir.write(".a.toml.swp", "junk");
  dir.write("a.toml~", "junk");
  dir.write(".#a.toml", "junk");
  dir.write("notes.txt", "junk");
  const auto r = set.reload();
  BOOST_TEST(r.ok());
  BOOST_TEST(set.all().empty());
}
