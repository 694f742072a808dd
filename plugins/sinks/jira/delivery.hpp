// Pacing and retries for tracker requests: a client-side rate limit, backoff with jitter,
// Retry-After honoured.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include <cspm/http_client.hpp>

namespace cspm::plugins::jira {

struct DeliveryPolicy {
  int retries = 5;                                   ///< extra attempts after the first
  std::chrono::milliseconds backoff{1000};           ///< first wait; doubles per attempt
  std::chrono::milliseconds max_backoff{60000};      ///< cap, also for Retry-After
  double requests_per_second = 5;                    ///< client-side limit (0: none)
};

/// Counts over everything one Delivery sent, for the run's statistics.
struct DeliveryStats {
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::uint64_t throttled = 0;  ///< 429 answers
  std::uint64_t request_ms = 0;  ///< time spent waiting for answers (not in backoff)
};

/// Sends requests through one HttpClient. 429 is retried for every request (a rejected
/// request was not acted on); 5xx and transport failures only for idempotent ones, because
/// a create that timed out may have created the issue: the caller recovers those through
/// the ledger instead of sending them again.
class Delivery {
 public:
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  using Clock = std::chrono::steady_clock;

  Delivery(HttpClient& client, DeliveryPolicy policy, Sleep sleep = {}, std::uint64_t seed = std::random_device{}());

  /// A failed Status means no usable answer after the retries (transport failure, or the
  /// last 429/5xx, whose status and body are then in `response` too).
  Status send(const HttpRequest& request, HttpResponse& response, bool idempotent);

  /// Once `stopping()` is true (cspmd is stopping), no request is sent and none retried:
  /// the one in flight finishes, the rest wait for the next run.
  void set_stop(std::function<bool()> stopping) { stopping_ = std::move(stopping); }

  const DeliveryStats& stats() const noexcept { return stats_; }
  /// Jira asked for a pause longer than max_backoff: no more requests this run.
  bool blocked() const noexcept { return Clock::now() < blocked_until_; }
  const std::string& origin() const noexcept { return client_.origin(); }

 private:
  void pace();
  std::chrono::milliseconds wait_before(int attempt, std::optional<std::chrono::milliseconds> asked);

  HttpClient& client_;
  DeliveryPolicy policy_;
  Sleep sleep_;
  std::function<bool()> stopping_;
  std::mt19937_64 random_;
  Clock::time_point next_slot_{};
  Clock::time_point blocked_until_{};  // Jira asked for a pause longer than we wait
  DeliveryStats stats_;
};

/// The target with issue keys and the query left out ("/rest/api/3/issue/{key}/comment"),
/// so that one error reads the same for every ticket and is reported once.
std::string route_of(std::string_view target);

/// Seconds of a Retry-After header (delta-seconds or an HTTP date), if it has a usable one.
std::optional<std::chrono::milliseconds> retry_after(std::string_view value,
                                                     std::chrono::system_clock::time_point now);

}  // namespace cspm::plugins::jira
