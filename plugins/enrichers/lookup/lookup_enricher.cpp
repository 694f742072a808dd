// `lookup` enricher: account name and owner from the owners file; a fallback, never a failure.
#include <memory>

#include <cspm/factory_base.hpp>
#include <cspm/registrar.hpp>

#include "owners_file.hpp"

namespace cspm::plugins::lookup {
namespace {

class LookupEnricher final : public Transform {
 public:
  LookupEnricher(OwnersTable owners, std::string fallback_assignee, std::string missing_label)
      : owners_(std::move(owners)), fallback_(std::move(fallback_assignee)),
        missing_label_(std::move(missing_label)) {}

  Status process(RunContext& ctx, const Batch& in, Batch& out) override {
    std::uint64_t missing = 0;
    for (const GroupPtr& g : in.groups) {
      auto enriched = std::make_shared<Group>(*g);
      std::string account{key_value(*g, "account_id")};
      if (account.empty() && !g->members.empty()) account = std::string{g->members.front()->account_id};
      const auto it = owners_.find(account);
      if (it == owners_.end()) {
        ++missing;
        enriched->attributes["assignee"] = fallback_;
        if (!missing_label_.empty()) enriched->attributes["label"] = missing_label_;
      } else {
        const Owner& o = it->second;
        if (!o.name.empty()) enriched->attributes["account_name"] = o.name;
        enriched->attributes["owner"] = o.owner;
        enriched->attributes["assignee"] = o.assignee.empty() ? o.owner : o.assignee;
        if (!o.project.empty()) enriched->attributes["project"] = o.project;
        if (!o.component.empty()) enriched->attributes["component"] = o.component;
      }
      out.groups.push_back(std::move(enriched));
    }
    if (missing) ctx.count("owner_missing", missing);
    return Status::success();
  }

 private:
  OwnersTable owners_;
  std::string fallback_;
  std::string missing_label_;
};

class LookupFactory final : public FactoryBase<StageKind::enricher> {
 public:
  LookupFactory()
      : FactoryBase("lookup",
                    "Sets account name, owner and assignee of each group from an owners file "
                    "(account → name, owner); unknown accounts get the fallback assignee",
                    {{"file", OptionType::path, true, nullptr, "owners file (TOML)", {}},
                     {"fallback_assignee", OptionType::string, false, "",
                      "assignee when the account has no owner (empty: tracker default)", {}},
                     {"missing_label", OptionType::string, false, "cspm-no-owner",
                      "label added to tickets of accounts without an owner", {}}},
                    {kGroups, 0, true}) {}

  CreateResult create(const Options& o, const StageEnv&) const override {
    auto owners = load_owners(o.at("file").get<std::string>());
    if (auto* diags = std::get_if<Diagnostics>(&owners)) return std::move(*diags);
    return std::make_unique<LookupEnricher>(std::move(std::get<OwnersTable>(owners)),
                                            o.at("fallback_assignee").get<std::string>(),
                                            o.at("missing_label").get<std::string>());
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<LookupFactory>()); }

}  // namespace
}  // namespace cspm::plugins::lookup

CSPM_PLUGIN("lookup", CSPM_SDK_VERSION, cspm::plugins::lookup::register_factories)
