// The daemon's HTTP server (Beast, on the daemon's io_context): connections, limits and
// timeouts here; what to answer is the Router's business, run off the I/O thread.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http.hpp>

namespace cspm::core {

namespace http = boost::beast::http;

/// string_body, read by appending: string_body's reader zero-fills each arriving chunk
/// before copying it in, a second pass over the megabytes of every Firehose request.
struct RequestBody : http::string_body {
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      ec = {};
      if (!length) return;
      if (*length > body_.max_size()) ec = http::error::buffer_overflow;
      else body_.reserve(static_cast<std::size_t>(*length));  // the parser has checked it against the body limit
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      ec = {};
      std::size_t n = 0;
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      return n;
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

using HttpRequestMessage = http::request<RequestBody>;
using HttpResponseMessage = http::response<http::string_body>;

/// Answers one request. May block (it runs on the worker pool, not the I/O thread).
using Router = std::function<HttpResponseMessage(const HttpRequestMessage&)>;
/// Answers a request refused before its body was read (413), from its header alone, in the
/// form its route's contract requires.
using Rejecter = std::function<HttpResponseMessage(const HttpRequestMessage&, http::status, const std::string& why)>;
/// Looks at a request's header before its body is read (on the I/O thread: keep it cheap)
/// and returns an answer to refuse it unread (401 to a wrong key: no 64 MB body is read for
/// a sender that cannot be let in), or nothing to go on.
using Admitter = std::function<std::optional<HttpResponseMessage>(const HttpRequestMessage& header)>;

struct ListenerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 0;                      ///< 0: any free port (tests)
  std::size_t max_body_bytes = 64u << 20;       ///< larger bodies get 413
  std::chrono::milliseconds request_timeout{60000};  ///< to receive one whole request (slow clients)
  std::chrono::milliseconds idle_timeout{120000};    ///< a kept-alive connection with nothing to say
  unsigned workers = 2;
  std::size_t max_connections = 512;  ///< more are closed at once (file descriptors are finite)
  Rejecter reject;  ///< empty: {"error": why}
  Admitter admit;   ///< empty: every header is admitted
  /// Answers cheap requests (probes, metrics) on the I/O thread, so that they never wait
  /// behind ingests that hold every worker; nothing: the request goes to the workers.
  std::function<std::optional<HttpResponseMessage>(const HttpRequestMessage&)> quick;
  /// HTTPS with this context (certificate and key loaded); null: plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

class HttpListener {
 public:
  /// Binds at once (a taken port fails here, with the reason); accepts once start() is called.
  HttpListener(boost::asio::io_context& io, ListenerOptions options, Router router);
  ~HttpListener();
  void start();
  /// Stops accepting and closes idle connections; a connection with a request in progress
  /// closes once it is answered. Requests in the workers finish.
  void stop();
  unsigned short port() const noexcept;
  /// Connections open now (after stop(): those still finishing an answer).
  std::size_t connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// A JSON (or text) response with the request's HTTP version and keep-alive.
HttpResponseMessage make_response(const HttpRequestMessage& request, http::status status, std::string body,
                                  std::string content_type = "application/json");

}  // namespace cspm::core
