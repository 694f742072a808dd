// Label <-> code tables for observation states; the view's CASE arms mirror them.
#include "observation_state.hpp"

#include <array>

namespace cspm::store {
namespace {

template <std::size_t N>
unsigned code(std::string_view label, const std::array<std::string_view, N>& names, unsigned other) {
  if (label.empty()) return 0;
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == label) return static_cast<unsigned>(i + 1);
  return other;
}

constexpr std::array<std::string_view, 5> kSeverity{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
constexpr std::array<std::string_view, 4> kCompliance{"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"};
constexpr std::array<std::string_view, 4> kWorkflow{"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"};
constexpr std::array<std::string_view, 2> kRecord{"ACTIVE", "ARCHIVED"};

}  // namespace

std::uint16_t observation_state(const Finding& f) noexcept {
  return static_cast<std::uint16_t>(code(f.severity, kSeverity, 7) | code(f.compliance_status, kCompliance, 7) << 3 |
                                    code(f.workflow_status, kWorkflow, 7) << 6 | code(f.record_state, kRecord, 3) << 9);
}

std::string_view observation_states_view_sql() noexcept {
  return R"sql(
CREATE VIEW observation_states AS
SELECT updated_at, finding,
  CASE state & 7 WHEN 0 THEN NULL WHEN 1 THEN 'INFORMATIONAL' WHEN 2 THEN 'LOW' WHEN 3 THEN 'MEDIUM'
    WHEN 4 THEN 'HIGH' WHEN 5 THEN 'CRITICAL' ELSE 'OTHER' END AS severity,
  CASE (state >> 3) & 7 WHEN 0 THEN NULL WHEN 1 THEN 'PASSED' WHEN 2 THEN 'WARNING' WHEN 3 THEN 'FAILED'
    WHEN 4 THEN 'NOT_AVAILABLE' ELSE 'OTHER' END AS compliance_status,
  CASE (state >> 6) & 7 WHEN 0 THEN NULL WHEN 1 THEN 'NEW' WHEN 2 THEN 'NOTIFIED' WHEN 3 THEN 'RESOLVED'
    WHEN 4 THEN 'SUPPRESSED' ELSE 'OTHER' END AS workflow_status,
  CASE (state >> 9) & 3 WHEN 0 THEN NULL WHEN 1 THEN 'ACTIVE' WHEN 2 THEN 'ARCHIVED' ELSE 'OTHER' END AS record_state
FROM observations;
)sql";
}

}  // namespace cspm::store
