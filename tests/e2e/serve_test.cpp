// `cspmd serve` as systemd runs it: the real binary with a temporary config on loopback,
// sd_notify messages on a real socket, Firehose and NDJSON ingest, hot reload by inotify and
// SIGHUP, manual runs, and SIGTERM during a tracker call (Jira stand-in).
#define BOOST_TEST_MODULE serve
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <regex>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cspm/http_client.hpp>

#include "../core/serve/serve_support.hpp"
#include "../../core/store/sqlite_store.hpp"
#include "jira_standin.hpp"
#include "pki.hpp"
#include "support.hpp"

using namespace cspm;
using nlohmann::json;
using test::q;

namespace {

// The NOTIFY_SOCKET systemd would give the service: a datagram socket we read.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{30, 0};  // a daemon that never says anything fails the test, not hangs it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd_); }
  /// The next message; empty on timeout.
  std::string next() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string{};
  }
  /// Messages until one contains `text` (which is returned); empty on timeout.
  std::string wait_for(const std::string& text) {
    for (std::string m = next(); !m.empty(); m = next())
      if (m.find(text) != std::string::npos) return m;
    return {};
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

constexpr const char* kCountPipeline = R"([pipeline]
id = "%ID%"%SCHEDULE%
[sources.all]
type = "store"
window = "3650d"
[transforms.count]
type = "count"
inputs = ["all"]
what = "%WHAT%"
[sinks.statistics]
type = "log"
inputs = ["count"]
)";

std::string count_pipeline(const std::string& id, const std::string& what, const std::string& schedule = "") {
  std::string t = kCountPipeline;
  t.replace(t.find("%ID%"), 4, id);
  t.replace(t.find("%SCHEDULE%"), 10, schedule.empty() ? "" : "\nschedule = " + schedule);
  t.replace(t.find("%WHAT%"), 6, what);
  return t;
}

// A daemon in a temporary directory: cspmd.toml, pipelines/, data/.
struct Served {
  explicit Served(const std::string& extra_serve = "", const std::string& debounce = "100ms") {
    std::filesystem::create_directories(dir.path() / "pipelines");
    dir.write("firehose.key", "k3y\n");
    dir.write("cspmd.toml", "data_dir = \"data\"\npipelines_dir = \"pipelines\"\n[serve]\nlisten = \"127.0.0.1:0\"\n"
                            "firehose_access_keys = [{ file = \"firehose.key\" }]\n"
                            "ingest_tokens = [{ env = \"CSPM_TEST_INGEST_TOKEN\" }]\n"
                            "api_tokens = [{ env = \"CSPM_TEST_API_TOKEN\" }]\nreload_debounce = \"" + debounce + "\"\n" + extra_serve);
    ::setenv("CSPM_TEST_INGEST_TOKEN", "in-t0ken", 1);
    ::setenv("CSPM_TEST_API_TOKEN", "api-t0ken", 1);
  }
  void pipeline(const std::string& name, const std::string& text) const { dir.write("pipelines/" + name, text); }

  void start(const std::string& watchdog_usec = "") {
    ::setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
    if (!watchdog_usec.empty()) ::setenv("WATCHDOG_USEC", watchdog_usec.c_str(), 1);  // as WatchdogSec= sets it
    daemon = std::make_unique<test::Background>(std::vector<std::string>{"serve", "-c", (dir.path() / "cspmd.toml").string()});
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    const std::string ready = notify.wait_for("READY=1");
    BOOST_REQUIRE_MESSAGE(!ready.empty(), "no READY=1 from cspmd serve");
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_search(ready, m, std::regex("listening on (https?)://127\\.0\\.0\\.1:([0-9]+)")), ready);
    scheme = m[1];
    port = static_cast<unsigned short>(std::stoi(m[2]));
  }
  std::string url() const {
    return scheme == "https" ? "https://localhost:" + std::to_string(port) : "http://127.0.0.1:" + std::to_string(port);
  }

  HttpResponse send(const std::string& method, const std::string& target, const std::string& body = {}, HttpHeaders headers = {}) {
    std::unique_ptr<HttpClient> client;
    HttpClientOptions options;
    options.ca_file = ca_file;
    BOOST_REQUIRE(HttpClient::create(url(), options, client).ok());
    HttpResponse res;
    const Status s = client->send({method, target, std::move(headers), body}, res);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
    return res;
  }
  HttpResponse trigger(const std::string& id) {
    return send("POST", "/api/pipelines/" + id + "/run", {}, {{"Authorization", "Bearer api-t0ken"}});
  }
  json api(const std::string& target) { return json::parse(send("GET", target).body); }
  std::int64_t stored_findings() {
    const auto r = test::cspmd("query --data-dir " + q((dir.path() / "data").string()) + " --format json --sql " +
                               q("SELECT count(*) AS n FROM findings"));
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return json::parse(r.out)["n"].get<std::int64_t>();
  }
  int terminate() {
    ::kill(daemon->pid(), SIGTERM);
    return daemon->wait();
  }

  test::TempDir dir;
  NotifySocket notify{dir.path() / "notify.sock"};
  std::unique_ptr<test::Background> daemon;
  unsigned short port = 0;
  std::string scheme, ca_file;
};

