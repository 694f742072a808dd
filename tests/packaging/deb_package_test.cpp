// The .deb as an operator installs it: cpack builds it, dpkg installs it, the installed
// cspmd validates the installed configuration, the installed unit passes systemd-analyze,
// a plugin builds out of tree against the installed SDK package, and dpkg removes it all.
// Needs root and a machine where cspm-notify is not installed otherwise (CI, a container);
// elsewhere the test is skipped and says so.
#define BOOST_TEST_MODULE deb_package
#include <boost/test/unit_test.hpp>

#include <regex>

#include <unistd.h>

#include "support.hpp"

using namespace cspm;
using test::q;

namespace {

namespace utf = boost::unit_test;

boost::test_tools::assertion_result can_install(utf::test_unit_id) {
  boost::test_tools::assertion_result r(::geteuid() == 0);
  if (!r) {
    r.message() << "installing a .deb needs root";
    return r;
  }
  if (test::run_command("dpkg-query -W -f='${Status}' cspm-notify 2>/dev/null | grep -q 'install ok'").exit_code == 0) {
    boost::test_tools::assertion_result installed(false);
    installed.message() << "cspm-notify is already installed here; not replacing it";
    return installed;
  }
  return r;
}

// The installed binary, with nothing from the build tree in its environment.
test::CommandResult installed(const std::string& args) {
  return test::run_command("env -u CSPM_PLUGIN_DIR -u CSPM_DATA_DIR -u CSPM_CONFIG CSPM_JIRA_TOKEN=unused /usr/bin/cspmd " + args);
}

struct Removal {  // whatever happens, leave the machine as it was
  ~Removal() { test::run_command("dpkg --purge cspm-notify"); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_deb_installs_validates_passes_systemd_analyze_and_removes, *utf::precondition(can_install)) {
  test::TempDir dir;
  const auto pack = test::run_command("cd " + q(dir.path().string()) + " && cpack -G DEB --config " +
                                      q(std::string{CSPM_BUILD_DIR} + "/CPackConfig.cmake"));
  BOOST_REQUIRE_MESSAGE(pack.exit_code == 0, pack.out + pack.err);
  const std::regex deb_name("cspm-notify_[0-9.]+_[a-z0-9]+\\.deb");
  std::string deb;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    if (std::regex_match(e.path().filename().string(), deb_name)) deb = e.path().string();
  BOOST_REQUIRE_MESSAGE(!deb.empty(), "no .deb made: " + pack.out);

  Removal removal;
  const auto install = test::run_command("dpkg -i " + q(deb));
  BOOST_REQUIRE_MESSAGE(install.exit_code == 0, install.out + install.err);
  const auto contents = test::run_command("dpkg -L cspm-notify").out;
  for (const char* path : {"/usr/bin/cspmd", "/usr/lib/systemd/system/cspmd.service", "/etc/cspm-notify/cspmd.toml",
                           "/etc/cspm-notify/pipelines/cspm-daily.toml", "/usr/include/cspm/stage.hpp",
                           "/usr/lib/cspm-notify/plugins/libcspm-sink-jira.so", "/usr/lib/cmake/cspm-notify/cspm-notify-config.cmake"})
    BOOST_TEST(contents.find(path) != std::string::npos, path);
  BOOST_TEST(test::run_command("dpkg-query -W -f='${Conffiles}' cspm-notify").out.find("/etc/cspm-notify/cspmd.toml") != std::string::npos);

  // The installed config and pipelines validate with the installed plugins.
  const auto validate = installed("validate -c /etc/cspm-notify/cspmd.toml");
  BOOST_TEST(validate.exit_code == 0, validate.out + validate.err);
  BOOST_TEST(validate.out.find("cspm-daily") != std::string::npos, validate.out);
  const auto plugins = installed("plugins");
  BOOST_TEST(plugins.out.find("/usr/lib/cspm-notify/plugins/libcspm-sink-jira.so") != std::string::npos, plugins.out + plugins.err);

  // The unit as installed: verify is clean, the exposure is at most 2.0.
  const auto verify = test::run_command("systemd-analyze verify /usr/lib/systemd/system/cspmd.service");
  BOOST_TEST(verify.exit_code == 0, verify.err);
  BOOST_TEST(verify.out + verify.err == "", verify.out + verify.err);
  const auto security = test::run_command("systemd-analyze security --offline=yes /usr/lib/systemd/system/cspmd.service");
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(std::regex_search(security.out, m, std::regex("Overall exposure level for cspmd.service: ([0-9.]+)")),
                        security.out + security.err);
  BOOST_TEST(std::stod(m[1]) <= 2.0, "exposure " << m[1]);

  // A plugin built out of tree against the installed SDK package loads in the installed cspmd.
  const auto build = test::run_command("cmake -S " + q(std::string{CSPM_SOURCE_DIR} + "/tests/packaging/hello_plugin") +
                                       " -B " + q((dir.path() / "hello").string()) + " -G Ninja && cmake --build " +
                                       q((dir.path() / "hello").string()));
  BOOST_REQUIRE_MESSAGE(build.exit_code == 0, build.out + build.err);
  const auto hello = installed("plugins --plugin-dir " + q((dir.path() / "hello").string()));
  BOOST_TEST(hello.out.find("Says hello to each ticket") != std::string::npos, hello.out + hello.err);
  BOOST_TEST(hello.err.find("refused") == std::string::npos, hello.err);

  const auto remove = test::run_command("dpkg --purge cspm-notify");
  BOOST_TEST(remove.exit_code == 0, remove.err);
  BOOST_TEST(!std::filesystem::exists("/usr/bin/cspmd"));
  BOOST_TEST(!std::filesystem::exists("/usr/lib/systemd/system/cspmd.service"));
}
