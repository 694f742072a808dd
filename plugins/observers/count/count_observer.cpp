// `count` observer: turns its input into one metric, the number of items, for logs and stats.
#include <memory>

#include <cspm/factory_base.hpp>
#include <cspm/registrar.hpp>

namespace cspm::plugins::count {
namespace {

class CountObserver final : public Transform {
 public:
  explicit CountObserver(std::string what) : what_(std::move(what)) {}

  Status process(RunContext& ctx, const Batch& in, Batch& out) override {
    const std::size_t n = in.findings.size() + in.groups.size() + in.tickets.size();
    out.metrics.push_back({std::string{ctx.stage_id()}, what_, static_cast<double>(n)});
    ctx.count(std::string{ctx.stage_id()}, n);
    return Status::success();
  }

 private:
  std::string what_;
};

class CountObserverFactory final : public FactoryBase<StageKind::observer> {
 public:
  CountObserverFactory()
      : FactoryBase("count", "Counts the findings, groups or tickets it receives and emits the count",
                    {{"what", OptionType::string, false, "items", "what is counted, for the log line", {}}},
                    {kFindings | kGroups | kTickets, kMetrics, false}) {}

  CreateResult create(const Options& o, const StageEnv&) const override {
    return std::make_unique<CountObserver>(o.at("what").get<std::string>());
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<CountObserverFactory>()); }

}  // namespace
}  // namespace cspm::plugins::count

CSPM_PLUGIN("count", CSPM_SDK_VERSION, cspm::plugins::count::register_factories)
