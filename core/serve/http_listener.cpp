// Accept loop and per-connection sessions after Beast's async server example, with a
// deadline per request and the router posted to a worker pool.
#include "http_listener.hpp"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

namespace cspm::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string too_large(std::size_t limit) { return "request body over " + std::to_string(limit) + " bytes"; }

}  // namespace

struct HttpListener::Impl : std::enable_shared_from_this<HttpListener::Impl> {
  // What stop() needs of a session, whatever its stream (plain TCP or TLS).
  class SessionBase {
   public:
    virtual ~SessionBase() = default;
    virtual void close_if_idle() = 0;
  };
  template <class Stream>
  class Session;

  Impl(asio::io_context& context, ListenerOptions o, Router r)
      : io(context), options(std::move(o)), router(std::move(r)), acceptor(asio::make_strand(io)),
        retry(acceptor.get_executor()), pool(options.workers) {}

  asio::io_context& io;
  ListenerOptions options;
  Router router;
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // after an accept error such as EMFILE: wait, do not spin
  asio::thread_pool pool;
  std::atomic<bool> stopped{false};  // read by sessions on their own strands
  unsigned short port = 0;
  std::mutex sessions_mutex;
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions;  // to close idle ones on stop()

  void accept();

  std::size_t open_sessions() {
    std::lock_guard lock(sessions_mutex);
    return sessions.size();
  }
  void close_idle_sessions();
};

template <class Stream>
class HttpListener::Impl::Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  static constexpr std::size_t kReadBytes = 64 * 1024;

  Session(std::shared_ptr<Impl> owner, tcp::socket socket) : owner_(std::move(owner)), stream_(make_stream(std::move(socket))) {
    // Beast reads as much as the buffer has room for (at least 512 bytes, at most 64 KB): an
    // unreserved buffer made a 4 MB body 8,000 receive calls instead of 64.
    buffer_.reserve(kReadBytes);
  }
  ~Session() {
    std::lock_guard lock(owner_->sessions_mutex);
    owner_->sessions.erase(this);
  }

  void start() {
    {
      std::lock_guard lock(owner_->sessions_mutex);
      owner_->sessions.emplace(this, std::weak_ptr<SessionBase>{this->shared_from_this()});
    }
    if constexpr (kTls) {
      lowest().expires_after(owner_->options.request_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->close(ec);  // not TLS, an untrusted client, too slow
        self->read();
      });
    } else {
      read();
    }
  }

  // On the session's strand: a connection waiting for its next request is closed; one
  // with a request in progress closes after its answer (write() sees `stopped`).
  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->close({});
    });
  }

 private:
  Stream make_stream(tcp::socket socket) {
    if constexpr (kTls) return Stream(std::move(socket), *owner_->options.tls);
    else return Stream(std::move(socket));
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read() {
    busy_ = false;
    parser_.emplace();
    parser_->body_limit(owner_->options.max_body_bytes);
    parser_->header_limit(64 * 1024);
    // The first request of a connection, and each after, must arrive whole in time.
    lowest().expires_after(first_ ? owner_->options.request_timeout : owner_->options.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_header(ec);
    });
  }

  void on_header(beast::error_code ec) {
    busy_ = true;
    // Beast checks a declared Content-Length against the body limit with the header.
    if (ec == http::error::body_limit) return reject(http::status::payload_too_large, too_large(owner_->options.max_body_bytes));
    if (ec) return close(ec);
    first_ = false;
    if (const auto length = parser_->content_length(); length && *length > owner_->options.max_body_bytes)
      return reject(http::status::payload_too_large, too_large(owner_->options.max_body_bytes));
    if (owner_->options.admit)
      if (auto refusal = owner_->options.admit(parser_->get())) {
        refusal->keep_alive(false);  // the body is not read: this connection is done
        return write(std::move(*refusal));
      }
    lowest().expires_after(owner_->options.request_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
      self->on_body(e);
    });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) return reject(http::status::payload_too_large, too_large(owner_->options.max_body_bytes));
    if (ec) return close(ec);
    if (owner_->stopped) return close({});  // not started, not answered: the sender retries elsewhere
    request_ = parser_->release();
    if (owner_->options.quick)
      if (auto answer = owner_->options.quick(request_)) return write(std::move(*answer));
    lowest().expires_never();  // the router may take a while (a store commit)
    asio::post(owner_->pool, [self = this->shared_from_this()] {
      HttpResponseMessage response;
      try {
        response = self->owner_->router(self->request_);
      } catch (const std::exception&) {  // the router's own errors are answers; this is a bug
        response = make_response(self->request_, http::status::internal_server_error, R"({"error":"internal error"})");
      }
      asio::post(self->stream_.get_executor(), [self, r = std::move(response)]() mutable { self->write(std::move(r)); });
    });
  }

  void reject(http::status status, const std::string& why) {
    request_ = parser_->release();
    auto r = owner_->options.reject ? owner_->options.reject(request_, status, why)
                                    : make_response(request_, status, R"({"error":")" + why + R"("})");
    r.keep_alive(false);  // the rest of the body is not read: this connection is done
    write(std::move(r));
  }

  void write(HttpResponseMessage response) {
    response_ = std::make_shared<HttpResponseMessage>(std::move(response));
    response_->prepare_payload();
    lowest().expires_after(owner_->options.request_timeout);
    http::async_write(stream_, *response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close(ec);
      if (!self->response_->keep_alive() || self->owner_->stopped) return self->linger();
      self->read();
    });
  }

  // Closing a socket with unread input resets the connection, and the client may lose
  // the answer (a 413 to a body it is still sending): say we are done, then drain.
  void linger() {
    if constexpr (kTls) {  // close_notify, then close (the TLS layer cannot half-close)
      lowest().expires_after(owner_->options.request_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code ec) { self->close(ec); });
      return;
    }
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(owner_->options.request_timeout);
    drain_ = std::make_shared<std::array<char, 16384>>();
    drain_more();
  }
  void drain_more() {
    stream_.async_read_some(asio::buffer(*drain_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close(ec);
      self->drain_more();
    });
  }

  void close(beast::error_code) {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  std::shared_ptr<Impl> owner_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<RequestBody>> parser_;
  HttpRequestMessage request_;
  std::shared_ptr<HttpResponseMessage> response_;
  std::shared_ptr<std::array<char, 16384>> drain_;
  bool first_ = true;
  bool busy_ = false;  // a request is being read, routed or answered
};

