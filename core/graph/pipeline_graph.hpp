// The pipeline as a DAG: inputs resolved, cycles rejected, data types checked per edge.
#pragma once
#include <cstddef>
#include <vector>

#include <cspm/diagnostics.hpp>
#include <cspm/factory.hpp>

#include "../config/pipeline_spec.hpp"

namespace cspm::core {

struct GraphNode {
  const ComponentSpec* spec = nullptr;
  const Factory* factory = nullptr;      ///< null when its type is unknown
  std::vector<std::size_t> inputs;       ///< node indices
  DataTypes output = 0;                  ///< what flows out (after passthrough inference)
};

struct PipelineGraph {
  std::vector<GraphNode> nodes;          ///< same order as spec.components
  std::vector<std::size_t> order;        ///< topological; empty when there is a cycle
};

/// Phase 3: sources and sinks exist, every input names a component (E020, with a
/// suggestion), no duplicates (E011), no cycle (E022), data types meet on every edge (E023),
/// and warns about components nobody consumes (W001). `factories[i]` belongs to
/// `spec.components[i]` and may be null (unknown type, already reported).
PipelineGraph build_graph(const PipelineSpec& spec, const std::vector<const Factory*>& factories,
                          Diagnostics& diags);

}  // namespace cspm::core
