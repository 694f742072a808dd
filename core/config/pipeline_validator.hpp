// All validation phases for one pipeline file, with every problem gathered.
#pragma once
#include <filesystem>
#include <memory>
#include <vector>

#include <cspm/diagnostics.hpp>
#include <cspm/options.hpp>

#include "../graph/pipeline_graph.hpp"
#include "../plugins/plugin_host.hpp"
#include "pipeline_loader.hpp"

namespace cspm::core {

/// A pipeline whose every component has a known type, checked options and a place in an
/// acyclic, well-typed graph. `graph` points into `spec`: keep them together.
struct ValidatedPipeline {
  PipelineSpec spec;
  PipelineGraph graph;
  std::vector<Options> options;  ///< per component, defaults filled in
};

struct Validation {
  std::unique_ptr<ValidatedPipeline> pipeline;  ///< null when there are errors
  Diagnostics diagnostics;                      ///< errors and warnings, in file order
};

/// Phases 1–4: TOML syntax, shape, option schemas and plugin validate(), graph.
Validation validate_pipeline(const std::filesystem::path& file, const PluginHost& plugins,
                             const LoadOptions& options = {});

}  // namespace cspm::core