void HttpListener::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [self = this->shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopped) return;
    if (ec) {
      self->retry.expires_after(std::chrono::milliseconds(100));
      self->retry.async_wait([self](beast::error_code) {
        if (!self->stopped) self->accept();
      });
      return;
    }
    if (self->open_sessions() >= self->options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      if (self->options.tls) std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(self, std::move(socket))->start();
      else std::make_shared<Session<beast::tcp_stream>>(self, std::move(socket))->start();
    }
    self->accept();
  });
}

void HttpListener::Impl::close_idle_sessions() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(sessions_mutex);
    for (const auto& [raw, weak] : sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (const auto& s : live) s->close_if_idle();
}

HttpListener::HttpListener(asio::io_context& io, ListenerOptions options, Router router)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(router))) {
  const tcp::endpoint endpoint{asio::ip::make_address(impl_->options.address), impl_->options.port};
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor.local_endpoint().port();
}

HttpListener::~HttpListener() {
  stop();
  impl_->pool.join();
}

void HttpListener::start() { impl_->accept(); }

void HttpListener::stop() {
  if (impl_->stopped.exchange(true)) return;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry.cancel();
  });
  impl_->close_idle_sessions();
}

unsigned short HttpListener::port() const noexcept { return impl_->port; }

std::size_t HttpListener::connections() const { return impl_->open_sessions(); }

HttpResponseMessage make_response(const HttpRequestMessage& request, http::status status, std::string body,
                                  std::string content_type) {
  HttpResponseMessage r{status, request.version()};
  r.set(http::field::server, "cspmd");
  r.set(http::field::content_type, content_type);
  r.keep_alive(request.keep_alive());
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

}  // namespace cspm::core
