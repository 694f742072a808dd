// Cron schedules in IANA zones: fields, Vixie's day rule, and both DST switches.
#define BOOST_TEST_MODULE cron_schedule
#include <boost/test/unit_test.hpp>

#include <cspm/time.hpp>

#include "schedule_support.hpp"

using namespace cspm;
using core::CronSchedule;
using core::SysSeconds;
using test::at;
using test::cron;
using test::iso;

namespace {

std::string error_of(const std::string& expression, const std::string& zone = "UTC") {
  auto parsed = CronSchedule::parse(expression, zone);
  return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
}

std::vector<std::string> runs_between(const CronSchedule& c, const std::string& from, const std::string& to) {
  std::vector<std::string> out;
  for (auto t = c.next_after(at(from)); t && *t <= at(to); t = c.next_after(*t)) out.push_back(iso(*t));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(nine_in_berlin_is_eight_utc_in_winter_and_seven_in_summer) {
  const CronSchedule daily = cron("0 9 * * *");
  BOOST_TEST(iso(*daily.next_after(at("2026-11-27T08:00:00Z"))) == "2026-11-28T08:00:00Z");
  BOOST_TEST(iso(*daily.next_after(at("2026-11-27T07:59:59Z"))) == "2026-11-27T08:00:00Z");
  BOOST_TEST(iso(*daily.next_after(at("2026-07-01T00:00:00Z"))) == "2026-07-01T07:00:00Z");
  // Across the spring switch (29 March 2026) the run stays at 09:00 local.
  BOOST_TEST((runs_between(daily, "2026-03-28T00:00:00Z", "2026-03-30T23:00:00Z") ==
              std::vector<std::string>{"2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"}));
  // A year of daily runs is 365 runs, whatever the switches do.
  BOOST_TEST(runs_between(daily, "2027-01-01T00:00:00Z", "2027-12-31T23:59:59Z").size() == 365u);
}

BOOST_AUTO_TEST_CASE(a_time_the_spring_switch_skips_runs_when_the_clocks_jump) {
  // 29 March 2026, Berlin: 02:00 CET becomes 03:00 CEST (01:00Z); 02:30 never happens.
  const CronSchedule c = cron("30 2 * * *");
  BOOST_TEST((runs_between(c, "2026-03-28T00:00:00Z", "2026-03-30T23:00:00Z") ==
              std::vector<std::string>{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  // Every five minutes through the gap: the skipped times collapse into one run at the jump.
  const auto fives = runs_between(cron("*/5 * * * *"), "2026-03-29T00:50:00Z", "2026-03-29T01:10:00Z");
  BOOST_TEST((fives == std::vector<std::string>{"2026-03-29T00:55:00Z", "2026-03-29T01:00:00Z",
                                                "2026-03-29T01:05:00Z", "2026-03-29T01:10:00Z"}));
}

BOOST_AUTO_TEST_CASE(a_time_the_autumn_switch_repeats_runs_once_unless_the_job_is_hourly) {
  // 25 October 2026, Berlin: 03:00 CEST becomes 02:00 CET (01:00Z); 02:30 happens twice.
  const CronSchedule c = cron("30 2 * * *");
  BOOST_TEST((runs_between(c, "2026-10-24T00:00:00Z", "2026-10-26T23:00:00Z") ==
              std::vector<std::string>{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
  // Hourly: every hour of the 25-hour day has its run.
  const auto hourly = runs_between(cron("0 * * * *"), "2026-10-24T21:59:59Z", "2026-10-25T22:59:59Z");
  BOOST_TEST(hourly.size() == 25u);
  BOOST_TEST(hourly[2] == "2026-10-25T00:00:00Z");  // 02:00 CEST
  BOOST_TEST(hourly[3] == "2026-10-25T01:00:00Z");  // 02:00 CET
}

BOOST_AUTO_TEST_CASE(fields_lists_ranges_steps_and_names) {
  const auto weekdays = runs_between(cron("15 8 * * MON-FRI", "UTC"), "2026-11-27T00:00:00Z", "2026-12-04T23:59:59Z");
  BOOST_TEST((weekdays == std::vector<std::string>{"2026-11-27T08:15:00Z", "2026-11-30T08:15:00Z",
                                                   "2026-12-01T08:15:00Z", "2026-12-02T08:15:00Z",
                                                   "2026-12-03T08:15:00Z", "2026-12-04T08:15:00Z"}));
  BOOST_TEST(runs_between(cron("0 9 * * 7", "UTC"), "2026-11-27T00:00:00Z", "2026-12-06T23:00:00Z") ==
             (std::vector<std::string>{"2026-11-29T09:00:00Z", "2026-12-06T09:00:00Z"}));  // 7 is Sunday
  BOOST_TEST(runs_between(cron("0,30 9-10/1 1 jan,Jul *", "UTC"), "2026-06-30T00:00:00Z", "2026-07-02T00:00:00Z").size() == 4u);
  BOOST_TEST(runs_between(cron("@daily", "UTC"), "2026-11-27T00:00:00Z", "2026-11-29T23:59:59Z").size() == 2u);
  // Vixie cron: with both days restricted, either matches (the 13th, and every Friday).
  BOOST_TEST(runs_between(cron("0 0 13 * 5", "UTC"), "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z") ==
             (std::vector<std::string>{"2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z",
                                       "2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z"}));
  // …but a field starting with "*" ("*/2") does not count as restricted: both must match
  // (odd days that are Fridays).
  BOOST_TEST(runs_between(cron("0 0 */2 * 5", "UTC"), "2026-11-01T00:00:00Z", "2026-11-30T23:59:59Z") ==
             (std::vector<std::string>{"2026-11-13T00:00:00Z", "2026-11-27T00:00:00Z"}));
  BOOST_TEST(!cron("0 0 30 2 *", "UTC").next_after(at("2026-01-01T00:00:00Z")));  // never
}

BOOST_AUTO_TEST_CASE(the_last_run_before_a_time_finds_missed_runs) {
  const CronSchedule daily = cron("0 9 * * *");
  BOOST_TEST(iso(*daily.last_at_or_before(at("2026-11-27T08:00:00Z"))) == "2026-11-27T08:00:00Z");
  BOOST_TEST(iso(*daily.last_at_or_before(at("2026-11-27T07:59:59Z"))) == "2026-11-26T08:00:00Z");
  BOOST_TEST(iso(*daily.last_at_or_before(at("2026-03-29T12:00:00Z"))) == "2026-03-29T07:00:00Z");
}

BOOST_AUTO_TEST_CASE(bad_expressions_say_which_field_is_wrong) {
  BOOST_TEST(error_of("0 9 * *").find("expected 5 fields") != std::string::npos);
  BOOST_TEST(error_of("60 9 * * *").find("minute \"60\"") != std::string::npos);
  BOOST_TEST(error_of("0 25 * * *").find("hour") != std::string::npos);
  BOOST_TEST(error_of("0 9 * * 8").find("day of week") != std::string::npos);
  BOOST_TEST(error_of("0 9 * smarch *").find("month") != std::string::npos);
  BOOST_TEST(error_of("0 17-9 * * *").find("backwards") != std::string::npos);
  BOOST_TEST(error_of("*/0 * * * *").find("step") != std::string::npos);
  BOOST_TEST(error_of("0 9 * * 1,").find("day of week") != std::string::npos);
  BOOST_TEST(error_of("0 9 * * *", "Europe/Berlinn").find("unknown time zone") != std::string::npos);
  BOOST_TEST(error_of("0 9 * * *", "Europe/Berlin").empty());
}
