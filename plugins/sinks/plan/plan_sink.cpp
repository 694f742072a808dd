// `plan` sink: one plan record (JSON line) per ticket on the run's output.
#include <algorithm>
#include <memory>

#include <cspm/factory_base.hpp>
#include <cspm/plan_record.hpp>
#include <cspm/registrar.hpp>

namespace cspm::plugins::plan {
namespace {

class PlanSink final : public Sink {
 public:
  explicit PlanSink(std::string action) : action_(std::move(action)) {}

  Status deliver(RunContext& ctx, const Batch& in) override {
    std::vector<TicketPtr> tickets = in.tickets;
    std::sort(tickets.begin(), tickets.end(),
              [](const TicketPtr& a, const TicketPtr& b) { return a->fingerprint < b->fingerprint; });
    std::ostream& out = ctx.output();
    for (const auto& t : tickets)
      out << plan_record(*t, ctx.pipeline_id(), action_)
                 .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
          << '\n';
    out.flush();
    if (!out) return Status::failure("could not write plan records");
    return Status::success();
  }

 private:
  std::string action_;
};

class PlanSinkFactory final : public FactoryBase<StageKind::sink> {
 public:
  PlanSinkFactory()
      : FactoryBase("plan", "Prints one plan record (JSON line) per ticket: what would be filed",
                    {{"action", OptionType::string, false, "create",
                      "action to record (a ledger-backed sink decides it per ticket)",
                      {"create", "update", "comment", "reopen", "resolve", "none"}}},
                    {kTickets, 0, false}) {}

  CreateResult create(const Options& o, const StageEnv&) const override {
    return std::make_unique<PlanSink>(o.at("action").get<std::string>());
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<PlanSinkFactory>()); }

}  // namespace
}  // namespace cspm::plugins::plan

CSPM_PLUGIN("plan", CSPM_SDK_VERSION, cspm::plugins::plan::register_factories)
