// The daemon's pipelines: every *.toml of the pipelines directory, validated and built, and
// reloaded file by file so that a broken edit never takes a working pipeline away.
#pragma once
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../plugins/plugin_host.hpp"
#include "../runtime/pipeline_runner.hpp"
#include "../schedule/cron_schedule.hpp"

namespace cspm::core {

/// One built pipeline. Immutable once published; a run keeps its copy alive, so a reload
/// during a run swaps in the new version for the next run.
struct LoadedPipeline {
  std::string id;
  std::filesystem::path file;
  std::string source;  ///< the file's text, to tell an unchanged file from an edited one
  std::optional<CronSchedule> schedule;  ///< none: on demand only
  std::string schedule_text;             ///< "0 9 * * * (Europe/Berlin)", for the API
  std::shared_ptr<PipelineRunner> runner;
};

/// A file whose current text does not validate (its previous version, if any, stays).
struct PipelineProblem {
  std::filesystem::path file;
  std::vector<std::string> errors;  ///< "file:line:col: error[E…]: path: message"
};

struct ReloadReport {
  std::vector<std::string> added, changed, removed;  ///< pipeline ids
  std::size_t unchanged = 0;
  std::vector<PipelineProblem> problems;              ///< new in this reload
  bool ok() const noexcept { return problems.empty(); }
};

class PipelineSet {
 public:
  PipelineSet(const PluginHost& plugins, std::filesystem::path directory);

  /// Reads the directory again. A new or edited file is validated and built; if that fails
  /// its previous version stays published and the errors are kept for /healthz. A file
  /// gone (or renamed away) removes its pipeline. An unchanged file is not rebuilt.
  ReloadReport reload();

  std::shared_ptr<const LoadedPipeline> find(const std::string& id) const;
  std::vector<std::shared_ptr<const LoadedPipeline>> all() const;
  /// Files that currently fail to load, with their errors.
  std::vector<PipelineProblem> problems() const;
  const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  std::variant<std::shared_ptr<const LoadedPipeline>, PipelineProblem> build(const std::filesystem::path& file,
                                                                              std::string source) const;

  const PluginHost& plugins_;
  std::filesystem::path directory_;
  mutable std::mutex mutex_;  // reload() on the daemon's thread; find()/all() from HTTP workers
  std::map<std::filesystem::path, std::shared_ptr<const LoadedPipeline>> by_file_;
  std::map<std::filesystem::path, PipelineProblem> problems_;
};

}  // namespace cspm::core
