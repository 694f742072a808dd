// The HTTP listener on loopback: quick routes answer on the I/O thread while every worker is
// busy, the connection cap, and stop() closing idle keep-alive connections.
#define BOOST_TEST_MODULE http_listener
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>

#include <cspm/http_client.hpp>

#include "../../../core/serve/http_listener.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::core;

namespace {

// A router whose /slow requests wait until released: workers held busy on purpose.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void release() {
    std::lock_guard l(m);
    open = true;
    cv.notify_all();
  }
  void wait_for_waiters(int n) {
    std::unique_lock l(m);
    BOOST_REQUIRE(cv.wait_for(l, std::chrono::seconds(30), [&] { return waiting >= n; }));
  }
};

struct Server {
  explicit Server(ListenerOptions o) {
    listener = std::make_unique<HttpListener>(io, std::move(o), [this](const HttpRequestMessage& req) {
      if (req.target() == "/slow") {
        std::unique_lock l(gate.m);
        ++gate.waiting;
        gate.cv.notify_all();
        gate.cv.wait(l, [&] { return gate.open; });
      }
      return make_response(req, http::status::ok, R"({"worker":true})");
    });
    listener->start();
    thread = std::thread([this] { io.run(); });
  }
  ~Server() {
    gate.release();
    listener->stop();
    work.reset();
    listener.reset();
    io.stop();
    thread.join();
  }
  HttpResponse get(const std::string& target) {
    std::unique_ptr<HttpClient> client;
    BOOST_REQUIRE(HttpClient::create("http://127.0.0.1:" + std::to_string(listener->port()), {}, client).ok());
    HttpResponse res;
    const Status s = client->send({"GET", target, {}, {}}, res);
    BOOST_REQUIRE_MESSAGE(s.ok(), s.message());
    return res;
  }
  Gate gate;
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{io.get_executor()};
  std::unique_ptr<HttpListener> listener;
  std::thread thread;
};

}  // namespace

BOOST_AUTO_TEST_CASE(quick_routes_answer_while_every_worker_is_busy) {
  ListenerOptions o;
  o.workers = 1;
  o.quick = [](const HttpRequestMessage& req) -> std::optional<HttpResponseMessage> {
    if (req.target() == "/healthz") return make_response(req, http::status::ok, R"({"status":"ok"})");
    return std::nullopt;
  };
  Server s(o);
  auto slow = std::async(std::launch::async, [&] { return s.get("/slow"); });
  s.gate.wait_for_waiters(1);  // the only worker is held
  const auto health = s.get("/healthz");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(health.body == R"({"status":"ok"})");
  s.gate.release();
  BOOST_TEST(slow.get().body == R"({"worker":true})");
}

BOOST_AUTO_TEST_CASE(connections_over_the_cap_are_closed_at_once) {
  ListenerOptions o;
  o.max_connections = 1;
  o.workers = 1;
  Server s(o);
  auto slow = std::async(std::launch::async, [&] { return s.get("/slow"); });
  s.gate.wait_for_waiters(1);  // one connection open
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), s.listener->port()});
  char c;
  boost::system::error_code ec;
  BOOST_TEST(boost::asio::read(socket, boost::asio::buffer(&c, 1), ec) == 0u);  // closed, no answer
  BOOST_TEST(!!ec);
  s.gate.release();
  BOOST_TEST(slow.get().status == 200);
}

BOOST_AUTO_TEST_CASE(stop_closes_idle_keep_alive_connections) {
  Server s({});
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), s.listener->port()});
  const std::string req = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(req));
  std::string answer(4096, '\0');
  answer.resize(socket.read_some(boost::asio::buffer(answer)));
  BOOST_REQUIRE(answer.rfind("HTTP/1.1 200", 0) == 0u);
  BOOST_TEST(s.listener->connections() == 1u);  // kept alive, idle
  s.listener->stop();
  char c;
  boost::system::error_code ec;
  BOOST_TEST(boost::asio::read(socket, boost::asio::buffer(&c, 1), ec) == 0u);  // closed by stop()
  BOOST_TEST(!!ec);
}
