// Field parsing and the day-by-day search for run times (date/tz resolves local times).
#include "cron_schedule.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <date/tz.h>

namespace cspm::core {
namespace {

using namespace std::chrono;

struct Field {
  const char* name;
  int min, max;
  std::array<const char*, 12> names;  // for months (1-based) and weekdays (0-based)
  int first_name;                     // the value of names[0]
};

constexpr Field kMinute{"minute", 0, 59, {}, 0};
constexpr Field kHour{"hour", 0, 23, {}, 0};
constexpr Field kDay{"day of month", 1, 31, {}, 0};
constexpr Field kMonth{"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}, 1};
constexpr Field kWeekday{"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, 0};

std::optional<int> value_of(std::string_view text, const Field& f) {
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (text.size() > 2) return std::nullopt;
    const int v = std::stoi(std::string{text});
    return v >= f.min && v <= f.max ? std::optional<int>{v} : std::nullopt;
  }
  std::string lower;
  for (const char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < f.names.size() && f.names[i]; ++i)
    if (lower == f.names[i]) return static_cast<int>(i) + f.first_name;
  return std::nullopt;
}

// Sets the values of one field ("1-5,10/2,*/15"); an error message on failure.
std::string parse_field(std::string_view text, const Field& f, std::vector<int>& out) {
  const auto bad = [&](std::string_view part, const std::string& why) {
    return std::string{f.name} + " \"" + std::string{part} + "\": " + why;
  };
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t comma = std::min(text.find(',', from), text.size());
    const std::string_view part = text.substr(from, comma - from);
    from = comma + 1;
    std::string_view range = part;
    int step = 1;
    if (const std::size_t slash = part.find('/'); slash != std::string_view::npos) {
      range = part.substr(0, slash);
      const std::string_view s = part.substr(slash + 1);
      if (s.empty() || s.size() > 2 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }) ||
          std::stoi(std::string{s}) == 0)
        return bad(part, "the step must be a number from 1");
      step = std::stoi(std::string{s});
    }
    int lo = f.min, hi = f.max;
    if (range == "*") {
      if (&f == &kWeekday) hi = 6;  // 7 is Sunday again
    } else {
      const std::size_t dash = range.find('-');
      const auto a = value_of(range.substr(0, dash), f);
      const auto b = dash == std::string_view::npos ? a : value_of(range.substr(dash + 1), f);
      if (!a || !b)
        return bad(part, "expected * or values from " + std::to_string(f.min) + " to " + std::to_string(f.max) +
                             (f.names[0] ? " or names (" + std::string{f.names[0]} + ", …)" : std::string{}));
      if (*a > *b) return bad(part, "the range runs backwards");
      lo = *a;
      hi = dash == std::string_view::npos && part.find('/') != std::string_view::npos ? f.max : *b;  // "5/15": 5 to max
    }
    for (int v = lo; v <= hi; v += step) out.push_back(&f == &kWeekday ? v % 7 : v);
    if (comma == text.size()) break;
  }
  return {};
}

std::string_view macro(std::string_view e) {
  if (e == "@hourly") return "0 * * * *";
  if (e == "@daily" || e == "@midnight") return "0 0 * * *";
  if (e == "@weekly") return "0 0 * * 0";
  if (e == "@monthly") return "0 0 1 * *";
  if (e == "@yearly" || e == "@annually") return "0 0 1 1 *";
  return e;
}

constexpr int kSearchDays = 5 * 366;

}  // namespace

std::variant<CronSchedule, std::string> CronSchedule::parse(std::string_view expression, std::string_view timezone) {
  CronSchedule c;
  c.expression_ = std::string{expression};
  try {
    c.zone_ = date::locate_zone(timezone.empty() ? "UTC" : timezone);
  } catch (const std::exception&) {
    return "unknown time zone \"" + std::string{timezone} + "\" (an IANA name such as Europe/Berlin)";
  }
  std::vector<std::string_view> fields;
  const std::string_view text = macro(expression);
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  if (fields.size() != 5)
    return "expected 5 fields (minute hour day-of-month month day-of-week), found " + std::to_string(fields.size());
  const std::array<const Field*, 5> specs{&kMinute, &kHour, &kDay, &kMonth, &kWeekday};
  for (std::size_t i = 0; i < 5; ++i) {
    std::vector<int> values;
    if (std::string e = parse_field(fields[i], *specs[i], values); !e.empty()) return e;
    for (const int v : values) {
      if (i == 0) c.minutes_.set(static_cast<std::size_t>(v));
      if (i == 1) c.hours_.set(static_cast<std::size_t>(v));
      if (i == 2) c.days_.set(static_cast<std::size_t>(v));
      if (i == 3) c.months_.set(static_cast<std::size_t>(v));
      if (i == 4) c.weekdays_.set(static_cast<std::size_t>(v));
    }
  }
  // Vixie cron: a field that starts with "*" ("*", "*/2") does not restrict the day.
  c.any_day_ = fields[2].front() == '*';
  c.any_weekday_ = fields[4].front() == '*';
  return c;
}

std::string_view CronSchedule::timezone() const noexcept { return zone_->name(); }

bool CronSchedule::day_matches(sys_days local_day) const {
  const date::year_month_day ymd{local_day};
  if (!months_.test(static_cast<unsigned>(ymd.month()))) return false;
  const bool dom = days_.test(static_cast<unsigned>(ymd.day()));
  const bool dow = weekdays_.test(date::weekday{local_day}.c_encoding());
  // Vixie cron: when both are restricted, either may match.
  if (!any_day_ && !any_weekday_) return dom || dow;
  return dom && dow;
}

std::vector<SysSeconds> CronSchedule::runs_on(sys_days local_day) const {
  std::vector<SysSeconds> out;
  if (!day_matches(local_day)) return out;
  const bool hourly = hours_.all();
  for (unsigned h = 0; h < 24; ++h) {
    if (!hours_.test(h)) continue;
    for (unsigned m = 0; m < 60; ++m) {
      if (!minutes_.test(m)) continue;
      const date::local_seconds local{(local_day + hours{h} + minutes{m}).time_since_epoch()};
      const date::local_info info = zone_->get_info(local);
      switch (info.result) {
        case date::local_info::unique:
          out.push_back(SysSeconds{local.time_since_epoch()} - info.first.offset);
          break;
        case date::local_info::nonexistent:  // skipped by the clocks: run as they jump
          out.push_back(info.second.begin);
          break;
        case date::local_info::ambiguous:  // happens twice: the first, both for hourly jobs
          out.push_back(SysSeconds{local.time_since_epoch()} - info.first.offset);
          if (hourly) out.push_back(SysSeconds{local.time_since_epoch()} - info.second.offset);
          break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<SysSeconds> CronSchedule::next_after(SysSeconds t) const {
  // A local day spans at most ±26 h around its UTC day: start one day early.
  const sys_days first = floor<days>(zone_->to_local(t)).time_since_epoch() + sys_days{} - days{1};
  for (int i = 0; i <= kSearchDays; ++i)
    for (const SysSeconds run : runs_on(first + days{i}))
      if (run > t) return run;
  return std::nullopt;
}

std::optional<SysSeconds> CronSchedule::last_at_or_before(SysSeconds t) const {
  const sys_days last = floor<days>(zone_->to_local(t)).time_since_epoch() + sys_days{} + days{1};
  for (int i = 0; i <= kSearchDays; ++i) {
    const auto runs = runs_on(last - days{i});
    for (auto run = runs.rbegin(); run != runs.rend(); ++run)
      if (*run <= t) return *run;
  }
  return std::nullopt;
}

}  // namespace cspm::core
