// A stage type as a plugin declares it: name, kind, options, data types, constructor.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

#include <cspm/api.hpp>
#include <cspm/batch.hpp>
#include <cspm/diagnostics.hpp>
#include <cspm/options.hpp>
#include <cspm/stage.hpp>

namespace cspm {

enum class StageKind { source, filter, grouper, enricher, renderer, sink, observer };

std::string_view stage_kind_name(StageKind kind) noexcept;

/// What a stage accepts and emits, for the graph type check.
struct Ports {
  DataTypes accepts = 0;    ///< 0 for sources
  DataTypes emits = 0;      ///< fixed output types (ignored when passthrough)
  bool passthrough = false; ///< emits what it receives (filters, enrichers)
};

/// Host facts a stage may need when it is created.
struct StageEnv {
  std::string pipeline_id;
  std::string stage_id;
  std::filesystem::path pipeline_dir;
};

/// A created stage, or the diagnostics that explain why not.
using CreateResult = std::variant<StagePtr, Diagnostics>;

/// Stateless description and constructor of one stage type (Envoy's TypedFactory).
class CSPM_API Factory {
 public:
  virtual ~Factory();
  virtual StageKind kind() const noexcept = 0;
  virtual std::string_view type() const noexcept = 0;         ///< `type = "…"` in pipelines
  virtual std::string_view description() const noexcept = 0;  ///< one line
  virtual const OptionSchema& schema() const noexcept = 0;
  virtual Ports ports() const noexcept = 0;
  /// Cross-option rules on schema-checked options. Pure: no I/O. Paths are stage-relative.
  virtual Diagnostics validate(const Options& options) const {
    (void)options;
    return {};
  }
  /// Builds the stage; may read files it names (reported as diagnostics with their location).
  virtual CreateResult create(const Options& options, const StageEnv& env) const = 0;
};

}  // namespace cspm
