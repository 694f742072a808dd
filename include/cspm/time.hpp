// Timestamps (UTC milliseconds) and durations as findings and pipeline files spell them.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cspm {

/// Milliseconds since the Unix epoch, UTC. 0 means "absent".
using Timestamp = std::int64_t;

/// Parses RFC 3339 / ISO 8601 date-times as ASFF uses them: "2026-11-26T08:00:43.200Z",
/// "2018-08-07T20:36:40Z", "2020-03-22T13:22:13.933+02:00". nullopt if not such a time.
std::optional<Timestamp> parse_timestamp(std::string_view text) noexcept;

/// Formats as "2026-11-26T08:00:43.200Z" (milliseconds only when non-zero).
std::string format_timestamp(Timestamp t);

/// Parses "90s", "15m", "24h", "30d", "1h30m". nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) noexcept;

/// Current time from the system clock (the runner injects its own "now" for runs).
Timestamp system_now() noexcept;

}  // namespace cspm
