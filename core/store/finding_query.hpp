// `cspmd query` filters and group-bys, turned into one parameterized SELECT on the store.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <cspm/time.hpp>

namespace cspm::store {

struct FindingQuery {
  std::vector<std::string> accounts, regions, severities, controls, products, compliance,
      workflow, record_states, resource_ids, resource_types;
  Timestamp since = 0, until = 0;  ///< on UpdatedAt; 0: open
  std::string title_text;          ///< substring of the title, case-insensitive (ASCII)
  std::vector<std::string> group_by;
  std::size_t limit = 0;           ///< 0: no limit
};

/// Group-by names `cspmd query --group-by` accepts.
const std::vector<std::string>& group_by_names();

struct Sql {
  std::string text;
  std::vector<std::string> text_params;     ///< ?1 … in order
  std::vector<std::int64_t> integer_params; ///< after the text ones
  std::string error;                        ///< an unknown group-by, with a hint
};

/// The SELECT for `query`: finding rows (see finding_row_columns) or, with group_by, the
/// group columns plus "findings" (the count), largest first.
Sql build_query(const FindingQuery& query);

/// Columns of a finding row, in order: id, product_arn, account_id, account_name, region,
/// severity, compliance_status, workflow_status, record_state, control_id, resource_ids (JSON
/// array text), resource_type, updated_at (ms), last_observed_at (ms), title.
const std::vector<std::string>& finding_row_columns();

}  // namespace cspm::store
