// Finding fields by name (for match conditions and group_by keys) and the content hash.
#include <cspm/finding.hpp>

#include <array>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace cspm {
namespace {

using F = FindingField;
constexpr std::array<std::pair<std::string_view, F>, 24> kFields{{
    {"product_arn", F::product_arn},
    {"id", F::id},
    {"account_id", F::account_id},
    {"account_name", F::account_name},
    {"region", F::region},
    {"type", F::type},
    {"generator_id", F::generator_id},
    {"control_id", F::control_id},
    {"product_name", F::product_name},
    {"severity", F::severity},
    {"compliance_status", F::compliance_status},
    {"workflow_status", F::workflow_status},
    {"record_state", F::record_state},
    {"title", F::title},
    {"description", F::description},
    {"remediation_text", F::remediation_text},
    {"remediation_url", F::remediation_url},
    {"resource_id", F::resource_id},
    {"resource_type", F::resource_type},
    {"resource_region", F::resource_region},
    {"created_at", F::created_at},
    {"updated_at", F::updated_at},
    {"first_observed_at", F::first_observed_at},
    {"last_observed_at", F::last_observed_at},
}};

}  // namespace

std::optional<FindingField> finding_field(std::string_view name) noexcept {
  for (const auto& [n, f] : kFields)
    if (n == name) return f;
  return std::nullopt;
}

const std::vector<std::string_view>& finding_field_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& [n, f] : kFields) v.push_back(n);
    return v;
  }();
  return names;
}

bool is_time_field(FindingField f) noexcept {
  return f == F::created_at || f == F::updated_at || f == F::first_observed_at ||
         f == F::last_observed_at;
}

std::string_view text_field(const Finding& x, FindingField f) noexcept {
  const Resource* r = x.resources.empty() ? nullptr : &x.resources.front();
  switch (f) {
    case F::product_arn: return x.product_arn;
    case F::id: return x.id;
    case F::account_id: return x.account_id;
    case F::account_name: return x.account_name;
    case F::region: return x.region;
    case F::type: return x.type;
    case F::generator_id: return x.generator_id;
    case F::control_id: return x.control_id;
    case F::product_name: return x.product_name;
    case F::severity: return x.severity;
    case F::compliance_status: return x.compliance_status;
    case F::workflow_status: return x.workflow_status;
    case F::record_state: return x.record_state;
    case F::title: return x.title;
    case F::description: return x.description;
    case F::remediation_text: return x.remediation_text;
    case F::remediation_url: return x.remediation_url;
    case F::resource_id: return r ? r->id : std::string_view{};
    case F::resource_type: return r ? r->type : std::string_view{};
    case F::resource_region: return r ? r->region : std::string_view{};
    default: return {};
  }
}

Timestamp time_field(const Finding& x, FindingField f) noexcept {
  switch (f) {
    case F::created_at: return x.created_at;
    case F::updated_at: return x.updated_at;
    case F::first_observed_at: return x.first_observed_at;
    case F::last_observed_at: return x.last_observed_at;
    default: return 0;
  }
}

}  // namespace cspm

namespace cspm {

// Each field is hashed with its length folded into the seed, so moving text from one field
// to the next changes the hash.
std::uint64_t content_hash(const Finding& f) noexcept {
  std::uint64_t h = 0;
  const auto mix = [&h](std::string_view s) { h = XXH3_64bits_withSeed(s.data(), s.size(), h + s.size()); };
  for (std::string_view s : {f.account_id, f.account_name, f.region, f.type, f.generator_id,
                             f.control_id, f.product_name, f.severity, f.compliance_status,
                             f.workflow_status, f.record_state, f.title, f.description,
                             f.remediation_text, f.remediation_url, f.source_url})
    mix(s);
  for (const Resource& r : f.resources)
    for (std::string_view s : {r.type, r.id, r.region, r.partition}) mix(s);
  return h ^ f.resources.size();
}

}  // namespace cspm
