// Secret references: environment, file, systemd credential; messages never show values.
#define BOOST_TEST_MODULE secret
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include <cspm/secret.hpp>

#include "support.hpp"

using namespace cspm;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(env_reference_reads_the_variable) {
  ::setenv("CSPM_TEST_TOKEN", "s3cr3t", 1);
  std::string value;
  BOOST_REQUIRE(resolve_secret(json{{"env", "CSPM_TEST_TOKEN"}}, "/", value).ok());
  BOOST_TEST(value == "s3cr3t");
  ::unsetenv("CSPM_TEST_TOKEN");
  const Status missing = resolve_secret(json{{"env", "CSPM_TEST_TOKEN"}}, "/", value);
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.message().find("CSPM_TEST_TOKEN") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(file_reference_is_relative_to_the_base_and_loses_one_newline) {
  test::TempDir dir;
  dir.write("token", "from-file\n");
  std::string value;
  BOOST_REQUIRE(resolve_secret(json{{"file", "token"}}, dir.path(), value).ok());
  BOOST_TEST(value == "from-file");
  BOOST_REQUIRE(resolve_secret(json{{"file", (dir.path() / "token").string()}}, "/", value).ok());
  BOOST_TEST(value == "from-file");
  BOOST_TEST(!resolve_secret(json{{"file", "absent"}}, dir.path(), value).ok());
}

BOOST_AUTO_TEST_CASE(credential_reference_reads_the_credentials_directory) {
  test::TempDir dir;
  dir.write("jira_token", "cred-value");
  ::setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  std::string value;
  BOOST_REQUIRE(resolve_secret(json{{"credential", "jira_token"}}, "/", value).ok());
  BOOST_TEST(value == "cred-value");
  BOOST_TEST(!resolve_secret(json{{"credential", "../jira_token"}}, "/", value).ok());
  ::unsetenv("CREDENTIALS_DIRECTORY");
  const Status unset = resolve_secret(json{{"credential", "jira_token"}}, "/", value);
  BOOST_REQUIRE(!unset.ok());
  BOOST_TEST(unset.message().find("LoadCredential") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_secrets_and_literals_fail_without_showing_values) {
  test::TempDir dir;
  dir.write("empty", "\n");
  std::string value;
  const Status empty = resolve_secret(json{{"file", "empty"}}, dir.path(), value);
  BOOST_REQUIRE(!empty.ok());
  BOOST_TEST(empty.message().find("empty") != std::string::npos);
  const Status literal = resolve_secret(json("hunter2"), "/", value);
  BOOST_REQUIRE(!literal.ok());
  BOOST_TEST(literal.message().find("hunter2") == std::string::npos);
}
