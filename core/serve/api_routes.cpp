// Routing /api/… and /readyz to the daemon, with JSON answers and errors.
#include "api_routes.hpp"

#include "ingest_routes.hpp"

namespace cspm::core {
namespace {

using json = nlohmann::json;

HttpResponseMessage answer(const HttpRequestMessage& req, http::status status, const json& body) {
  return make_response(req, status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

// "/api/pipelines/cspm-daily/run" → {"cspm-daily", "run"}.
std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    if (slash != 0) out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::size_t runs_parameter(std::string_view query) {
  const std::size_t at = query.find("runs=");
  if (at == std::string_view::npos) return 20;
  std::size_t n = 0;
  for (std::size_t i = at + 5; i < query.size() && std::isdigit(static_cast<unsigned char>(query[i])); ++i)
    n = std::min<std::size_t>(n * 10 + static_cast<std::size_t>(query[i] - '0'), 1000);
  return n;
}

}  // namespace

std::function<std::optional<HttpResponseMessage>(const HttpRequestMessage&)> make_api_routes(
    DaemonControl& daemon, std::vector<std::string> api_tokens) {
  return [&daemon, tokens = std::move(api_tokens)](const HttpRequestMessage& req) -> std::optional<HttpResponseMessage> {
    const std::string_view target{req.target().data(), req.target().size()};
    const std::size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (path == "/readyz") {
      const std::string why = daemon.not_ready();
      return answer(req, why.empty() ? http::status::ok : http::status::service_unavailable,
                    {{"status", why.empty() ? "ready" : "not ready"}, {"reason", why}});
    }
    if (path.rfind("/api/", 0) != 0) return std::nullopt;
    const auto parts = segments(path.substr(5));
    if (parts.empty() || parts[0] != "pipelines") return answer(req, http::status::not_found, {{"error", "no such endpoint"}});
    if (parts.size() == 1) {
      if (req.method() != http::verb::get) return answer(req, http::status::method_not_allowed, {{"error", "use GET"}});
      return answer(req, http::status::ok, daemon.pipelines());
    }
    const std::string& id = parts[1];
    if (parts.size() == 2) {
      if (req.method() != http::verb::get) return answer(req, http::status::method_not_allowed, {{"error", "use GET"}});
      if (auto p = daemon.pipeline(id, runs_parameter(query))) return answer(req, http::status::ok, *p);
      return answer(req, http::status::not_found, {{"error", "no pipeline \"" + id + "\""}});
    }
    if (parts.size() == 3 && parts[2] == "run") {
      if (req.method() != http::verb::post) return answer(req, http::status::method_not_allowed, {{"error", "use POST"}});
      if (tokens.empty())
        return answer(req, http::status::forbidden, {{"error", "manual runs need [serve] api_tokens in cspmd.toml"}});
      if (!bearer_token_matches(req, tokens)) {
        auto r = answer(req, http::status::unauthorized, {{"error", "a valid bearer token is required"}});
        r.set(http::field::www_authenticate, "Bearer");
        return r;
      }
      switch (daemon.trigger(id)) {
        case DaemonControl::Trigger::queued:
          return answer(req, http::status::accepted, {{"pipeline", id}, {"queued", true}});
        case DaemonControl::Trigger::already_queued:
          return answer(req, http::status::conflict, {{"pipeline", id}, {"queued", true}, {"error", "a manual run is already queued"}});
        case DaemonControl::Trigger::stopping:
          return answer(req, http::status::service_unavailable, {{"error", "cspmd is stopping"}});
        case DaemonControl::Trigger::unknown:
          return answer(req, http::status::not_found, {{"error", "no pipeline \"" + id + "\""}});
      }
    }
    return answer(req, http::status::not_found, {{"error", "no such endpoint"}});
  };
}

}  // namespace cspm::core
