// Cron expressions evaluated in an IANA time zone, correct across DST switches.
#pragma once
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace date {
class time_zone;
}

namespace cspm::core {

using SysSeconds = std::chrono::sys_seconds;

/// "minute hour day-of-month month day-of-week" (Vixie cron: lists, ranges, steps, month
/// and day names, 0 or 7 for Sunday, @hourly/@daily/@weekly/@monthly/@yearly), in wall-clock
/// time of a zone. Where DST skips a time (spring), the job runs when the clocks jump; where
/// a time happens twice (autumn), once, at its first occurrence, unless the job runs every
/// hour, in which case the repeated hour gets its runs too.
class CronSchedule {
 public:
  /// The schedule, or why not (a message naming the field).
  static std::variant<CronSchedule, std::string> parse(std::string_view expression, std::string_view timezone);

  /// The first run strictly after `t`; nullopt if none in the next five years (Feb 30).
  std::optional<SysSeconds> next_after(SysSeconds t) const;
  /// The last run at or before `t`, within the five years before it.
  std::optional<SysSeconds> last_at_or_before(SysSeconds t) const;

  const std::string& expression() const noexcept { return expression_; }
  std::string_view timezone() const noexcept;

 private:
  CronSchedule() = default;
  bool day_matches(std::chrono::sys_days local_day) const;
  /// The instants of the runs on one local day, ascending.
  std::vector<SysSeconds> runs_on(std::chrono::sys_days local_day) const;

  std::string expression_;
  const date::time_zone* zone_ = nullptr;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1..31
  std::bitset<13> months_;  // 1..12
  std::bitset<7> weekdays_; // 0 = Sunday
  bool any_day_ = false;     // day-of-month started with "*"
  bool any_weekday_ = false; // day-of-week started with "*"
};

}  // namespace cspm::core
