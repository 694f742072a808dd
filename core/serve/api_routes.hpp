// The daemon's JSON API and readiness: pipelines, their next and recent runs, manual runs.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_listener.hpp"

namespace cspm::core {

/// What the API asks of the daemon (implemented by Daemon; a fake in tests).
class DaemonControl {
 public:
  virtual ~DaemonControl() = default;
  /// [{id, file, schedule, next_run, running, queued}], and the files failing to load.
  virtual nlohmann::json pipelines() const = 0;
  /// One pipeline with its recent runs; nullopt if there is no such pipeline.
  virtual std::optional<nlohmann::json> pipeline(const std::string& id, std::size_t runs) const = 0;
  enum class Trigger { queued, already_queued, unknown, stopping };
  virtual Trigger trigger(const std::string& id) = 0;
  /// Empty when ready for traffic; else why not (starting, stopping).
  virtual std::string not_ready() const = 0;
};

/// GET /readyz, GET /api/pipelines, GET /api/pipelines/{id}[?runs=N],
/// POST /api/pipelines/{id}/run (bearer token from `api_tokens`; none configured: refused).
/// Other targets: nullopt, for the next router.
std::function<std::optional<HttpResponseMessage>(const HttpRequestMessage&)> make_api_routes(
    DaemonControl& daemon, std::vector<std::string> api_tokens);

}  // namespace cspm::core
