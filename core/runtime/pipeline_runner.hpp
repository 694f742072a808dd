// Executes a validated pipeline: builds its stages once, then runs them in graph order.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include <cspm/diagnostics.hpp>
#include <cspm/stage.hpp>

#include "../config/pipeline_validator.hpp"
#include "../store/store.hpp"

namespace cspm::core {

struct RunSettings {
  Timestamp now = 0;          ///< 0: the system clock at run start
  bool dry_run = false;
  std::ostream* output = nullptr;  ///< plan records and other machine output
  std::ostream* log = nullptr;     ///< operator log lines
  store::Store* store = nullptr;   ///< where runs are recorded and store sources read
  /// Instead of `log`, when set: stage log lines with their level (the daemon's logger).
  std::function<void(LogLevel, const std::string&)> log_sink;
  const std::atomic<bool>* stop = nullptr;  ///< set when the daemon stops (stages finish early)
  /// When set, receives the storage stages handed over (a day's findings) instead of freeing
  /// it when the run ends: a one-shot process leaves that to its exit.
  std::vector<std::shared_ptr<const void>>* storage_after_run = nullptr;
};

struct StageReport {
  std::string id;
  StageKind kind = StageKind::filter;
  std::size_t received = 0;
  std::size_t emitted = 0;
  double seconds = 0;
};

struct RunReport {
  bool ok = true;
  std::string error;                                ///< first failure, "stage: message"
  std::map<std::string, std::uint64_t> counters;    ///< statistics stages counted
  std::vector<StageReport> stages;                  ///< in execution order
  double seconds = 0;
  std::optional<std::uint64_t> watermark;           ///< what store sources read up to
  std::int64_t run_id = 0;                          ///< in the store's runs table, if any
};

class PipelineRunner {
 public:
  /// Creates every stage (stages may read files they name); diagnostics if any fails.
  static std::variant<std::unique_ptr<PipelineRunner>, Diagnostics> create(
      std::unique_ptr<ValidatedPipeline> pipeline);

  /// One run. Never throws: a failing or throwing stage fails the run and is reported.
  RunReport run(const RunSettings& settings);

  const ValidatedPipeline& pipeline() const noexcept { return *pipeline_; }

 private:
  PipelineRunner() = default;
  std::unique_ptr<ValidatedPipeline> pipeline_;
  std::vector<StagePtr> stages_;  ///< per component
};

}  // namespace cspm::core
