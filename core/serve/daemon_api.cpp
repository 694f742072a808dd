// The daemon's answers to the JSON API: pipelines, their schedule state and recent runs.
#include <nlohmann/json.hpp>

#include "../store/sqlite_store.hpp"
#include "daemon.hpp"

namespace cspm::core {
namespace {

using json = nlohmann::json;

std::string iso(SysSeconds t) {
  return format_timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

}  // namespace

json Daemon::describe(const LoadedPipeline& p) const {
  json j = {{"id", p.id}, {"file", p.file.string()}, {"schedule", p.schedule ? json(p.schedule_text) : json(nullptr)}};
  std::lock_guard lock(scheduler_mutex_);
  const auto next = scheduler_.next_run(p.id);
  j["next_run"] = next ? json(iso(*next)) : json(nullptr);
  j["running"] = scheduler_.running(p.id);
  return j;
}

json Daemon::pipelines() const {
  json out = {{"pipelines", json::array()}, {"problems", json::array()}};
  if (!pipelines_) return out;
  for (const auto& p : pipelines_->all()) out["pipelines"].push_back(describe(*p));
  for (const auto& p : pipelines_->problems()) out["problems"].push_back({{"file", p.file.string()}, {"errors", p.errors}});
  return out;
}

std::optional<json> Daemon::pipeline(const std::string& id, std::size_t limit) const {
  const auto p = pipelines_ ? pipelines_->find(id) : nullptr;
  if (!p) return std::nullopt;
  json j = describe(*p);
  j["runs"] = json::array();
  try {
    store::SqliteStore store(config_.data_dir);
    for (const auto& r : store.runs(id, limit)) {
      json run = {{"id", r.id}, {"started_at", format_timestamp(r.started_at)}, {"outcome", r.outcome},
                  {"dry_run", r.dry_run}, {"error", r.error}};
      run["finished_at"] = r.finished_at ? json(format_timestamp(r.finished_at)) : json(nullptr);
      run["counts"] = json::parse(r.counts_json.empty() ? "{}" : r.counts_json, nullptr, false);
      j["runs"].push_back(std::move(run));
    }
  } catch (const std::exception& e) {
    j["runs_error"] = e.what();
  }
  return j;
}

}  // namespace cspm::core
