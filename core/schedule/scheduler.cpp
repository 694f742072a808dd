// Scheduler bookkeeping: one pending run per pipeline, advanced past "now" when taken.
#include "scheduler.hpp"

namespace cspm::core {

void Scheduler::set(const std::string& pipeline, const CronSchedule& schedule, std::optional<SysSeconds> last_run,
                    SysSeconds now) {
  Entry& e = entries_[pipeline];
  // A time of the old schedule that came while nobody called take_due() is still owed.
  const bool old_time_due = e.schedule && e.next && *e.next <= now;
  e.schedule = schedule;
  e.next = schedule.next_after(now);
  // A due run of the old schedule is dropped, unless it waits behind a running run: that
  // time came, and the next run (of the new version) stands for it.
  if (e.pending && e.pending->reason != Reason::manual && !e.running) e.pending.reset();
  if (old_time_due && !e.pending) e.pending = Due{pipeline, now, Reason::schedule};
  // While a run is going, it is the catch-up: no second one behind it.
  if (last_run && !e.pending && !e.running)
    if (const auto missed = schedule.last_at_or_before(now); missed && *missed > *last_run)
      e.pending = Due{pipeline, *missed, Reason::catch_up};
}

void Scheduler::remove(const std::string& pipeline) {
  const auto it = entries_.find(pipeline);
  if (it == entries_.end()) return;
  if (it->second.running) {  // keep the running mark until it ends; schedule nothing more
    it->second.schedule.reset();
    it->second.next.reset();
    it->second.pending.reset();
  } else {
    entries_.erase(it);
  }
}

bool Scheduler::trigger(const std::string& pipeline, SysSeconds now) {
  Entry& e = entries_[pipeline];
  if (e.pending && e.pending->reason == Reason::manual) return false;
  if (!e.pending) e.pending = Due{pipeline, now, Reason::manual};
  return true;
}

std::vector<Scheduler::Due> Scheduler::take_due(SysSeconds now) {
  std::vector<Due> out;
  for (auto& [id, e] : entries_) {
    // Cron times that passed: one pending run for all of them (a long pause is not replayed).
    if (e.schedule && e.next && *e.next <= now) {
      const SysSeconds latest = e.schedule->last_at_or_before(now).value_or(*e.next);
      if (!e.pending) e.pending = Due{id, latest, Reason::schedule};
      e.next = e.schedule->next_after(now);
    }
    if (e.pending && !e.running) {
      out.push_back(*e.pending);
      e.pending.reset();
      e.running = true;
    }
  }
  return out;
}

void Scheduler::finished(const std::string& pipeline) {
  const auto it = entries_.find(pipeline);
  if (it == entries_.end()) return;
  it->second.running = false;
  if (!it->second.schedule && !it->second.pending) entries_.erase(it);  // removed while it ran, or on demand
}

bool Scheduler::running(const std::string& pipeline) const {
  const auto it = entries_.find(pipeline);
  return it != entries_.end() && it->second.running;
}

std::optional<SysSeconds> Scheduler::next_run(const std::string& pipeline) const {
  const auto it = entries_.find(pipeline);
  if (it == entries_.end()) return std::nullopt;
  return it->second.next;
}

std::optional<SysSeconds> Scheduler::next_wakeup() const {
  std::optional<SysSeconds> out;
  for (const auto& [id, e] : entries_) {
    std::optional<SysSeconds> at = e.next;
    if (e.pending && !e.running) at = SysSeconds{};  // now
    if (at && (!out || *at < *out)) out = at;
  }
  return out;
}

}  // namespace cspm::core
