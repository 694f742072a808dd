// Load tests (ISC Kea style): the real plugin .so files, and broken ones that must be refused.
#define BOOST_TEST_MODULE plugin_host
#include <boost/test/unit_test.hpp>

#include <set>

#include <cspm/abi.hpp>

#include "plugins/plugin_host.hpp"

using namespace cspm;
using namespace cspm::core;

namespace {

std::string fixture(const std::string& name) {
  return std::string{CSPM_FIXTURE_DIR} + "/libcspm-fixture-" + name + ".so";
}

std::string load_error(const std::string& name) {
  PluginHost host;
  const auto problems = host.load_file(fixture(name));
  BOOST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(host.entries().empty());
  return problems[0];
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_host_test)

BOOST_AUTO_TEST_CASE(built_in_plugins_load_each_from_its_own_library) {
  PluginHost host;
  BOOST_REQUIRE(host.load_directory(CSPM_PLUGIN_DIR).empty());
  const std::map<std::string, StageKind> expected{
      {"file", StageKind::source},      {"store", StageKind::source},   {"match", StageKind::filter},   {"group_by", StageKind::grouper},
      {"lookup", StageKind::enricher},  {"jira_wiki", StageKind::renderer},
      {"markdown", StageKind::renderer}, {"log", StageKind::sink},       {"plan", StageKind::sink},
      {"jira", StageKind::sink},
      {"count", StageKind::observer}};
  BOOST_TEST(host.entries().size() == expected.size());
  std::set<std::string> libraries;
  for (const auto& [type, kind] : expected) {
    const auto* e = host.find(type);
    BOOST_REQUIRE_MESSAGE(e, "missing type " << type);
    BOOST_TEST((e->factory->kind() == kind));
    BOOST_TEST(e->library->path.filename().string().rfind("libcspm-", 0) == 0u);
    BOOST_TEST(e->library->version == CSPM_SDK_VERSION);
    libraries.insert(e->library->path.string());
    for (const auto& option : e->factory->schema()) BOOST_TEST(!option.help.empty(), type << "." << option.name);
  }
  BOOST_TEST(libraries.size() == expected.size());  // one .so per plugin
}

BOOST_AUTO_TEST_CASE(mismatched_abi_is_refused_with_both_versions) {
  const std::string e = load_error("bad_abi");
  BOOST_TEST(contains(e, "libcspm-fixture-bad_abi.so"));
  BOOST_TEST(contains(e, "built for plugin ABI " + std::to_string(kAbiVersion + 1)));
  BOOST_TEST(contains(e, "cspmd provides ABI " + std::to_string(kAbiVersion)));
}

BOOST_AUTO_TEST_CASE(other_toolchain_is_refused) {
  const std::string e = load_error("bad_fingerprint");
  BOOST_TEST(contains(e, "incompatible toolchain or SDK"));
  BOOST_TEST(contains(e, "clang 99"));
}

BOOST_AUTO_TEST_CASE(foreign_library_is_refused) {
  BOOST_TEST(contains(load_error("no_abi"), "not a cspm plugin (no cspm_abi_v1 symbol"));
}

BOOST_AUTO_TEST_CASE(throwing_registration_does_not_escape) {
  BOOST_TEST(contains(load_error("throwing_register"), "registration failed: boom in register"));
}

BOOST_AUTO_TEST_CASE(empty_plugin_is_refused) {
  BOOST_TEST(contains(load_error("empty_register"), "registered no stage types"));
}

BOOST_AUTO_TEST_CASE(missing_file_is_refused) {
  BOOST_TEST(contains(load_error("does_not_exist"), "cannot load"));
}

BOOST_AUTO_TEST_CASE(duplicate_type_keeps_the_first) {
  PluginHost host;
  BOOST_REQUIRE(host.load_directory(CSPM_PLUGIN_DIR).empty());
  const auto problems = host.load_file(fixture("duplicate_type"));
  BOOST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(contains(problems[0], "stage type \"plan\" is already provided by"));
  BOOST_TEST(host.find("plan")->library->name == "plan");
}

BOOST_AUTO_TEST_CASE(out_of_tree_plugin_adds_a_type) {
  PluginHost host;
  BOOST_REQUIRE(host.load_file(fixture("good_extra")).empty());
  const auto* e = host.find("null");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->library->version == "1.2.3");
  BOOST_TEST((e->factory->kind() == StageKind::sink));
}

BOOST_AUTO_TEST_SUITE_END()
