// HttpClient on Beast: each step is an async operation run to completion on a private
// io_context, because tcp_stream's timeouts only apply to asynchronous operations.
#include <cspm/http_client.hpp>

#include <poll.h>

#include <optional>
#include <regex>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

#include <cspm/version.hpp>

namespace cspm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

struct Url {
  bool tls = false;
  std::string host, port, path;
};

// scheme://host[:port][/path]; userinfo is refused so that credentials never sit in URLs.
bool parse_url(const std::string& text, Url& url, std::string& problem) {
  static const std::regex pattern(R"(^(https?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:([0-9]{1,5}))?(/[^?#]*)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) {
    problem = text.find('@') != std::string::npos
                  ? "URL must not contain credentials (use the token option)"
                  : "expected http(s)://host[:port][/path]";
    return false;
  }
  url.tls = m[1] == "https";
  url.host = m[2];
  if (url.host.front() == '[') url.host = url.host.substr(1, url.host.size() - 2);
  url.port = m[4].matched ? m[4].str() : (url.tls ? "443" : "80");
  url.path = m[5].matched ? m[5].str() : "";
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  return true;
}

}  // namespace

std::string_view HttpResponse::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

struct HttpClient::Impl {
  Url url;
  std::string origin;
  HttpClientOptions options;
  asio::io_context io;
  std::optional<ssl::context> tls;
  // The connection: a plain stream or a TLS stream, rebuilt on reconnect.
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  bool connected() const { return plain || secure; }

  void close() {
    beast::error_code ignored;
    if (secure) beast::get_lowest_layer(*secure).socket().close(ignored);
    if (plain) plain->socket().close(ignored);
    secure.reset();
    plain.reset();
    buffer.clear();
  }

  // Runs the io_context until the operation started by `start` completes.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  Status connect() {
    close();
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = asio::error::would_block;
    resolver.async_resolve(url.host, url.port, [&](beast::error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
    });
    io.restart();
    io.run();
    if (ec) return Status::failure(origin + ": cannot resolve " + url.host + ": " + ec.message());
    if (tls) {
      secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, *tls);
      // SNI, and the name the certificate must carry.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"  // OpenSSL's macro
      const bool named = SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str());
