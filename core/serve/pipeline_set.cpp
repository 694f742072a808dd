// Directory scan, per-file validation and the publish rules (keep the old on error, one
// file per pipeline id).
#include "pipeline_set.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "../config/pipeline_validator.hpp"

namespace cspm::core {
namespace {

namespace fs = std::filesystem;

// The directory's pipeline files and their text; nullopt when it cannot be listed. A file
// that cannot be read is a problem, not a removal.
std::optional<std::map<fs::path, std::string>> read_directory(const fs::path& dir, std::vector<PipelineProblem>& problems) {
  std::map<fs::path, std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    // Editors' temporaries (.foo.toml.swp, foo.toml~, .#foo.toml) are not pipelines.
    if (p.extension() != ".toml" || p.filename().string().front() == '.') continue;
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) problems.push_back({p, {p.string() + ": cannot read the file"}});
    else out.emplace(p, text.str());
  }
  if (ec) {
    problems.push_back({dir, {dir.string() + ": cannot read the pipelines directory: " + ec.message()}});
    return std::nullopt;
  }
  return out;
}

}  // namespace

PipelineSet::PipelineSet(const PluginHost& plugins, fs::path directory)
    : plugins_(plugins), directory_(std::move(directory)) {}

std::variant<std::shared_ptr<const LoadedPipeline>, PipelineProblem> PipelineSet::build(const fs::path& file,
                                                                                         std::string source) const {
  PipelineProblem problem{file, {}};
  Validation v = validate_pipeline(file, plugins_);
  for (const auto& d : v.diagnostics)
    if (d.level == Diagnostic::Level::error) problem.errors.push_back(format_diagnostic(d));
  if (!v.pipeline) return problem;
  auto p = std::make_shared<LoadedPipeline>();
  p->id = v.pipeline->spec.id;
  p->file = file;
  p->source = std::move(source);
  if (!v.pipeline->spec.schedule_cron.empty()) {
    const std::string zone = v.pipeline->spec.schedule_timezone.empty() ? "UTC" : v.pipeline->spec.schedule_timezone;
    auto parsed = CronSchedule::parse(v.pipeline->spec.schedule_cron, zone);
    if (auto* error = std::get_if<std::string>(&parsed)) return PipelineProblem{file, {file.string() + ": " + *error}};
    p->schedule = std::get<CronSchedule>(std::move(parsed));
    p->schedule_text = v.pipeline->spec.schedule_cron + " (" + zone + ")";
  }
  auto created = PipelineRunner::create(std::move(v.pipeline));
  if (auto* diags = std::get_if<Diagnostics>(&created)) {
    for (const auto& d : *diags) problem.errors.push_back(format_diagnostic(d));
    return problem;
  }
  p->runner = std::move(std::get<std::unique_ptr<PipelineRunner>>(created));
  return std::shared_ptr<const LoadedPipeline>{std::move(p)};
}

ReloadReport PipelineSet::reload() {
  ReloadReport report;
  const auto files = read_directory(directory_, report.problems);
  std::map<fs::path, std::shared_ptr<const LoadedPipeline>> next;
  std::map<fs::path, PipelineProblem> next_problems;
  std::map<fs::path, std::shared_ptr<const LoadedPipeline>> old;
  {
    std::lock_guard lock(mutex_);
    old = by_file_;
    if (!files) {  // an unlistable directory (being replaced, a mount gone) changes nothing
      for (const auto& p : report.problems) problems_[p.file] = p;
      return report;
    }
  }
  for (const auto& p : report.problems) {  // unreadable files keep their published version
    next_problems.emplace(p.file, p);
    if (const auto it = old.find(p.file); it != old.end()) next.emplace(p.file, it->second);
  }
  for (const auto& [file, text] : *files) {
    const auto previous = old.find(file);
    if (previous != old.end() && previous->second->source == text) {
      next.emplace(file, previous->second);
      ++report.unchanged;
      continue;
    }
    auto built = build(file, text);  // outside the lock: plugins may read files, resolve names
    if (auto* problem = std::get_if<PipelineProblem>(&built)) {
      if (previous != old.end()) next.emplace(file, previous->second);  // the working version stays
      next_problems.emplace(file, *problem);
      report.problems.push_back(std::move(*problem));
      continue;
    }
    auto p = std::get<std::shared_ptr<const LoadedPipeline>>(std::move(built));
    (previous != old.end() && previous->second->id == p->id ? report.changed : report.added).push_back(p->id);
    next.emplace(file, std::move(p));
  }
  // One id, one file. The file that already served the id keeps it (a new file cannot take
  // a working pipeline away); between new files, the first by name.
  std::map<std::string, fs::path> owner;
  for (const auto& [file, p] : next)
    if (const auto was = old.find(file); was != old.end() && was->second->id == p->id) owner.emplace(p->id, file);
  for (const auto& [file, p] : next) owner.emplace(p->id, file);
  for (auto it = next.begin(); it != next.end();) {
    const fs::path& keeper = owner.at(it->second->id);
    if (keeper == it->first) {
      ++it;
      continue;
    }
    PipelineProblem dup{it->first, {it->first.string() + ": pipeline \"" + it->second->id + "\" is already defined in " +
                                    keeper.string()}};
    // This file did not serve the id before, so it reported it as added (once).
    if (const auto a = std::find(report.added.begin(), report.added.end(), it->second->id); a != report.added.end())
      report.added.erase(a);
    next_problems[it->first] = dup;
    report.problems.push_back(std::move(dup));
    it = next.erase(it);
  }
  std::set<std::string> live;
  for (const auto& [file, p] : next) live.insert(p->id);
  for (const auto& [file, p] : old)
    if (!live.count(p->id)) report.removed.push_back(p->id);
  // An id that moved from an old file to a new one is a change, not an add.
  for (auto it = report.added.begin(); it != report.added.end();) {
    bool was_live = false;
    for (const auto& [file, p] : old) was_live |= p->id == *it;
    if (was_live) {
      report.changed.push_back(*it);
      it = report.added.erase(it);
    } else {
      ++it;
    }
  }
  std::lock_guard lock(mutex_);
  by_file_ = std::move(next);
  problems_ = std::move(next_problems);
  return report;
}

std::shared_ptr<const LoadedPipeline> PipelineSet::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& [file, p] : by_file_)
    if (p->id == id) return p;
  return nullptr;
}

std::vector<std::shared_ptr<const LoadedPipeline>> PipelineSet::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const LoadedPipeline>> out;
  for (const auto& [file, p] : by_file_) out.push_back(p);
  return out;
}

std::vector<PipelineProblem> PipelineSet::problems() const {
  std::lock_guard lock(mutex_);
  std::vector<PipelineProblem> out;
  for (const auto& [file, p] : problems_) out.push_back(p);
  return out;
}

}  // namespace cspm::core
