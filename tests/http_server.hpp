// A real HTTP(S) server on loopback for tests: Beast, port 0, a thread per connection.
#pragma once
#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace cspm::test {

namespace http = boost::beast::http;
using ServerRequest = http::request<http::string_body>;
using ServerResponse = http::response<http::string_body>;

/// A handler's response carrying this header is not sent: the connection is closed instead
/// (a request carried out whose answer never arrives).
inline constexpr const char* kDropHeader = "X-Test-Drop-Connection";

/// Answers each request with `handler` (called under a lock, one request at a time, so a
/// handler may keep state without its own locking). With a certificate and key (PEM files)
/// it speaks TLS. Stops and joins its threads when destroyed.
class HttpServer {
 public:
  using Handler = std::function<ServerResponse(const ServerRequest&)>;

  explicit HttpServer(Handler handler, const std::string& cert_file = {}, const std::string& key_file = {})
      : handler_(std::move(handler)),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    if (!cert_file.empty()) {
      tls_.emplace(boost::asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(cert_file);
      tls_->use_private_key_file(key_file, boost::asio::ssl::context::pem);
    }
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~HttpServer() {
    stopping_ = true;
    boost::system::error_code ec;
    // close() alone does not wake a thread blocked in accept(); shutdown() does on Linux.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    acceptor_.close(ec);
    {
      // Unblock connections waiting for a next request.
      std::lock_guard lock(connections_mutex_);
      for (auto& c : connections_) c->socket.shutdown(boost::asio::socket_base::shutdown_both, ec);
    }
    if (accept_thread_.joinable()) accept_thread_.join();
    std::lock_guard lock(connections_mutex_);
    for (auto& c : connections_)
      if (c->thread.joinable()) c->thread.join();
  }

  unsigned short port() const { return port_; }
  std::string url(bool tls = false) const {
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }
  /// Requests answered so far.
  int requests() const { return requests_; }
  /// Connections accepted so far.
  int connections() const { return accepted_; }
  /// Closes every open connection after its current exchange (tests of stale keep-alive).
  void drop_idle_connections() {
    std::lock_guard lock(connections_mutex_);
    boost::system::error_code ec;
    for (auto& c : connections_) c->socket.shutdown(boost::asio::socket_base::shutdown_both, ec);
  }

 private:
  struct Connection {
    explicit Connection(boost::asio::ip::tcp::socket s) : socket(std::move(s)) {}
    boost::asio::ip::tcp::socket socket;
    std::thread thread;
  };

  void accept_loop() {
    while (!stopping_) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      ++accepted_;
      std::lock_guard lock(connections_mutex_);
      auto& c = connections_.emplace_back(std::make_unique<Connection>(std::move(socket)));
      Connection* raw = c.get();
      c->thread = std::thread([this, raw] { serve(*raw); });
    }
  }

  template <class Stream>
  void exchange_loop(Stream& stream) {
    boost::beast::flat_buffer buffer;
    while (!stopping_) {
      ServerRequest req;
      boost::system::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) return;
      ServerResponse res;
      {
        std::lock_guard lock(handler_mutex_);
        res = handler_(req);
      }
      ++requests_;
      if (res.count(kDropHeader)) return;  // no answer at all: the connection just closes
      res.version(req.version());
      if (!res.has_content_length()) res.prepare_payload();
      const bool close = !res.keep_alive() || !req.keep_alive();
      http::write(stream, res, ec);
      if (ec || close) return;
    }
  }

  void serve(Connection& c) {
    boost::system::error_code ec;
    if (tls_) {
      boost::beast::ssl_stream<boost::asio::ip::tcp::socket&> stream(c.socket, *tls_);
      stream.handshake(boost::asio::ssl::stream_base::server, ec);
      if (!ec) exchange_loop(stream);
    } else {
      exchange_loop(c.socket);
    }
    c.socket.shutdown(boost::asio::socket_base::shutdown_both, ec);
  }

  Handler handler_;
  std::mutex handler_mutex_;
  boost::asio::io_context io_;
  std::optional<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0}, accepted_{0};
  std::thread accept_thread_;
  std::mutex connections_mutex_;
  std::list<std::unique_ptr<Connection>> connections_;
};

/// A JSON response with `status`.
inline ServerResponse json_response(int status, const std::string& body) {
  ServerResponse res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = body;
  res.prepare_payload();
  return res;
}

}  // namespace cspm::test
