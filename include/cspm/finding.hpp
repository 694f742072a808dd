// The normalized view of one ASFF finding that every stage works on.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <cspm/time.hpp>

namespace cspm {

/// One entry of ASFF `Resources`.
struct Resource {
  std::string_view type;
  std::string_view id;
  std::string_view region;
  std::string_view partition;
};

/// A finding. Strings are views into storage owned by whoever produced the finding (a source
/// keeps it alive for the whole run); an empty view means the attribute was absent.
/// Identity is (product_arn, id).
struct Finding {
  std::string_view product_arn;
  std::string_view id;
  std::string_view account_id;
  std::string_view account_name;       ///< ASFF AwsAccountName, when present
  std::string_view region;
  std::string_view type;               ///< Types[0], the "alert type"
  std::string_view generator_id;
  std::string_view control_id;         ///< Compliance.SecurityControlId
  std::string_view product_name;
  std::string_view severity;           ///< label, see asff_reader.hpp for precedence
  std::string_view compliance_status;
  std::string_view workflow_status;    ///< Workflow.Status, else the deprecated WorkflowState
  std::string_view record_state;
  std::string_view title;
  std::string_view description;
  std::string_view remediation_text;
  std::string_view remediation_url;
  std::string_view source_url;
  std::vector<Resource> resources;     ///< never empty for a finding that passed parsing
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  Timestamp first_observed_at = 0;
  Timestamp last_observed_at = 0;      ///< LastObservedAt, else UpdatedAt
};

/// A hash of everything but the identity and the timestamps: equal for re-evaluations that
/// changed nothing a ticket shows. Stable across runs and builds (XXH3), so stores keep it.
std::uint64_t content_hash(const Finding& finding) noexcept;

/// Fields a pipeline can name (match conditions, group_by keys).
enum class FindingField {
  product_arn, id, account_id, account_name, region, type, generator_id, control_id,
  product_name, severity, compliance_status, workflow_status, record_state, title, description,
  remediation_text, remediation_url, resource_id, resource_type, resource_region,
  created_at, updated_at, first_observed_at, last_observed_at
};

/// The field called `name` in pipeline files, if there is one.
std::optional<FindingField> finding_field(std::string_view name) noexcept;

/// Every field name, for listings and "did you mean" hints.
const std::vector<std::string_view>& finding_field_names();

/// True for the timestamp fields.
bool is_time_field(FindingField field) noexcept;

/// The value of a text field (resource_* read Resources[0]); empty when absent.
std::string_view text_field(const Finding& finding, FindingField field) noexcept;

/// The value of a timestamp field; 0 when absent.
Timestamp time_field(const Finding& finding, FindingField field) noexcept;

}  // namespace cspm
