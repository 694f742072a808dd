// The jira sink's delivery: which answers are retried, how long it waits, the rate limit.
#define BOOST_TEST_MODULE jira_delivery
#include <boost/test/unit_test.hpp>

#include <deque>

#include "../../plugins/sinks/jira/delivery.hpp"
#include "http_server.hpp"

using namespace cspm;
using namespace cspm::plugins::jira;
using namespace std::chrono_literals;

namespace {

// A server answering from a script, then 200; and a Delivery whose sleeps are recorded.
struct Fixture {
  std::deque<test::ServerResponse> script;
  int seen = 0;
  test::HttpServer server{[this](const test::ServerRequest&) {
    ++seen;
    if (script.empty()) return test::json_response(200, "{}");
    auto r = script.front();
    script.pop_front();
    return r;
  }};
  std::unique_ptr<HttpClient> client;
  std::vector<std::chrono::milliseconds> waits;

  Delivery make(DeliveryPolicy policy) {
    BOOST_REQUIRE(HttpClient::create(server.url(), {}, client).ok());
    return Delivery(*client, policy, [this](std::chrono::milliseconds d) { waits.push_back(d); }, 42);
  }
};

test::ServerResponse status(int code, const std::string& retry_after = {}) {
  auto r = test::json_response(code, "{}");
  if (!retry_after.empty()) r.set("Retry-After", retry_after);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(retry_after_takes_seconds_and_http_dates) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  BOOST_TEST(retry_after("7", now).value().count() == 7000);
  BOOST_TEST(retry_after(" 0 ", now).value().count() == 0);
  BOOST_TEST(retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now).value().count() == 30000);
  BOOST_TEST(retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now).value().count() == 0);
  BOOST_TEST(!retry_after("soon", now));
  BOOST_TEST(!retry_after("", now));
}

BOOST_AUTO_TEST_CASE(rate_limited_requests_wait_as_told) {
  Fixture f;
  f.script = {status(429, "3"), status(429, "2")};
  auto d = f.make({5, 10ms, 60000ms, 0});
  HttpResponse res;
  BOOST_REQUIRE(d.send({"POST", "/issue", {}, "{}"}, res, false).ok());  // 429 is safe to repeat, even a POST
  BOOST_TEST(res.status == 200);
  BOOST_REQUIRE_EQUAL(f.waits.size(), 2u);
  BOOST_TEST(f.waits[0].count() >= 3000);
  BOOST_TEST(f.waits[1].count() >= 2000);
  BOOST_TEST(d.stats().throttled == 2u);
  BOOST_TEST(d.stats().retries == 2u);
}

BOOST_AUTO_TEST_CASE(a_pause_longer_than_max_backoff_stops_requests_for_the_run) {
  Fixture f;
  f.script = {status(429, "120")};
  auto d = f.make({5, 10ms, 60000ms, 0});
  HttpResponse res;
  const Status s = d.send({"GET", "/x", {}, {}}, res, true);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("120 s") != std::string::npos, s.message());
  BOOST_TEST(f.waits.empty());  // not retried early
  BOOST_TEST(!d.send({"GET", "/y", {}, {}}, res, true).ok());
  BOOST_TEST(f.seen == 1);  // nor anything else sent before the pause is over
}

BOOST_AUTO_TEST_CASE(server_errors_are_repeated_only_for_idempotent_requests) {
  Fixture f;
  f.script = {status(503), status(502)};
  auto d = f.make({5, 10ms, 1000ms, 0});
  HttpResponse res;
  const Status post = d.send({"POST", "/issue", {}, "{}"}, res, false);
  BOOST_TEST(!post.ok());  // the create may have happened: the caller recovers, not us
  BOOST_TEST(res.status == 503);
  BOOST_TEST(f.seen == 1);
  BOOST_REQUIRE(d.send({"GET", "/issue/SEC-1", {}, {}}, res, true).ok());
  BOOST_TEST(f.seen == 3);
  BOOST_REQUIRE_EQUAL(f.waits.size(), 1u);
  BOOST_TEST(f.waits[0].count() <= 10);  // full jitter: within [0, backoff] on the first retry
}

BOOST_AUTO_TEST_CASE(retries_give_up_after_the_limit_with_the_last_answer) {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.script.push_back(status(500));
  auto d = f.make({2, 10ms, 1000ms, 0});
  HttpResponse res;
  const Status s = d.send({"GET", "/x", {}, {}}, res, true);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("server error 500") != std::string::npos, s.message());
  BOOST_TEST(f.seen == 3);
  for (std::size_t i = 0; i < f.waits.size(); ++i) BOOST_TEST(f.waits[i].count() <= (10 << i));
}

BOOST_AUTO_TEST_CASE(the_client_side_rate_limit_spaces_requests) {
  Fixture f;
  auto d = f.make({0, 10ms, 1000ms, 10});  // 10 requests per second
  HttpResponse res;
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(d.send({"GET", "/x", {}, {}}, res, true).ok());
  // The recorded sleeps do not pass time, so each later request is told to wait ~100 ms.
  BOOST_REQUIRE_EQUAL(f.waits.size(), 2u);
  for (const auto w : f.waits) BOOST_TEST((w.count() > 50 && w.count() <= 200), w.count());
}
