// Stable ticket identity: the same issue gives the same fingerprint in every run.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cspm {

/// Hex SHA-256 (first 128 bits) of the pipeline id, the grouping strategy and its version
/// and the key fields sorted by name. Nothing volatile (times, counts, config order) enters.
std::string fingerprint(std::string_view pipeline_id, std::string_view grouping, int version,
                        std::vector<std::pair<std::string, std::string>> key);

}  // namespace cspm