#pragma GCC diagnostic pop
      if (!named) return Status::failure(origin + ": cannot set TLS server name");
      secure->set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      plain = std::make_unique<beast::tcp_stream>(io);
    }
    lowest().expires_after(options.timeout);
    ec = run([&](auto handler) { lowest().async_connect(endpoints, handler); });
    if (ec) {
      close();
      return Status::failure(origin + ": cannot connect: " + ec.message());
    }
    if (secure) {
      lowest().expires_after(options.timeout);
      ec = run([&](auto handler) { secure->async_handshake(ssl::stream_base::client, handler); });
      if (ec) {
        std::string why = ec.message();
        if (const long verify = SSL_get_verify_result(secure->native_handle()); verify != X509_V_OK)
          why = std::string{"certificate verification failed: "} + X509_verify_cert_error_string(verify);
        close();
        return Status::failure(origin + ": TLS handshake failed: " + why);
      }
    }
    return Status::success();
  }

  // How an exchange failed, for deciding whether it may be repeated on a new connection.
  enum class Failure { none, unsent, unanswered, other };

  // True when the idle connection was closed by the server (an idle HTTP connection has
  // nothing to read, so readability means EOF or an error).
  bool stale() {
    pollfd p{lowest().socket().native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) != 0;
  }

  // One exchange on the current connection.
  Status exchange(const http::request<http::string_body>& req, HttpResponse& out, Failure& failure) {
    failure = Failure::other;
    lowest().expires_after(options.timeout);
    beast::error_code ec = secure ? run([&](auto h) { http::async_write(*secure, req, h); })
                                  : run([&](auto h) { http::async_write(*plain, req, h); });
    if (ec) {
      failure = Failure::unsent;
      return Status::failure(origin + ": cannot send the request: " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(64 * 1024);
    // Header first: Beast 1.74 does not apply body_limit to a Content-Length body, so the
    // declared length is checked here before any of the body is read.
    lowest().expires_after(options.timeout);
    ec = secure ? run([&](auto h) { http::async_read_header(*secure, buffer, parser, h); })
                : run([&](auto h) { http::async_read_header(*plain, buffer, parser, h); });
    const auto too_large = [&] {
      close();
      return Status::failure(origin + ": response larger than " + std::to_string(options.max_response_bytes) + " bytes");
    };
    if (!ec && parser.content_length() && *parser.content_length() > options.max_response_bytes) return too_large();
    if (!ec && !parser.is_done()) {
      lowest().expires_after(options.timeout);
      ec = secure ? run([&](auto h) { http::async_read(*secure, buffer, parser, h); })
                  : run([&](auto h) { http::async_read(*plain, buffer, parser, h); });
    }
    if (ec) {
      // A keep-alive connection the server had closed shows as EOF/reset before any byte.
      if ((ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
           ec == asio::error::eof) && !parser.got_some())
        failure = Failure::unanswered;
      if (ec == beast::error::timeout) return Status::failure(origin + ": no response within the timeout");
      if (ec == http::error::body_limit) return too_large();
      return Status::failure(origin + ": cannot read the response: " + ec.message());
    }
    if (parser.get().body().size() > options.max_response_bytes) return too_large();
    auto res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.headers.clear();
    for (const auto& field : res) out.headers.emplace_back(field.name_string(), field.value());
    out.body = std::move(res.body());
    if (!res.keep_alive()) close();
    failure = Failure::none;
    return Status::success();
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() {
  if (impl_) impl_->close();
}

Status HttpClient::create(const std::string& base_url, const HttpClientOptions& options,
                          std::unique_ptr<HttpClient>& out) {
  auto impl = std::make_unique<Impl>();
  std::string problem;
  // The URL stays out of the message: it could hold credentials.
  if (!parse_url(base_url, impl->url, problem)) return Status::failure("invalid URL: " + problem);
  impl->options = options;
  const Url& u = impl->url;
  const bool v6 = u.host.find(':') != std::string::npos;
  impl->origin = (u.tls ? "https://" : "http://") + (v6 ? "[" + u.host + "]" : u.host) + ":" + u.port;
  if (u.tls) {
    impl->tls.emplace(ssl::context::tls_client);
    beast::error_code ec;
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    impl->tls->set_verify_mode(ssl::verify_peer, ec);
    if (options.ca_file.empty())
      impl->tls->set_default_verify_paths(ec);
    else
      impl->tls->load_verify_file(options.ca_file, ec);
    if (ec)
      return Status::failure(impl->origin + ": cannot load trusted CAs" +
                             (options.ca_file.empty() ? "" : " from " + options.ca_file) + ": " + ec.message());
  }
  out.reset(new HttpClient(std::move(impl)));
  return Status::success();
}

const std::string& HttpClient::origin() const noexcept { return impl_->origin; }

Status HttpClient::send(const HttpRequest& request, HttpResponse& response) {
  Impl& d = *impl_;
  http::request<http::string_body> req;
  req.version(11);
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) return Status::failure("unknown HTTP method " + request.method);
  req.method(verb);
  req.target(d.url.path + request.target);
  const bool v6 = d.url.host.find(':') != std::string::npos;
  const bool default_port = d.url.port == (d.url.tls ? "443" : "80");
  req.set(http::field::host, (v6 ? "[" + d.url.host + "]" : d.url.host) + (default_port ? "" : ":" + d.url.port));
  req.set(http::field::user_agent, std::string{"cspm-notify/"} + CSPM_SDK_VERSION);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  req.keep_alive(true);

  if (d.connected() && d.stale()) d.close();
  const bool reused = d.connected();
  if (!reused)
    if (Status s = d.connect(); !s) return s;
  Impl::Failure failure = Impl::Failure::none;
  Status s = d.exchange(req, response, failure);
  // The server closed the reused connection under us: once more on a new one, unless the
  // request may have been acted on and is not idempotent (a second POST could file a second
  // issue; the caller's recovery decides).
  const bool idempotent = verb != http::verb::post && verb != http::verb::patch;
  if (!s && reused &&
      (failure == Impl::Failure::unsent || (failure == Impl::Failure::unanswered && idempotent))) {
    if (Status c = d.connect(); !c) return c;
    s = d.exchange(req, response, failure);
  }
  if (!s) d.close();
  return s;
}

}  // namespace cspm
