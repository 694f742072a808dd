// `store` source: the latest state of stored findings, by time window or since the last success.
#include <cspm/factory_base.hpp>
#include <cspm/finding_store.hpp>
#include <cspm/registrar.hpp>

namespace cspm::plugins::store {
namespace {

constexpr std::string_view kSinceLastSuccess = "since_last_success";

class StoreSource final : public Source {
 public:
  StoreSource(std::optional<std::chrono::milliseconds> window, std::chrono::milliseconds initial)
      : window_(window), initial_(initial) {}

  Status pull(RunContext& ctx, Batch& out) override {
    FindingStore* store = ctx.store();
    if (!store) return Status::failure("this run has no store (cspmd run opens the one in --data-dir)");
    StoreSelection selection;
    selection.since_last_success = !window_;
    selection.observed_since = ctx.now() - (window_ ? *window_ : initial_).count();
    const std::size_t before = out.findings.size();
    if (Status s = store->select(selection, ctx, out.findings); !s) return s;
    ctx.count("stored", out.findings.size() - before);
    return Status::success();
  }

 private:
  std::optional<std::chrono::milliseconds> window_;  // nullopt: since the last success
  std::chrono::milliseconds initial_;
};

class StoreSourceFactory final : public FactoryBase<StageKind::source> {
 public:
  StoreSourceFactory()
      : FactoryBase("store",
                    "Findings from cspmd's store (latest state per finding): those observed within "
                    "a window, or changed since this pipeline's last successful run",
                    {{"window", OptionType::string, false, "24h",
                      "a duration (\"24h\": LastObservedAt within it) or \"since_last_success\"", {}},
                     {"initial_window", OptionType::duration, false, "24h",
                      "with since_last_success: the window of the very first run", {}}},
                    {0, kFindings, false}) {}

  Diagnostics validate(const Options& o) const override {
    const auto w = o.at("window").get<std::string>();
    if (w != kSinceLastSuccess && !parse_duration(w))
      return {make_error("E007", "window", "expected a duration like \"24h\" or \"since_last_success\"")};
    return {};
  }

  CreateResult create(const Options& o, const StageEnv&) const override {
    const auto w = o.at("window").get<std::string>();
    std::optional<std::chrono::milliseconds> window;
    if (w != kSinceLastSuccess) window = parse_duration(w);
    return std::make_unique<StoreSource>(window, *parse_duration(o.at("initial_window").get<std::string>()));
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<StoreSourceFactory>()); }

}  // namespace
}  // namespace cspm::plugins::store

CSPM_PLUGIN("store", CSPM_SDK_VERSION, cspm::plugins::store::register_factories)
