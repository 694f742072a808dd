// Retry loop: full-jitter exponential backoff, Retry-After taken as the floor of the wait.
#include "delivery.hpp"

#include <algorithm>
#include <ctime>
#include <optional>
#include <thread>

namespace cspm::plugins::jira {

// The target with issue keys and the query left out, so that one error reads the same for
// every ticket and is reported once ("/rest/api/3/issue/{key}/comment").
std::string route_of(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::string out{target};
  for (const std::string_view marker : {"/issue/"}) {
    const std::size_t at = out.find(marker);
    if (at == std::string::npos) continue;
    const std::size_t from = at + marker.size();
    const std::size_t to = out.find('/', from);
    out.replace(from, (to == std::string::npos ? out.size() : to) - from, "{key}");
  }
  return out;
}

Delivery::Delivery(HttpClient& client, DeliveryPolicy policy, Sleep sleep, std::uint64_t seed)
    : client_(client), policy_(policy), sleep_(std::move(sleep)), random_(seed) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

void Delivery::pace() {
  if (policy_.requests_per_second <= 0) return;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / policy_.requests_per_second));
  const auto now = Clock::now();
  if (next_slot_ > now) sleep_(std::chrono::ceil<std::chrono::milliseconds>(next_slot_ - now));
  next_slot_ = std::max(now, next_slot_) + interval;
}

std::chrono::milliseconds Delivery::wait_before(int attempt, std::optional<std::chrono::milliseconds> asked) {
  // Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^attempt)].
  const auto ceiling = std::min<long long>(policy_.max_backoff.count(),
                                           policy_.backoff.count() << std::min(attempt, 20));
  std::uniform_int_distribution<long long> pick(0, std::max<long long>(ceiling, 0));
  std::chrono::milliseconds wait{pick(random_)};
  if (asked) wait = std::max(wait, *asked);
  return wait;
}

Status Delivery::send(const HttpRequest& request, HttpResponse& response, bool idempotent) {
  Status last = Status::success();
  if (Clock::now() < blocked_until_)
    return Status::failure(client_.origin() + ": Jira asked for a pause longer than max_backoff; no more requests this run");
  for (int attempt = 0;; ++attempt) {
    if (stopping_ && stopping_()) return Status::failure(client_.origin() + ": cspmd is stopping; request not sent");
    pace();
    ++stats_.requests;
    response = HttpResponse{};
    const auto sent = std::chrono::steady_clock::now();
    last = client_.send(request, response);
    stats_.request_ms += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count());
    bool retry = false;
    if (!last.ok()) {
      retry = idempotent;
    } else if (response.status == 429) {
      ++stats_.throttled;
      retry = true;
      last = Status::failure(client_.origin() + ": rate limited (429) on " + request.method + " " + route_of(request.target));
    } else if (response.status >= 500) {
      retry = idempotent;
      last = Status::failure(client_.origin() + ": server error " + std::to_string(response.status) + " on " +
                             request.method + " " + route_of(request.target));
    } else {
      return Status::success();
    }
    if (!retry || attempt >= policy_.retries) return last;
    std::optional<std::chrono::milliseconds> asked;
    if (response.status) asked = retry_after(response.header("Retry-After"), std::chrono::system_clock::now());
    if (asked && *asked > policy_.max_backoff) {
      // Honour it: no request to this Jira before then, in this run; the next run goes on.
      blocked_until_ = Clock::now() + *asked;
      return Status::failure(last.message() + ": Jira asks to wait " + std::to_string(asked->count() / 1000) +
                             " s, longer than max_backoff");
    }
    ++stats_.retries;
    sleep_(wait_before(attempt, asked));
  }
}

std::optional<std::chrono::milliseconds> retry_after(std::string_view value,
                                                     std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds::max();
    return std::chrono::seconds(std::stoll(std::string{value}));
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  const std::string text{value};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (at <= now) return std::chrono::milliseconds{0};
  return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

}  // namespace cspm::plugins::jira
