// One small integer for an observation's severity, compliance, workflow and record state.
#pragma once
#include <cstdint>
#include <string_view>

#include <cspm/finding.hpp>

namespace cspm::store {

/// Bits 0-2 severity (0 none, 1 INFORMATIONAL … 5 CRITICAL), 3-5 compliance (1 PASSED,
/// 2 WARNING, 3 FAILED, 4 NOT_AVAILABLE), 6-8 workflow (1 NEW, 2 NOTIFIED, 3 RESOLVED,
/// 4 SUPPRESSED), 9-10 record state (1 ACTIVE, 2 ARCHIVED); in each, 0 is absent and the
/// field's all-ones value a label outside the ASFF enumeration. Packing keeps a day's
/// 400,000 observations a few MB and their insert cheap; the observation_states view
/// spells them out again.
std::uint16_t observation_state(const Finding& finding) noexcept;

/// The SQL of that view (part of the schema).
std::string_view observation_states_view_sql() noexcept;

}  // namespace cspm::store
