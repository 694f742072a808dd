// The daemon's HTTP ingest over real loopback HTTP into a real store: the Firehose
// contract's answers, limits, slow clients, /healthz and /metrics.
#define BOOST_TEST_MODULE ingest_routes
#include <boost/test/unit_test.hpp>

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cspm/http_client.hpp>

#include "../../../core/serve/ingest_routes.hpp"
#include "../../../core/store/ingest_log.hpp"
#include "../../../core/store/sqlite_store.hpp"
#include "serve_support.hpp"

using namespace cspm;
using namespace cspm::core;
using nlohmann::json;
using test::base64;
using test::gzip;

namespace {

std::string firehose_body(const std::string& request_id) {
  const std::string records = test::sample_event("imported_new_notautomated.template") + "\n" +
                              test::sample_event("imported_new_automated_standard_check.template") + "\n";
  return json{{"requestId", request_id}, {"timestamp", 1578090901599}, {"records", {{{"data", base64(records)}}}}}.dump();
}

// cspmd's ingest on loopback: the listener on its own I/O thread, as in the daemon.
struct Daemon {
  explicit Daemon(ListenerOptions listener = {}) {
    IngestRoutesOptions o;
    o.data_dir = dir.path();
    o.firehose_keys = {"k3y"};
    o.bearer_tokens = {"t0ken"};
    o.max_body_bytes = listener.max_body_bytes;
    listener.reject = make_ingest_rejecter(metrics);
    listener.admit = make_ingest_admitter(o, metrics);
    { store::SqliteStore init(dir.path()); }
    BatchWriterOptions folds_when_asked;
    folds_when_asked.fold_delay = std::chrono::hours{1};
    o.writer = writer = make_ingest_writer(o, metrics, folds_when_asked);
    server = std::make_unique<HttpListener>(io, listener, make_ingest_routes(o, metrics));
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  ~Daemon() {
    server->stop();
    work.reset();
    io.stop();
    thread.join();
  }
  HttpResponse post(const std::string& target, const std::string& body, HttpHeaders headers = {}) {
    std::unique_ptr<HttpClient> client;
    BOOST_REQUIRE(HttpClient::create("http://127.0.0.1:" + std::to_string(server->port()), {}, client).ok());
    headers.emplace_back("Content-Type", "application/json");
    HttpResponse res;
    const Status s = client->send({"POST", target, headers, body}, res);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
    return res;
  }
  HttpResponse get(const std::string& target) {
    std::unique_ptr<HttpClient> client;
    BOOST_REQUIRE(HttpClient::create("http://127.0.0.1:" + std::to_string(server->port()), {}, client).ok());
    HttpResponse res;
    BOOST_REQUIRE(client->send({"GET", target, {}, {}}, res).ok());
    return res;
  }
  /// Stored findings, once what was acknowledged is folded.
  std::int64_t findings() {
    BOOST_REQUIRE(writer->drain());
    return stored();
  }
  std::int64_t stored() {
    store::SqliteStore s(dir.path());
    auto stmt = s.database().prepare("SELECT count(*) FROM findings");
    stmt.step();
    return stmt.integer(0);
  }

  test::TempDir dir;
  Metrics metrics;
  std::shared_ptr<BatchWriter> writer;
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{io.get_executor()};
  std::unique_ptr<HttpListener> server;
  std::thread thread;
};

const HttpHeaders kKey = {{"X-Amz-Firehose-Access-Key", "k3y"}, {"X-Amz-Firehose-Request-Id", "req-1"}};

}  // namespace

BOOST_AUTO_TEST_CASE(a_firehose_batch_is_answered_200_once_it_is_in_the_ingest_log_and_a_fold_stores_it) {
  Daemon d;
  const HttpResponse res = d.post("/firehose", firehose_body("req-1"), kKey);
  BOOST_REQUIRE_MESSAGE(res.status == 200, res.body);
  BOOST_TEST(res.header("Content-Type") == "application/json");
  const json body = json::parse(res.body);
  BOOST_TEST(body["requestId"] == "req-1");
  BOOST_TEST(body["timestamp"].is_number_integer());
  BOOST_TEST(!body.contains("errorMessage"));
  BOOST_TEST(store::IngestLog{d.dir.path()}.size() == 1);  // committed to the log before the answer
  BOOST_TEST(d.stored() == 0);                             // and stored by the next fold
  BOOST_TEST(d.findings() == 2);
  // Gzip'd, as Firehose sends when compression is on; a resend stores nothing twice.
  HttpHeaders gz = kKey;
  gz.emplace_back("Content-Encoding", "gzip");
  BOOST_TEST(d.post("/firehose", gzip(firehose_body("req-1")), gz).status == 200);
  BOOST_TEST(d.findings() == 2);
}

BOOST_AUTO_TEST_CASE(bad_requests_get_the_contracts_answers_and_store_nothing) {
  ListenerOptions small;
  small.max_body_bytes = 32 * 1024;
  Daemon d(small);
  const auto wrong_key = d.post("/firehose", firehose_body("req-2"),
                                {{"X-Amz-Firehose-Access-Key", "nope"}, {"X-Amz-Firehose-Request-Id", "req-2"}});
  BOOST_TEST(wrong_key.status == 401);
  BOOST_TEST(json::parse(wrong_key.body)["requestId"] == "req-2");
  BOOST_TEST(json::parse(wrong_key.body)["errorMessage"].is_string());
  BOOST_TEST(wrong_key.body.find("nope") == std::string::npos);  // the key is not echoed

  HttpHeaders gz = kKey;
  gz.emplace_back("Content-Encoding", "gzip");
  BOOST_TEST(d.post("/firehose", "not gzip at all", gz).status == 400);
  BOOST_TEST(d.post("/firehose", "{not json", kKey).status == 400);
  const auto big = d.post("/firehose", json{{"requestId", "r"}, {"records", {{{"data", base64(std::string(60000, 'x'))}}}}}.dump(), kKey);
  BOOST_TEST(big.status == 413);  // refused unread, still in the contract's form
  BOOST_TEST(json::parse(big.body)["requestId"] == "req-1");
  BOOST_TEST(json::parse(big.body)["errorMessage"].is_string());
  // A small gzip body that inflates past the limit: 413 too.
  HttpHeaders gz2 = kKey;
  gz2.emplace_back("Content-Encoding", "gzip");
  BOOST_TEST(d.post("/firehose", gzip(std::string(1 << 20, ' ')), gz2).status == 413);
  BOOST_TEST(d.findings() == 0);
}

BOOST_AUTO_TEST_CASE(a_client_that_never_finishes_its_request_is_cut_off) {
  ListenerOptions quick;
  quick.request_timeout = std::chrono::milliseconds{200};
  Daemon d(quick);
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), d.server->port()});
  boost::asio::write(socket, boost::asio::buffer(std::string{"POST /firehose HTTP/1.1\r\nHost: x\r\nContent-Len"}));
  // The server closes the connection at its deadline: the read ends (no sleep here).
  char c;
  boost::system::error_code ec;
  const auto n = boost::asio::read(socket, boost::asio::buffer(&c, 1), ec);
  BOOST_TEST(n == 0u);
  BOOST_TEST(!!ec);
  // And the daemon still answers others.
  BOOST_TEST(d.get("/healthz").status == 200);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_is_refused_from_the_header_before_any_body_is_read) {
  ListenerOptions patient;
  patient.request_timeout = std::chrono::milliseconds{30000};
  Daemon d(patient);
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), d.server->port()});
  // A 50 MB body is announced and never sent: only a header-time check can answer now.
  boost::asio::write(socket, boost::asio::buffer(std::string{
      "POST /firehose HTTP/1.1\r\nHost: x\r\nX-Amz-Firehose-Access-Key: nope\r\n"
      "X-Amz-Firehose-Request-Id: req-9\r\nContent-Length: 50000000\r\n\r\n"}));
  std::string answer(512, '\0');
  boost::system::error_code ec;
  answer.resize(socket.read_some(boost::asio::buffer(answer), ec));
  BOOST_TEST(answer.rfind("HTTP/1.1 401", 0) == 0u, answer);
  BOOST_TEST(answer.find("req-9") != std::string::npos, answer);
  BOOST_TEST(d.metrics.value("cspm_firehose_requests_total", {{"code", "401"}}) == 1);
}

