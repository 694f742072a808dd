// ASFF severity labels, ranks and the Normalized-score mapping.
#include <cspm/severity.hpp>

#include <array>

namespace cspm {
namespace {
constexpr std::array<std::string_view, 6> kLabels{"",     "INFORMATIONAL", "LOW",
                                                   "MEDIUM", "HIGH",          "CRITICAL"};
}

int severity_rank(std::string_view label) noexcept {
  for (std::size_t i = 1; i < kLabels.size(); ++i)
    if (kLabels[i] == label) return static_cast<int>(i);
  return 0;
}

std::string_view severity_label(int rank) noexcept {
  return rank > 0 && rank < static_cast<int>(kLabels.size()) ? kLabels[rank] : kLabels[0];
}

std::string_view severity_from_normalized(long long n) noexcept {
  if (n == 0) return kLabels[1];
  if (n >= 1 && n <= 39) return kLabels[2];
  if (n >= 40 && n <= 69) return kLabels[3];
  if (n >= 70 && n <= 89) return kLabels[4];
  if (n >= 90 && n <= 100) return kLabels[5];
  return kLabels[0];
}

}  // namespace cspm
