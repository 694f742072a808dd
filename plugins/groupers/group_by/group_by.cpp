// `group_by` grouper: one group per distinct combination of key fields, with a fingerprint.
#include <algorithm>
#include <map>
#include <memory>

#include <cspm/factory_base.hpp>
#include <cspm/fingerprint.hpp>
#include <cspm/registrar.hpp>

namespace cspm::plugins::group_by {
namespace {

class GroupBy final : public Transform {
 public:
  GroupBy(std::vector<std::string> names, std::vector<FindingField> fields, std::string grouping,
          int version)
      : names_(std::move(names)), fields_(std::move(fields)), grouping_(std::move(grouping)),
        version_(version) {}

  Status process(RunContext& ctx, const Batch& in, Batch& out) override {
    std::map<std::vector<std::string_view>, std::vector<const Finding*>> groups;
    std::uint64_t keyless = 0;
    std::vector<std::string_view> key(fields_.size());
    for (const Finding* f : in.findings) {
      bool complete = true;
      for (std::size_t i = 0; i < fields_.size(); ++i) {
        key[i] = text_field(*f, fields_[i]);
        complete = complete && !key[i].empty();
      }
      if (!complete) {
        ++keyless;  // e.g. grouping by control for a GuardDuty finding, which has none
        continue;
      }
      groups[key].push_back(f);
    }
    if (keyless) ctx.count("ungrouped", keyless);
    for (auto& [values, members] : groups) {
      auto g = std::make_shared<Group>();
      g->grouping = grouping_;
      for (std::size_t i = 0; i < names_.size(); ++i)
        g->key.emplace_back(names_[i], std::string{values[i]});
      g->fingerprint = fingerprint(ctx.pipeline_id(), grouping_, version_, g->key);
      std::sort(members.begin(), members.end(), [](const Finding* a, const Finding* b) {
        return std::tie(a->product_arn, a->id) < std::tie(b->product_arn, b->id);
      });
      g->members = std::move(members);
      out.groups.push_back(std::move(g));
    }
    std::sort(out.groups.begin(), out.groups.end(),
              [](const GroupPtr& a, const GroupPtr& b) { return a->fingerprint < b->fingerprint; });
    return Status::success();
  }

 private:
  std::vector<std::string> names_;
  std::vector<FindingField> fields_;
  std::string grouping_;
  int version_;
};

class GroupByFactory final : public FactoryBase<StageKind::grouper> {
 public:
  GroupByFactory()
      : FactoryBase("group_by",
                    "One group (and so one ticket) per distinct value of the key fields, e.g. "
                    "[\"control_id\", \"account_id\"] or [\"resource_id\"]",
                    {{"keys", OptionType::string_list, true, nullptr,
                      "finding fields that make the grouping key (resource_* use Resources[0])", {}},
                     {"grouping", OptionType::string, true, nullptr,
                      "name of the strategy, part of every fingerprint: \"account\", \"resource\"…", {}},
                     {"version", OptionType::integer, false, 1,
                      "bump to start new tickets when the meaning of the key changes", {}}},
                    {kFindings, kGroups, false}) {}

  Diagnostics validate(const Options& o) const override {
    Diagnostics diags;
    const auto keys = o.at("keys").get<std::vector<std::string>>();
    if (keys.empty()) diags.push_back(make_error("E008", "keys", "needs at least one field"));
    const auto& all = finding_field_names();
    const std::vector<std::string> names(all.begin(), all.end());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto f = finding_field(keys[i]);
      if (!f)
        diags.push_back(make_error("E006", "keys[" + std::to_string(i) + "]",
                                   "unknown finding field \"" + keys[i] + "\"", suggest(keys[i], names)));
      else if (is_time_field(*f))
        diags.push_back(make_error("E007", "keys[" + std::to_string(i) + "]",
                                   "\"" + keys[i] + "\" is a time; group by text fields"));
    }
    if (o.at("grouping").get<std::string>().empty())
      diags.push_back(make_error("E007", "grouping", "must not be empty"));
    return diags;
  }

  CreateResult create(const Options& o, const StageEnv&) const override {
    auto names = o.at("keys").get<std::vector<std::string>>();
    std::vector<FindingField> fields;
    for (const auto& n : names) fields.push_back(*finding_field(n));
    return std::make_unique<GroupBy>(std::move(names), std::move(fields),
                                     o.at("grouping").get<std::string>(), o.at("version").get<int>());
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<GroupByFactory>()); }

}  // namespace
}  // namespace cspm::plugins::group_by

CSPM_PLUGIN("group_by", CSPM_SDK_VERSION, cspm::plugins::group_by::register_factories)
