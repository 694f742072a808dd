// `match` filter: keeps the findings that satisfy every `where` condition.
#include <algorithm>
#include <memory>

#include <cspm/factory_base.hpp>
#include <cspm/registrar.hpp>

#include "condition.hpp"

namespace cspm::plugins::match {
namespace {

class MatchFilter final : public Transform {
 public:
  explicit MatchFilter(std::vector<Condition> conditions) : conditions_(std::move(conditions)) {}

  Status process(RunContext& ctx, const Batch& in, Batch& out) override {
    const Timestamp now = ctx.now();
    out.findings.reserve(in.findings.size() / 4);
    for (const Finding* f : in.findings)
      if (std::all_of(conditions_.begin(), conditions_.end(),
                      [&](const Condition& c) { return c.matches(*f, now); }))
        out.findings.push_back(f);
    return Status::success();
  }

 private:
  std::vector<Condition> conditions_;
};

class MatchFilterFactory final : public FactoryBase<StageKind::filter> {
 public:
  MatchFilterFactory()
      : FactoryBase("match",
                    "Keeps findings that satisfy every condition of `where` (field = list, or "
                    "{ in, not_in, within, or_missing })",
                    {{"where", OptionType::table, true, nullptr,
                      "conditions by finding field, e.g. where.severity.in = [\"HIGH\"]", {}}},
                    {kFindings, 0, true}) {}

  Diagnostics validate(const Options& o) const override {
    Diagnostics diags;
    parse_conditions(o.at("where"), diags);
    return diags;
  }

  CreateResult create(const Options& o, const StageEnv&) const override {
    Diagnostics diags;  // warnings were shown by validate()
    auto conditions = parse_conditions(o.at("where"), diags);
    if (has_errors(diags)) return diags;
    return std::make_unique<MatchFilter>(std::move(conditions));
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<MatchFilterFactory>()); }

}  // namespace
}  // namespace cspm::plugins::match

CSPM_PLUGIN("match", CSPM_SDK_VERSION, cspm::plugins::match::register_factories)
