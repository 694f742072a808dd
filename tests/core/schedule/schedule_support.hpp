// Helpers for the schedule tests: ISO times in and out, schedules that must parse.
#pragma once
#include <string>

#include <boost/test/unit_test.hpp>

#include <cspm/time.hpp>

#include "../../../core/schedule/cron_schedule.hpp"

namespace cspm::test {

inline core::SysSeconds at(const std::string& iso) {
  const auto ms = parse_timestamp(iso);
  BOOST_REQUIRE_MESSAGE(ms, iso);
  return core::SysSeconds{std::chrono::seconds{*ms / 1000}};
}

inline std::string iso(core::SysSeconds t) {
  return format_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

inline core::CronSchedule cron(const std::string& expression, const std::string& zone = "Europe/Berlin") {
  auto parsed = core::CronSchedule::parse(expression, zone);
  const std::string* why = std::get_if<std::string>(&parsed);
  BOOST_REQUIRE_MESSAGE(!why, expression << ": " << (why ? *why : ""));
  return std::get<core::CronSchedule>(parsed);
}

}  // namespace cspm::test
