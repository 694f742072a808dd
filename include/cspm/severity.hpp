// ASFF severity labels and their order.
#pragma once
#include <string_view>

namespace cspm {

/// 0 for unknown, then INFORMATIONAL=1 < LOW < MEDIUM < HIGH < CRITICAL=5.
int severity_rank(std::string_view label) noexcept;

/// The label for a rank (empty for 0).
std::string_view severity_label(int rank) noexcept;

/// Label derived from Severity.Normalized as ASFF defines it (0 INFORMATIONAL, 1-39 LOW,
/// 40-69 MEDIUM, 70-89 HIGH, 90-100 CRITICAL). Empty if out of range.
std::string_view severity_from_normalized(long long normalized) noexcept;

}  // namespace cspm
