// A small blocking HTTP/1.1 client for tracker plugins: TLS verified, timeouts, keep-alive.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <cspm/api.hpp>
#include <cspm/status.hpp>

namespace cspm {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string target;  ///< path and query, appended to the base URL's path
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  /// The first header called `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const noexcept;
};

struct HttpClientOptions {
  /// PEM file of CAs to trust instead of the system's (for a private Jira's CA).
  std::string ca_file;
  /// Per step: connect, TLS handshake, write, read. A stalled server fails the request.
  std::chrono::milliseconds timeout{30000};
  /// Responses with larger bodies fail (a tracker answering gigabytes is broken).
  std::size_t max_response_bytes = 64u << 20;
};

/// One connection to one server, reused across requests. `https://` URLs verify the
/// server's certificate chain and host name; `http://` is for local test instances.
/// Not thread-safe: one client per thread. A failed Status means no HTTP response was
/// received (resolve, connect, TLS, timeout, I/O); any response, 4xx and 5xx included,
/// is a success with its status code.
class CSPM_API HttpClient {
 public:
  /// Parses `base_url` (scheme, host, optional port and path) and sets up TLS; connects lazily.
  static Status create(const std::string& base_url, const HttpClientOptions& options,
                       std::unique_ptr<HttpClient>& out);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request (Host, User-Agent and Content-Length are added) and reads the answer.
  /// A reused connection that the server closed meanwhile is reopened once.
  Status send(const HttpRequest& request, HttpResponse& response);

  /// "https://host:port" without credentials or path, for messages.
  const std::string& origin() const noexcept;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cspm
