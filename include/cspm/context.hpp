// What cspmd offers a stage while it runs: clock, logging, counters, output, lifetimes.
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <string_view>

#include <cspm/api.hpp>
#include <cspm/time.hpp>

namespace cspm {

class FindingStore;
class TicketLedger;

enum class LogLevel { debug, info, warning, error };

/// Implemented by the host; one per stage per run.
class CSPM_API RunContext {
 public:
  virtual ~RunContext();

  virtual std::string_view pipeline_id() const noexcept = 0;
  virtual std::string_view stage_id() const noexcept = 0;
  /// The run's notion of "now" (injected with --now, else the system clock at run start).
  virtual Timestamp now() const noexcept = 0;
  /// True for `--dry-run`: stages with side effects must only describe what they would do.
  virtual bool dry_run() const noexcept = 0;
  /// True once the daemon is stopping (SIGTERM): a stage that talks to a tracker finishes
  /// the call in progress, then leaves the rest for the next run.
  virtual bool stop_requested() const noexcept = 0;

  /// One line to the operator log, prefixed with pipeline and stage.
  virtual void log(LogLevel level, std::string_view message) = 0;
  /// Adds to a run statistic ("events", "malformed", …) shown after the run.
  virtual void count(std::string_view statistic, std::uint64_t n) = 0;
  /// Keeps storage alive until the run ends (findings point into it).
  virtual void retain(std::shared_ptr<const void> storage) = 0;
  /// Where plan records and other machine-readable output go (stdout for `cspmd run`).
  virtual std::ostream& output() = 0;
  /// The embedded store, or nullptr when this run has none (e.g. a bare test harness).
  virtual FindingStore* store() noexcept = 0;
  /// The ticket ledger in the store, or nullptr when this run has no store.
  virtual TicketLedger* ledger() noexcept = 0;
};

}  // namespace cspm
