// The scheduler walked through calendars with an injected clock: due times, downtime
// catch-up, DST days, manual triggers, and never two runs of one pipeline at once.
#define BOOST_TEST_MODULE scheduler
#include <boost/test/unit_test.hpp>

#include <cspm/time.hpp>

#include "../../../core/schedule/scheduler.hpp"
#include "schedule_support.hpp"

using namespace cspm;
using core::CronSchedule;
using core::Scheduler;
using core::SysSeconds;
using test::at;
using test::cron;
using test::iso;


BOOST_AUTO_TEST_CASE(a_daily_pipeline_is_due_once_at_its_time) {
  Scheduler s;
  s.set("cspm-daily", cron("0 9 * * *"), std::nullopt, at("2026-11-27T07:00:00Z"));
  BOOST_TEST(iso(*s.next_wakeup()) == "2026-11-27T08:00:00Z");
  BOOST_TEST(s.take_due(at("2026-11-27T07:59:59Z")).empty());
  const auto due = s.take_due(at("2026-11-27T08:00:00Z"));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST(due[0].pipeline == "cspm-daily");
  BOOST_TEST(iso(due[0].scheduled_for) == "2026-11-27T08:00:00Z");
  BOOST_TEST((due[0].reason == Scheduler::Reason::schedule));
  BOOST_TEST(s.running("cspm-daily"));
  s.finished("cspm-daily");
  BOOST_TEST(s.take_due(at("2026-11-27T08:00:01Z")).empty());
  BOOST_TEST(iso(*s.next_run("cspm-daily")) == "2026-11-28T08:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_run_still_going_at_the_next_time_is_followed_not_joined) {
  Scheduler s;
  s.set("p", cron("*/10 * * * *", "UTC"), std::nullopt, at("2026-11-27T08:00:00Z"));
  BOOST_REQUIRE_EQUAL(s.take_due(at("2026-11-27T08:10:00Z")).size(), 1u);
  BOOST_TEST(s.take_due(at("2026-11-27T08:20:00Z")).empty());  // still running
  BOOST_TEST(s.take_due(at("2026-11-27T08:30:00Z")).empty());  // both times: one run waiting
  s.finished("p");
  const auto due = s.take_due(at("2026-11-27T08:31:00Z"));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST(iso(due[0].scheduled_for) == "2026-11-27T08:20:00Z");  // the first missed one
  s.finished("p");
  BOOST_TEST(s.take_due(at("2026-11-27T08:35:00Z")).empty());
}

BOOST_AUTO_TEST_CASE(a_run_missed_while_stopped_runs_once_at_start) {
  Scheduler s;
  // Last run a week ago; cspmd comes back at noon: one catch-up run for the latest time.
  s.set("cspm-daily", cron("0 9 * * *"), at("2026-11-20T08:00:00Z"), at("2026-11-27T11:00:00Z"));
  const auto due = s.take_due(at("2026-11-27T11:00:00Z"));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST((due[0].reason == Scheduler::Reason::catch_up));
  BOOST_TEST(iso(due[0].scheduled_for) == "2026-11-27T08:00:00Z");
  s.finished("cspm-daily");
  BOOST_TEST(s.take_due(at("2026-11-27T11:00:01Z")).empty());
  BOOST_TEST(iso(*s.next_run("cspm-daily")) == "2026-11-28T08:00:00Z");

  // Stopped before today's time and back after it with today's run done: nothing to catch up.
  Scheduler t;
  t.set("cspm-daily", cron("0 9 * * *"), at("2026-11-27T08:00:00Z"), at("2026-11-27T11:00:00Z"));
  BOOST_TEST(t.take_due(at("2026-11-27T11:00:00Z")).empty());
  // A pipeline that never ran waits for its first time.
  Scheduler u;
  u.set("cspm-daily", cron("0 9 * * *"), std::nullopt, at("2026-11-27T11:00:00Z"));
  BOOST_TEST(u.take_due(at("2026-11-27T11:00:00Z")).empty());
}

BOOST_AUTO_TEST_CASE(a_suspended_daemon_runs_once_for_all_the_times_it_slept_through) {
  Scheduler s;
  s.set("p", cron("0 * * * *", "UTC"), std::nullopt, at("2026-11-27T08:30:00Z"));
  const auto due = s.take_due(at("2026-11-27T14:10:00Z"));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST(iso(due[0].scheduled_for) == "2026-11-27T14:00:00Z");
  BOOST_TEST(iso(*s.next_run("p")) == "2026-11-27T15:00:00Z");
}

BOOST_AUTO_TEST_CASE(walking_the_dst_days_gives_each_day_its_runs) {
  // Run the daemon's loop: wake at next_wakeup(), take what is due, finish it at once.
  const auto walk = [](const CronSchedule& c, const std::string& from, const std::string& to) {
    Scheduler s;
    s.set("p", c, std::nullopt, at(from));
    std::vector<std::string> runs;
    while (auto wake = s.next_wakeup()) {
      if (*wake > at(to)) break;
      for (const auto& d : s.take_due(*wake)) {
        runs.push_back(iso(d.scheduled_for));
        s.finished(d.pipeline);
      }
    }
    return runs;
  };
  // Autumn (25 Oct 2026, Berlin): a 25-hour day has 25 hourly runs, and one 02:30 run.
  BOOST_TEST(walk(cron("0 * * * *"), "2026-10-24T21:59:59Z", "2026-10-25T22:59:59Z").size() == 25u);
  BOOST_TEST(walk(cron("30 2 * * *"), "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z") ==
             std::vector<std::string>{"2026-10-25T00:30:00Z"});
  // Spring (29 Mar 2026): a 23-hour day has 23 hourly runs; 02:30 runs when clocks jump.
  BOOST_TEST(walk(cron("0 * * * *"), "2026-03-28T22:59:59Z", "2026-03-29T21:59:59Z").size() == 23u);
  BOOST_TEST(walk(cron("30 2 * * *"), "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z") ==
             std::vector<std::string>{"2026-03-29T01:00:00Z"});
}

BOOST_AUTO_TEST_CASE(manual_triggers_queue_once_and_wait_for_a_running_run) {
  Scheduler s;
  BOOST_TEST(s.trigger("on-demand", at("2026-11-27T10:00:00Z")));
  BOOST_TEST(!s.trigger("on-demand", at("2026-11-27T10:00:01Z")));  // already queued
  auto due = s.take_due(at("2026-11-27T10:00:02Z"));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST((due[0].reason == Scheduler::Reason::manual));
  BOOST_TEST(s.trigger("on-demand", at("2026-11-27T10:00:03Z")));  // while it runs: queued
  BOOST_TEST(s.take_due(at("2026-11-27T10:00:04Z")).empty());
  s.finished("on-demand");
  BOOST_TEST(s.take_due(at("2026-11-27T10:00:05Z")).size() == 1u);
  s.finished("on-demand");
  BOOST_TEST(!s.next_wakeup());  // an on-demand pipeline leaves nothing scheduled
}

BOOST_AUTO_TEST_CASE(a_removed_pipeline_finishes_its_run_and_is_not_scheduled_again) {
  Scheduler s;
  s.set("p", cron("0 * * * *", "UTC"), std::nullopt, at("2026-11-27T08:30:00Z"));
  BOOST_REQUIRE_EQUAL(s.take_due(at("2026-11-27T09:00:00Z")).size(), 1u);
  s.remove("p");
  BOOST_TEST(s.running("p"));
  s.finished("p");
  BOOST_TEST(!s.running("p"));
  BOOST_TEST(s.take_due(at("2026-11-27T12:00:00Z")).empty());
  BOOST_TEST(!s.next_wakeup());
}

BOOST_AUTO_TEST_CASE(a_reload_keeps_a_time_that_came_and_adds_no_catch_up_behind_a_running_run) {
  Scheduler s;
  s.set("p", cron("0 9 * * *"), std::nullopt, at("2026-11-27T07:00:00Z"));
  // The reload lands after 09:00 Berlin, before the timer called take_due(): still owed.
  s.set("p", cron("0 9 * * *"), std::nullopt, at("2026-11-27T08:00:05Z"));
  BOOST_REQUIRE_EQUAL(s.take_due(at("2026-11-27T08:00:05Z")).size(), 1u);
  // Reloaded again while that run goes on: the running run is the catch-up.
  s.set("p", cron("0 9 * * *"), at("2026-11-26T08:00:00Z"), at("2026-11-27T08:30:00Z"));
  s.finished("p");
  BOOST_TEST(s.take_due(at("2026-11-27T08:31:00Z")).empty());
  BOOST_TEST(iso(*s.next_run("p")) == "2026-11-28T08:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_time_that_came_during_a_run_survives_a_reload_of_the_pipeline) {
  Scheduler s;
  s.set("p", cron("*/10 * * * *", "UTC"), std::nullopt, at("2026-11-27T08:00:00Z"));
  BOOST_REQUIRE_EQUAL(s.take_due(at("2026-11-27T08:10:00Z")).size(), 1u);
  BOOST_TEST(s.take_due(at("2026-11-27T08:20:00Z")).empty());  // due, waiting for the running run
  s.set("p", cron("*/10 * * * *", "UTC"), at("2026-11-27T08:10:00Z"), at("2026-11-27T08:25:00Z"));  // an edit
  s.finished("p");
  const auto due = s.take_due(at("2026-11-27T08:26:00Z"));
  BOOST_REQUIRE_EQUAL(due.size(), 1u);
  BOOST_TEST(iso(due[0].scheduled_for) == "2026-11-27T08:20:00Z");
}

BOOST_AUTO_TEST_CASE(a_pipeline_made_on_demand_while_it_runs_is_not_scheduled_again) {
  Scheduler s;
  s.set("p", cron("*/10 * * * *", "UTC"), std::nullopt, at("2026-11-27T08:00:00Z"));
  BOOST_REQUIRE_EQUAL(s.take_due(at("2026-11-27T08:10:00Z")).size(), 1u);
  s.remove("p");  // the edit dropped its schedule
  s.finished("p");
  BOOST_TEST(s.take_due(at("2026-11-27T09:00:00Z")).empty());
  BOOST_TEST(!s.next_run("p"));
  BOOST_TEST(s.trigger("p", at("2026-11-27T09:00:00Z")));  // still runnable by hand
}