std::string firehose_request(const std::string& id, const std::vector<std::string>& records) {
  json r = {{"requestId", id}, {"timestamp", 1578090901599}, {"records", json::array()}};
  for (const auto& d : records) r["records"].push_back({{"data", d}});
  return r.dump();
}

const HttpHeaders kFirehose = {{"X-Amz-Firehose-Access-Key", "k3y"}, {"X-Amz-Firehose-Request-Id", "req-1"},
                               {"Content-Type", "application/json"}};

}  // namespace

BOOST_AUTO_TEST_CASE(an_acknowledged_firehose_batch_survives_a_crash_and_ndjson_is_stored_before_its_answer) {
  // An hour's fold delay: nothing is folded unless something asks for it.
  Served s("max_body_bytes = 200000\ningest_fold_delay = \"1h\"\n");
  s.start("200000");
  BOOST_TEST(!s.notify.wait_for("WATCHDOG=1").empty());  // pings at half the watchdog interval
  BOOST_TEST(s.send("GET", "/readyz").status == 200);
  const std::string a = test::sample_event("imported_new_notautomated.template");
  const std::string b = test::sample_event("imported_new_automated_standard_check.template");
  json third = json::parse(test::sample_event("custom_new.template"));  // the samples hold two identities
  third["detail"]["findings"][0]["Id"] = third["detail"]["findings"][0]["Id"].get<std::string>() + "-third";
  const std::string c = third.dump();

  const auto ok = s.send("POST", "/firehose", firehose_request("req-1", {test::base64(a + "\n" + b + "\n"), "%%bad%%"}), kFirehose);
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(json::parse(ok.body)["requestId"] == "req-1");
  // Acknowledged once committed to the ingest log; its findings wait for a fold.
  BOOST_TEST(s.stored_findings() == 0);
  BOOST_TEST(s.send("GET", "/metrics").body.find("cspm_ingest_log_batches 1\n") != std::string::npos);

  // A crash now loses nothing: the next start folds what the log holds.
  ::kill(s.daemon->pid(), SIGKILL);
  s.daemon->wait();
  s.start("200000");

  HttpHeaders wrong = kFirehose;
  wrong[0].second = "nope";
  BOOST_TEST(s.send("POST", "/firehose", firehose_request("req-2", {test::base64(c)}), wrong).status == 401);
  HttpHeaders gz = kFirehose;
  gz.emplace_back("Content-Encoding", "gzip");
  BOOST_TEST(s.send("POST", "/firehose", "not gzip", gz).status == 400);
  BOOST_TEST(s.send("POST", "/firehose", firehose_request("req-3", {test::base64(std::string(300000, 'x'))}), kFirehose).status == 413);

  // NDJSON is answered with its own counts, so it is committed before its answer, and
  // after everything logged before it.
  const auto nd = s.send("POST", "/ingest", c + "\n", {{"Authorization", "Bearer in-t0ken"}});
  BOOST_REQUIRE_MESSAGE(nd.status == 200, nd.body);
  BOOST_TEST(json::parse(nd.body)["findings_new"] == 1);
  BOOST_TEST(s.stored_findings() == 3);

  // /metrics parses with the Prometheus client library's own parser.
  const auto metrics = s.send("GET", "/metrics");
  s.dir.write("metrics.txt", metrics.body);
  const auto parsed = test::run_command("/usr/bin/python3 " + q(std::string{CSPM_SOURCE_DIR} + "/tests/tools/parse_prometheus.py") +
                                        " " + q((s.dir.path() / "metrics.txt").string()));
  BOOST_REQUIRE_MESSAGE(parsed.exit_code == 0, parsed.err);
  BOOST_TEST(parsed.out.find(R"("labels": {"code": "401"}, "name": "cspm_firehose_requests_total", "type": "counter", "value": 1.0)") !=
                 std::string::npos, parsed.out);
  BOOST_TEST(metrics.body.find("cspm_records_quarantined_total 1") != std::string::npos, metrics.body);

  BOOST_TEST(s.terminate() == 0);
  BOOST_TEST(!s.notify.wait_for("STOPPING=1").empty());
}

