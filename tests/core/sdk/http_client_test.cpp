// HttpClient against real servers on loopback: plain and TLS, keep-alive, timeouts, limits.
#define BOOST_TEST_MODULE http_client
#include <boost/test/unit_test.hpp>

#include <cstdlib>

#include <cspm/http_client.hpp>

#include "http_server.hpp"
#include "pki.hpp"
#include "support.hpp"

using namespace cspm;
using test::HttpServer;
using test::json_response;
using test::Pki;

namespace {

std::unique_ptr<HttpClient> client_for(const std::string& url, HttpClientOptions options = {}) {
  std::unique_ptr<HttpClient> client;
  const Status s = HttpClient::create(url, options, client);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
  return client;
}

test::ServerResponse echo(const test::ServerRequest& req) {
  auto res = json_response(200, std::string(req.method_string()) + " " + std::string(req.target()) + " " + req.body());
  res.set("X-Seen-Authorization", req[test::http::field::authorization]);
  res.set("X-Seen-Host", req[test::http::field::host]);
  return res;
}

}  // namespace

BOOST_AUTO_TEST_CASE(requests_share_one_keep_alive_connection) {
  HttpServer server(echo);
  auto client = client_for(server.url() + "/jira/");
  for (int i = 0; i < 3; ++i) {
    HttpResponse res;
    HttpRequest req{"POST", "/rest/api/2/issue", {{"Authorization", "Bearer t"}}, "n=" + std::to_string(i)};
    BOOST_REQUIRE(client->send(req, res).ok());
    BOOST_TEST(res.status == 200);
    BOOST_TEST(res.body == "POST /jira/rest/api/2/issue n=" + std::to_string(i));
    BOOST_TEST(res.header("x-seen-authorization") == "Bearer t");  // case-insensitive lookup
    BOOST_TEST(res.header("content-type") == "application/json");
    BOOST_TEST(res.header("x-seen-host") == "127.0.0.1:" + std::to_string(server.port()));  // not port 80
  }
  BOOST_TEST(server.connections() == 1);
}

BOOST_AUTO_TEST_CASE(error_statuses_are_responses_not_failures) {
  HttpServer server([](const test::ServerRequest&) {
    auto res = json_response(429, R"({"errorMessages":["rate limited"]})");
    res.set("Retry-After", "7");
    return res;
  });
  auto client = client_for(server.url());
  HttpResponse res;
  BOOST_REQUIRE(client->send({"GET", "/x", {}, {}}, res).ok());
  BOOST_TEST(res.status == 429);
  BOOST_TEST(res.header("Retry-After") == "7");
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_is_replaced_even_for_post) {
  HttpServer server(echo);
  auto client = client_for(server.url());
  HttpResponse res;
  BOOST_REQUIRE(client->send({"GET", "/a", {}, {}}, res).ok());
  server.drop_idle_connections();
  // The idle connection is dead: a POST must not be lost or sent twice.
  BOOST_REQUIRE(client->send({"POST", "/b", {}, "x"}, res).ok());
  BOOST_TEST(res.body == "POST /b x");
  BOOST_TEST(server.connections() == 2);
  BOOST_TEST(server.requests() == 2);
}

BOOST_AUTO_TEST_CASE(unreachable_server_is_a_clear_failure) {
  unsigned short port;
  {
    HttpServer gone(echo);
    port = gone.port();
  }
  auto client = client_for("http://127.0.0.1:" + std::to_string(port));
  HttpResponse res;
  const Status s = client->send({"GET", "/", {}, {}}, res);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("cannot connect") != std::string::npos, s.message());
}

BOOST_AUTO_TEST_CASE(a_server_that_never_answers_times_out) {
  // Accepts the connection (the kernel's backlog does) but never reads or answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto client = client_for("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), options);
  HttpResponse res;
  const Status s = client->send({"GET", "/", {}, {}}, res);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("timeout") != std::string::npos, s.message());
}

BOOST_AUTO_TEST_CASE(oversized_responses_fail) {
  HttpServer server([](const test::ServerRequest&) { return json_response(200, std::string(5000, 'x')); });
  HttpClientOptions options;
  options.max_response_bytes = 1000;
  auto client = client_for(server.url(), options);
  HttpResponse res;
  const Status s = client->send({"GET", "/", {}, {}}, res);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("larger than 1000") != std::string::npos, s.message());
}

BOOST_AUTO_TEST_CASE(urls_are_checked_and_never_carry_credentials) {
  std::unique_ptr<HttpClient> client;
  const Status with_user = HttpClient::create("https://me:secret@jira.example.com", {}, client);
  BOOST_REQUIRE(!with_user.ok());
  BOOST_TEST(with_user.message().find("credentials") != std::string::npos);
  BOOST_TEST(with_user.message().find("secret") == std::string::npos, with_user.message());
  BOOST_TEST(!HttpClient::create("ftp://jira.example.com", {}, client).ok());
  BOOST_TEST(!HttpClient::create("jira.example.com", {}, client).ok());
  BOOST_REQUIRE(HttpClient::create("https://jira.example.com:8443/base/", {}, client).ok());
  BOOST_TEST(client->origin() == "https://jira.example.com:8443");
}

BOOST_AUTO_TEST_CASE(tls_verifies_the_chain_and_the_host_name) {
  Pki pki("localhost");
  HttpServer server(echo, pki.cert, pki.key);
  const std::string url = "https://localhost:" + std::to_string(server.port());

  HttpClientOptions trusted;
  trusted.ca_file = pki.ca;
  HttpResponse res;
  BOOST_REQUIRE(client_for(url, trusted)->send({"GET", "/ok", {}, {}}, res).ok());
  BOOST_TEST(res.body == "GET /ok ");

  // The system's CAs do not know the test CA.
  const Status untrusted = client_for(url)->send({"GET", "/", {}, {}}, res);
  BOOST_REQUIRE(!untrusted.ok());
  BOOST_TEST(untrusted.message().find("certificate verification failed") != std::string::npos,
             untrusted.message());

  // Right CA, wrong name: the certificate is for "localhost", not for 127.0.0.1.
  const Status wrong_name =
      client_for("https://127.0.0.1:" + std::to_string(server.port()), trusted)->send({"GET", "/", {}, {}}, res);
  BOOST_REQUIRE(!wrong_name.ok());
  BOOST_TEST(wrong_name.message().find("TLS handshake failed") != std::string::npos, wrong_name.message());
}

BOOST_AUTO_TEST_CASE(a_missing_ca_file_is_reported_at_creation) {
  std::unique_ptr<HttpClient> client;
  HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  const Status s = HttpClient::create("https://jira.example.com", options, client);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("/nonexistent/ca.pem") != std::string::npos);
}
