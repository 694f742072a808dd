// Reads one pipeline TOML file into a PipelineSpec, gathering every problem on the way.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <cspm/diagnostics.hpp>

#include "pipeline_spec.hpp"

namespace cspm::core {

struct LoadOptions {
  /// --param NAME=VALUE, applied over [params]; lists are comma separated.
  std::vector<std::pair<std::string, std::string>> params;
  /// --input FILE…: replaces the pipeline's sources with `file` sources reading these.
  std::vector<std::string> inputs;
};

struct LoadResult {
  std::optional<PipelineSpec> spec;  ///< absent only when the file could not be parsed at all
  Diagnostics diagnostics;
};

/// Phase 1 (TOML syntax) and phase 2 (shape: tables, ids, params, inputs); nothing that
/// needs plugins. Diagnostics carry file, line, column and the dotted path.
LoadResult load_pipeline(const std::filesystem::path& file, const LoadOptions& options);

}  // namespace cspm::core
