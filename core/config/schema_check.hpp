// Checks a component's options against its factory's OptionSchema and fills defaults.
#pragma once
#include <cspm/diagnostics.hpp>
#include <cspm/options.hpp>

#include "pipeline_spec.hpp"

namespace cspm::core {

/// Unknown options (with "did you mean" and the allowed list), missing required options,
/// wrong types, bad durations and choices, literal secrets. Returns the options with
/// defaults filled in and relative paths made absolute (file values against the pipeline
/// file's directory, command-line values against the current directory).
Options check_options(const ComponentSpec& component, const OptionSchema& schema,
                      const std::filesystem::path& pipeline_dir, Diagnostics& diags);

/// Why `v` is not a secret reference ({ env | file | credential = "…" }); empty if it is.
std::string secret_problem(const nlohmann::json& v);

/// Places a diagnostic from a stage's validate()/create() at its option's location.
void locate_diagnostic(const ComponentSpec& component, Diagnostic& d);

}  // namespace cspm::core
