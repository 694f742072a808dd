// Which pipelines are due when: cron times, catch-up after downtime, manual triggers, and
// never two runs of one pipeline at once. Pure bookkeeping on times it is given (the daemon
// owns the clock and the timers), so that tests can walk it through any calendar.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cron_schedule.hpp"

namespace cspm::core {

class Scheduler {
 public:
  enum class Reason { schedule, catch_up, manual };
  struct Due {
    std::string pipeline;
    SysSeconds scheduled_for;  ///< the cron time this run stands for (the trigger time if manual)
    Reason reason;
  };

  /// Adds or replaces a pipeline's schedule. `last_run`: the scheduled time of its last run
  /// the store knows of. When a cron time passed since then (cspmd was stopped), one run is
  /// due at once; a pipeline that never ran waits for its first time.
  void set(const std::string& pipeline, const CronSchedule& schedule, std::optional<SysSeconds> last_run, SysSeconds now);
  /// Stops scheduling it (a manual trigger already queued is dropped; a running run finishes).
  void remove(const std::string& pipeline);
  /// Queues a run now, of a scheduled pipeline or an on-demand one. False if one is already
  /// queued (triggers do not pile up).
  bool trigger(const std::string& pipeline, SysSeconds now);

  /// The runs to start now, each pipeline at most once and never one that is running
  /// (whose due run waits for it to finish). Times missed in between collapse into one run.
  std::vector<Due> take_due(SysSeconds now);
  /// The run of `pipeline` started by take_due() has ended.
  void finished(const std::string& pipeline);

  bool running(const std::string& pipeline) const;
  std::optional<SysSeconds> next_run(const std::string& pipeline) const;
  /// When take_due() next has something (for the daemon's timer); nullopt: nothing scheduled.
  std::optional<SysSeconds> next_wakeup() const;

 private:
  struct Entry {
    std::optional<CronSchedule> schedule;  // none: on demand only
    std::optional<SysSeconds> next;        // the next cron time not yet taken
    std::optional<Due> pending;            // due, waiting (e.g. for the running one to end)
    bool running = false;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace cspm::core