BOOST_AUTO_TEST_CASE(ndjson_with_a_bearer_token_answers_with_the_ingest_counts) {
  Daemon d;
  const std::string body = test::sample_event("imported_new_notautomated.template") + "\n{not json\n" +
                           test::sample_event("imported_new_automated_standard_check.template") + "\n";
  BOOST_TEST(d.post("/ingest", body, {{"Authorization", "Bearer wrong"}}).status == 401);
  BOOST_TEST(d.post("/ingest", body).status == 401);
  BOOST_TEST(d.findings() == 0);
  BOOST_TEST(d.post("/ingest", "", {{"Authorization", "bearer t0ken"}}).status == 200);  // scheme in any case
  const auto res = d.post("/ingest", body, {{"Authorization", "Bearer t0ken"}});
  BOOST_REQUIRE_MESSAGE(res.status == 200, res.body);
  const json counts = json::parse(res.body);
  BOOST_TEST(counts["events"] == 3);
  BOOST_TEST(counts["findings_new"] == 2);
  BOOST_TEST(counts["quarantined"] == 1);
  BOOST_TEST(d.stored() == 2);  // committed before its answer
}

BOOST_AUTO_TEST_CASE(healthz_and_metrics) {
  Daemon d;
  BOOST_REQUIRE(d.post("/firehose", firehose_body("req-3"), kKey).status == 200);
  const auto health = d.get("/healthz");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(json::parse(health.body)["status"] == "ok");
  BOOST_TEST(health.header("Content-Type") == "application/json");
  const auto metrics = d.get("/metrics");
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.header("Content-Type").find("text/plain") == 0u);
  BOOST_TEST(metrics.body.find("cspm_events_received_total{endpoint=\"firehose\"} 2") != std::string::npos, metrics.body);
  BOOST_TEST(metrics.body.find("cspm_firehose_requests_total{code=\"200\"} 1") != std::string::npos, metrics.body);
  BOOST_TEST(metrics.body.find("cspm_ingest_log_batches 1\n") != std::string::npos, metrics.body);  // not folded yet
  BOOST_TEST(metrics.body.find("cspm_ingest_log_findings_held 2\n") != std::string::npos, metrics.body);
  BOOST_TEST(d.get("/nope").status == 404);
}