BOOST_AUTO_TEST_CASE(with_a_certificate_it_serves_https_and_verifying_clients_get_through) {
  test::Pki pki("localhost");
  Served s("tls_certificate = " + json(pki.cert).dump() + "\ntls_private_key = { file = " + json(pki.key).dump() + " }\n");
  s.start();
  BOOST_TEST(s.scheme == "https");
  s.ca_file = pki.ca;
  const auto ok = s.send("POST", "/firehose",
                         firehose_request("req-tls", {test::base64(test::sample_event("imported_new_notautomated.template"))}),
                         kFirehose);
  BOOST_TEST(ok.status == 200);
  // A client that does not trust the certificate gets no answer at all.
  std::unique_ptr<HttpClient> untrusting;
  BOOST_REQUIRE(HttpClient::create(s.url(), {}, untrusting).ok());
  HttpResponse res;
  BOOST_TEST(!untrusting->send({"GET", "/healthz", {}, {}}, res).ok());
  // Plain HTTP to the TLS port is not served either.
  std::unique_ptr<HttpClient> plain;
  BOOST_REQUIRE(HttpClient::create("http://127.0.0.1:" + std::to_string(s.port), {}, plain).ok());
  BOOST_TEST(!plain->send({"GET", "/healthz", {}, {}}, res).ok());
  BOOST_TEST(s.send("GET", "/healthz").status == 200);  // and it still serves
  BOOST_TEST(s.terminate() == 0);
  BOOST_TEST(s.stored_findings() == 1);  // a stop stores what was acknowledged
}

