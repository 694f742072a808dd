// cspmd.toml's [serve] table: listen addresses, secret references only, ranges, and every
// error reported together with its line.
#define BOOST_TEST_MODULE daemon_config
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "../../../core/config/daemon_config.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::core;

namespace {

std::variant<DaemonConfig, Diagnostics> load(const test::TempDir& dir, const std::string& text) {
  const auto path = dir.path() / "cspmd.toml";
  std::ofstream(path) << text;
  return load_daemon_config(path);
}

}  // namespace

BOOST_AUTO_TEST_CASE(serve_settings_are_read_with_secret_references) {
  test::TempDir dir;
  const auto r = load(dir, R"(data_dir = "data"
[serve]
listen = "[::1]:9443"
log_level = "debug"
firehose_access_keys = [{ credential = "firehose-key" }, { env = "FIREHOSE_KEY_OLD" }]
ingest_tokens = [{ file = "ingest.token" }]
run_workers = 1
reload_debounce = "250ms"
)");
  BOOST_REQUIRE(std::holds_alternative<DaemonConfig>(r));
  const ServeSettings& s = std::get<DaemonConfig>(r).serve;
  BOOST_TEST(s.address == "::1");
  BOOST_TEST(s.port == 9443);
  BOOST_TEST((s.log_level == LogLevel::debug));
  BOOST_REQUIRE_EQUAL(s.firehose_access_keys.size(), 2u);
  BOOST_TEST(s.firehose_access_keys[0]["credential"] == "firehose-key");
  BOOST_TEST(s.ingest_tokens[0]["file"] == "ingest.token");
  BOOST_TEST(s.run_workers == 1u);
  BOOST_TEST(s.reload_debounce.count() == 250);
  BOOST_TEST(s.max_body_bytes == 64u << 20);  // default
}

BOOST_AUTO_TEST_CASE(every_serve_problem_is_reported_at_its_line) {
  test::TempDir dir;
  const auto r = load(dir, R"([serve]
listen = "localhost"
firehose_access_keys = ["plain-text-key"]
run_workers = 0
log_levle = "info"
request_timeout = "soon"
)");
  BOOST_REQUIRE(std::holds_alternative<Diagnostics>(r));
  const auto& diags = std::get<Diagnostics>(r);
  BOOST_REQUIRE_EQUAL(diags.size(), 5u);
  std::map<std::string, int> line_of;
  for (const auto& d : diags) line_of[d.path] = d.line;
  BOOST_TEST(line_of["serve.listen"] == 2);
  BOOST_TEST(line_of["serve.firehose_access_keys[0]"] == 3);  // a literal secret is refused
  BOOST_TEST(line_of["serve.run_workers"] == 4);
  BOOST_TEST(line_of["serve.log_levle"] == 5);
  BOOST_TEST(line_of["serve.request_timeout"] == 6);
  for (const auto& d : diags)
    if (d.path == "serve.log_levle") BOOST_TEST(d.hint.find("log_level") != std::string::npos, d.hint);
}

BOOST_AUTO_TEST_CASE(tls_takes_a_certificate_path_and_a_key_reference_together) {
  test::TempDir dir;
  const auto ok = load(dir, "[serve]\ntls_certificate = \"tls/cert.pem\"\ntls_private_key = { credential = \"tls-key\" }\n");
  BOOST_REQUIRE(std::holds_alternative<DaemonConfig>(ok));
  BOOST_TEST(std::get<DaemonConfig>(ok).serve.tls_certificate == dir.path() / "tls/cert.pem");  // relative to the file
  BOOST_TEST(std::get<DaemonConfig>(ok).serve.tls_private_key["credential"] == "tls-key");
  const auto alone = load(dir, "[serve]\ntls_certificate = \"cert.pem\"\n");
  BOOST_REQUIRE(std::holds_alternative<Diagnostics>(alone));
  BOOST_TEST(std::get<Diagnostics>(alone).front().message.find("go together") != std::string::npos);
  const auto literal = load(dir, "[serve]\ntls_certificate = \"cert.pem\"\ntls_private_key = \"-----BEGIN PRIVATE KEY-----\"\n");
  BOOST_REQUIRE(std::holds_alternative<Diagnostics>(literal));
  BOOST_TEST(std::get<Diagnostics>(literal).front().path == "serve.tls_private_key");
}
