// Stage creation and one run over the DAG, with per-stage statistics.
#include "pipeline_runner.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "../config/schema_check.hpp"
#include "run_store.hpp"

namespace cspm::core {
namespace {

// The host's side of RunContext for one stage in one run.
class StageContext final : public RunContext {
 public:
  StageContext(const std::string& pipeline, const std::string& stage, const RunSettings& s,
               Timestamp now, RunReport& report, std::vector<std::shared_ptr<const void>>& keep,
               FindingStore* store, TicketLedger* ledger)
      : pipeline_(pipeline), stage_(stage), settings_(s), now_(now), report_(report), keep_(keep),
        store_(store), ledger_(ledger) {}

  std::string_view pipeline_id() const noexcept override { return pipeline_; }
  std::string_view stage_id() const noexcept override { return stage_; }
  Timestamp now() const noexcept override { return now_; }
  bool dry_run() const noexcept override { return settings_.dry_run; }
  bool stop_requested() const noexcept override { return settings_.stop && settings_.stop->load(); }
  void log(LogLevel level, std::string_view message) override {
    if (settings_.log_sink) return settings_.log_sink(level, std::string{pipeline_} + "/" + stage_ + ": " + std::string{message});
    static constexpr const char* kPrefix[] = {"debug", "info", "warning", "error"};
    *settings_.log << kPrefix[static_cast<int>(level)] << ": " << pipeline_ << "/" << stage_
                   << ": " << message << '\n';
  }
  void count(std::string_view statistic, std::uint64_t n) override {
    report_.counters[std::string{statistic}] += n;
  }
  void retain(std::shared_ptr<const void> storage) override { keep_.push_back(std::move(storage)); }
  std::ostream& output() override { return *settings_.output; }
  FindingStore* store() noexcept override { return store_; }
  TicketLedger* ledger() noexcept override { return ledger_; }

 private:
  const std::string& pipeline_;
  const std::string& stage_;
  const RunSettings& settings_;
  Timestamp now_;
  RunReport& report_;
  std::vector<std::shared_ptr<const void>>& keep_;
  FindingStore* store_;
  TicketLedger* ledger_;
};

std::string counters_json(const std::map<std::string, std::uint64_t>& counters) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, value] : counters) out[name] = value;
  return out.dump();
}

}  // namespace

std::variant<std::unique_ptr<PipelineRunner>, Diagnostics> PipelineRunner::create(
    std::unique_ptr<ValidatedPipeline> pipeline) {
  std::unique_ptr<PipelineRunner> runner{new PipelineRunner};
  Diagnostics diags;
  const auto& spec = pipeline->spec;
  for (std::size_t i = 0; i < spec.components.size(); ++i) {
    const ComponentSpec& c = spec.components[i];
    const StageEnv env{spec.id, c.id, spec.directory()};
    CreateResult created;
    try {
      created = pipeline->graph.nodes[i].factory->create(pipeline->options[i], env);
    } catch (const std::exception& e) {
      created = Diagnostics{make_error("E101", "", std::string{"could not create stage: "} + e.what())};
    } catch (...) {
      created = Diagnostics{make_error("E101", "", "could not create stage: unknown exception")};
    }
    if (auto* d = std::get_if<Diagnostics>(&created)) {
      for (auto& x : *d) {
        locate_diagnostic(c, x);
        diags.push_back(std::move(x));
      }
      runner->stages_.emplace_back();
      continue;
    }
    runner->stages_.push_back(std::move(std::get<StagePtr>(created)));
  }
  if (has_errors(diags)) return diags;
  runner->pipeline_ = std::move(pipeline);
  return runner;
}

RunReport PipelineRunner::run(const RunSettings& settings_in) {
  using Clock = std::chrono::steady_clock;
  RunSettings settings = settings_in;
  if (!settings.output) settings.output = &std::cout;
  if (!settings.log) settings.log = &std::cerr;
  const Timestamp now = settings.now ? settings.now : system_now();
  const auto started = Clock::now();

  RunReport report;
  std::unique_ptr<RunStore> run_store;
  if (settings.store) {
    run_store = std::make_unique<RunStore>(*settings.store);
    try {
      report.run_id = settings.store->begin_run(pipeline_->spec.id, system_now(), now, settings.dry_run);
    } catch (const std::exception& e) {
      report.ok = false;
      report.error = std::string{"cannot record the run in the store: "} + e.what();
      return report;
    }
  }
  std::vector<std::shared_ptr<const void>> keep;  // storage stages handed over; freed last
  std::vector<Batch> outputs(stages_.size());
  const auto& spec = pipeline_->spec;
  const auto& graph = pipeline_->graph;
  for (const std::size_t n : graph.order) {
    const ComponentSpec& c = spec.components[n];
    StageReport sr{c.id, graph.nodes[n].factory->kind(), 0, 0, 0};
    const auto t0 = Clock::now();
    // Single-input stages read their producer's batch in place; fan-in concatenates.
    Batch merged;
    const Batch* in = &merged;
    if (graph.nodes[n].inputs.size() == 1) in = &outputs[graph.nodes[n].inputs.front()];
    else
      for (const std::size_t i : graph.nodes[n].inputs) merged.append(outputs[i]);
    sr.received = in->size();

    StageContext ctx{spec.id, c.id, settings, now, report, keep, run_store.get(),
                     settings.store ? &settings.store->ledger() : nullptr};
    Status status = Status::success();
    try {
      Stage* stage = stages_[n].get();
      if (auto* source = dynamic_cast<Source*>(stage)) status = source->pull(ctx, outputs[n]);
      else if (auto* transform = dynamic_cast<Transform*>(stage)) status = transform->process(ctx, *in, outputs[n]);
      else if (auto* sink = dynamic_cast<Sink*>(stage)) status = sink->deliver(ctx, *in);
      else status = Status::failure("stage implements none of Source, Transform, Sink");
    } catch (const std::exception& e) {
      status = Status::failure(std::string{"threw: "} + e.what());
    } catch (...) {
      status = Status::failure("threw an unknown exception");
    }
    sr.emitted = outputs[n].size();
    sr.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    report.stages.push_back(sr);
    if (!status.ok()) {
      report.ok = false;
      report.error = c.path() + ": " + status.message();
      break;
    }
  }
  outputs.clear();
  if (auto* after = settings.storage_after_run) {
    after->reserve(after->size() + keep.size());  // so that moving cannot throw half-way
    std::move(keep.begin(), keep.end(), std::back_inserter(*after));
  }
  keep.clear();
  if (run_store) {
    report.watermark = run_store->watermark();
    try {
      settings.store->finish_run(report.run_id, report.ok, system_now(), report.watermark,
                                 counters_json(report.counters), report.error);
    } catch (const std::exception& e) {
      // The next run then reads these findings again: safe, so this fails the run only.
      report.ok = false;
      report.error = std::string{"cannot record the run's outcome in the store: "} + e.what();
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return report;
}

}  // namespace cspm::core