BOOST_AUTO_TEST_CASE(a_private_key_that_cannot_be_read_stops_the_start_with_exit_78) {
  Served s("tls_certificate = \"missing.pem\"\ntls_private_key = { env = \"CSPM_TEST_NO_SUCH_KEY\" }\n");
  ::unsetenv("CSPM_TEST_NO_SUCH_KEY");
  const auto r = test::cspmd("serve -c " + q((s.dir.path() / "cspmd.toml").string()));
  BOOST_TEST(r.exit_code == 78, r.err);
  BOOST_TEST(r.err.find("tls_private_key") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(edits_are_reloaded_a_broken_one_keeps_the_old_version_and_a_removed_file_stops) {
  Served s;
  s.pipeline("counting.toml", count_pipeline("counting", "first version"));
  s.start();
  BOOST_TEST(s.api("/api/pipelines")["pipelines"].size() == 1u);

  // A broken edit: logged with file:line:col, shown on /healthz, the old version stays.
  s.pipeline("counting.toml", count_pipeline("counting", "second") + "[transforms.oops]\ntype = \"no_such_type\"\ninputs = [\"all\"]\n");
  BOOST_REQUIRE(!s.notify.wait_for("RELOADING=1").empty());
  BOOST_REQUIRE(!s.notify.wait_for("READY=1").empty());
  const auto health = s.send("GET", "/healthz");
  BOOST_TEST(health.status == 503);
  BOOST_TEST(health.body.find("counting.toml:14:1") != std::string::npos, health.body);
  BOOST_TEST(s.api("/api/pipelines")["pipelines"].size() == 1u);
  BOOST_TEST(s.trigger("counting").status == 202);
  BOOST_TEST(s.daemon->wait_for("count: 0 first version"));  // the old version ran

  // Fixed: swapped in; a new file is added; rewriting a file unchanged rebuilds nothing.
  s.pipeline("counting.toml", count_pipeline("counting", "third version"));
  BOOST_TEST(s.daemon->wait_for("changed counting"));
  BOOST_TEST(s.send("GET", "/healthz").status == 200);
  s.pipeline("other.toml", count_pipeline("other", "other"));
  BOOST_TEST(s.daemon->wait_for("added other; 1 unchanged"));
  s.pipeline("other.toml", count_pipeline("other", "other"));
  BOOST_TEST(s.daemon->wait_for("2 active; 2 unchanged"));
  BOOST_TEST(s.trigger("counting").status == 202);
  BOOST_TEST(s.daemon->wait_for("count: 0 third version"));

  // Removed: no longer listed, no longer runnable.
  std::filesystem::remove(s.dir.path() / "pipelines" / "other.toml");
  BOOST_TEST(s.daemon->wait_for("removed other"));
  BOOST_TEST(s.trigger("other").status == 404);
  const json list = s.api("/api/pipelines");
  BOOST_REQUIRE(list["pipelines"].size() == 1u);
  BOOST_TEST(list["pipelines"][0]["id"] == "counting");
  // Each run is recorded, with its counts.
  const json runs = s.api("/api/pipelines/counting")["runs"];
  BOOST_TEST(runs.size() == 2u);
  BOOST_TEST(runs[0]["outcome"] == "success");
  BOOST_TEST(s.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(sighup_reloads_and_manual_runs_need_the_api_token) {
  Served s("", "1h");  // only SIGHUP reloads within this test
  s.pipeline("counting.toml", count_pipeline("counting", "before"));
  s.start();
  s.pipeline("counting.toml", count_pipeline("counting", "after"));
  ::kill(s.daemon->pid(), SIGHUP);
  BOOST_TEST(s.daemon->wait_for("pipelines loaded (SIGHUP): 1 active; changed counting"));
  BOOST_TEST(s.send("POST", "/api/pipelines/counting/run").status == 401);
  BOOST_TEST(s.send("POST", "/api/pipelines/counting/run", {}, {{"Authorization", "Bearer wrong"}}).status == 401);
  // The CLI asks the daemon over HTTP with the configured token.
  const auto cli = test::cspmd("trigger counting -c " + q((s.dir.path() / "cspmd.toml").string()) + " --url " + s.url());
  BOOST_TEST(cli.exit_code == 0, cli.err);
  BOOST_TEST(s.daemon->wait_for("count: 0 after"));
  BOOST_TEST(s.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_run_missed_while_stopped_runs_once_at_start) {
  Served s;
  s.pipeline("daily.toml", count_pipeline("daily", "daily", R"({ cron = "0 9 * * *", timezone = "Europe/Berlin" })"));
  // The last run the store knows of was three days ago: today's 09:00 (or yesterday's) was missed.
  const auto r = test::cspmd("run " + q((s.dir.path() / "pipelines" / "daily.toml").string()) + " --data-dir " +
                             q((s.dir.path() / "data").string()) + " --now 2026-01-01T00:00:00Z");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto sql = "UPDATE runs SET started_at = started_at - 3 * 86400000";
  {
    store::SqliteStore db(s.dir.path() / "data");
    db.database().exec(sql);
  }
  s.start();
  BOOST_TEST(s.daemon->wait_for("daily: run starts (catch_up"));
  BOOST_TEST(s.daemon->wait_for("daily: run succeeded"));
  BOOST_TEST(s.terminate() == 0);
  // Started again right away: the catch-up is recorded, so nothing is due. (Any due run
  // starts before the daemon answers its first request.)
  s.start();
  const json p = s.api("/api/pipelines/daily");
  BOOST_TEST(p["runs"].size() == 2u);
  BOOST_TEST(!p["next_run"].is_null());
  BOOST_TEST(s.terminate() == 0);
  std::string rest;
  while (auto line = s.daemon->next_line()) rest += *line + "\n";
  BOOST_TEST(rest.find("run starts") == std::string::npos, rest);
}

namespace {

// Three findings on three resources: three tickets from a per-resource pipeline.
std::string three_findings() {
  std::string out;
  for (int i = 0; i < 3; ++i) {
    json e = json::parse(test::sample_event("imported_new_notautomated.template"));
    auto& f = e["detail"]["findings"][0];
    f["Id"] = f["Id"].get<std::string>() + "-" + std::to_string(i);
    f["Resources"][0]["Id"] = "arn:aws:s3:::bucket-" + std::to_string(i);
    out += e.dump() + "\n";
  }
  return out;
}

std::string ticket_pipeline(const test::TempDir& dir, const std::string& jira_url, bool with_count) {
  std::string t = "[pipeline]\nid = \"tickets\"\n"
                  "[sources.findings]\ntype = \"file\"\npaths = [" + json((dir.path() / "findings.ndjson").string()).dump() + "]\n"
                  "[transforms.by_resource]\ntype = \"group_by\"\ninputs = [\"findings\"]\nkeys = [\"resource_id\"]\ngrouping = \"resource\"\n"
                  "[transforms.render]\ntype = \"jira_wiki\"\ninputs = [\"by_resource\"]\n"
                  "[sinks.jira]\ntype = \"jira\"\ninputs = [\"render\"]\nurl = \"" + jira_url + "\"\nproject = \"SEC\"\n"
                  "user = \"bot@example.com\"\ntoken = { env = \"CSPM_TEST_JIRA_TOKEN\" }\nrate_limit = 0\nbackoff = \"1ms\"\n";
  if (with_count)
    t += "[transforms.count]\ntype = \"count\"\ninputs = [\"findings\"]\nwhat = \"version two\"\n"
         "[sinks.statistics]\ntype = \"log\"\ninputs = [\"count\"]\n";
  return t;
}

// Holds Jira's answer to the first create until the test lets it go: a run caught in the
// middle of a tracker call.
struct HeldCreate {
  explicit HeldCreate(test::JiraStandin& jira) {
    jira.on_request = [this, &jira](int) {
      if (jira.log.back() != "POST /rest/api/3/issue") return;
      std::unique_lock lock(mutex);
      if (released) return;
      in_call = true;
      changed.notify_all();
      changed.wait(lock, [this] { return released; });
    };
  }
  void wait_for_call() {
    std::unique_lock lock(mutex);
    BOOST_REQUIRE(changed.wait_for(lock, std::chrono::seconds(30), [this] { return in_call; }));
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
  std::mutex mutex;
  std::condition_variable changed;
  bool in_call = false, released = false;
};

// A started daemon whose pipeline files three findings in a Jira stand-in.
struct TicketDaemon {
  TicketDaemon() {
    ::setenv("CSPM_TEST_JIRA_TOKEN", "t0ken", 1);
    s.dir.write("findings.ndjson", three_findings());
    s.pipeline("tickets.toml", ticket_pipeline(s.dir, jira.url(), false));
    s.start();
  }
  test::JiraStandin jira{test::JiraStandin::Flavor::cloud};
  Served s;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_pipeline_edited_during_its_run_is_swapped_in_after_the_run, TicketDaemon) {
  HeldCreate held(jira);
  BOOST_TEST(s.trigger("tickets").status == 202);
  held.wait_for_call();
  s.pipeline("tickets.toml", ticket_pipeline(s.dir, jira.url(), true));
  BOOST_TEST(s.daemon->wait_for("changed tickets"));  // reloaded while the run goes on
  held.release();
  std::string first_run;
  for (auto line = s.daemon->next_line(); line; line = s.daemon->next_line()) {
    first_run += *line + "\n";
    if (line->find("tickets: run ") != std::string::npos && line->find("run starts") == std::string::npos) break;
  }
  BOOST_TEST(first_run.find("tickets: run succeeded") != std::string::npos, first_run);
  BOOST_TEST(first_run.find("version two") == std::string::npos, first_run);  // the old version ran to its end
  BOOST_TEST(jira.issues.size() == 3u);
  BOOST_TEST(s.trigger("tickets").status == 202);
  BOOST_TEST(s.daemon->wait_for("count: 3 version two"));  // the next run is the new version
  BOOST_TEST(s.daemon->wait_for("tickets: run succeeded"));
  BOOST_TEST(jira.issues.size() == 3u);
  BOOST_TEST(s.terminate() == 0);
}

BOOST_FIXTURE_TEST_CASE(sigterm_lets_the_run_finish_its_tracker_call_then_stops_cleanly, TicketDaemon) {
  {
    HeldCreate held(jira);
    BOOST_TEST(s.trigger("tickets").status == 202);
    held.wait_for_call();
    ::kill(s.daemon->pid(), SIGTERM);
    BOOST_TEST(!s.notify.wait_for("STOPPING=1").empty());
    BOOST_TEST(s.daemon->wait_for("stopping (SIGTERM): waiting for 1 runs"));
    held.release();
    BOOST_TEST(s.daemon->wait_for("cspmd is stopping; stopped after 1 of 3 tickets"));
    BOOST_TEST(s.daemon->wait() == 0);
  }
  jira.on_request = nullptr;
  BOOST_TEST(jira.issues.size() == 1u);  // the call in progress completed, and was recorded
  // Started again, the next run files the other two and not the first again.
  s.start();
  BOOST_TEST(s.trigger("tickets").status == 202);
  BOOST_TEST(s.daemon->wait_for("tickets: run succeeded"));
  BOOST_TEST(jira.issues.size() == 3u);
  const json runs = s.api("/api/pipelines/tickets?runs=5")["runs"];
  BOOST_REQUIRE_EQUAL(runs.size(), 2u);
  BOOST_TEST(runs[1]["outcome"] == "failure");
  BOOST_TEST(runs[0]["outcome"] == "success");
  BOOST_TEST(s.terminate() == 0);
}
