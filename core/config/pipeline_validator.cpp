// Runs the validation phases and keeps going after errors, so one run shows them all.
#include "pipeline_validator.hpp"

#include <algorithm>

#include "schema_check.hpp"

namespace cspm::core {
namespace {

bool kind_fits(Role role, StageKind kind) {
  switch (role) {
    case Role::source: return kind == StageKind::source;
    case Role::sink: return kind == StageKind::sink;
    case Role::transform: return kind != StageKind::source && kind != StageKind::sink;
  }
  return false;
}

std::vector<StageKind> kinds_for(Role role) {
  switch (role) {
    case Role::source: return {StageKind::source};
    case Role::sink: return {StageKind::sink};
    case Role::transform:
      return {StageKind::filter, StageKind::grouper, StageKind::enricher, StageKind::renderer,
              StageKind::observer};
  }
  return {};
}

const char* role_singular(Role role) {
  switch (role) {
    case Role::source: return "source";
    case Role::transform: return "transform";
    case Role::sink: return "sink";
  }
  return "?";
}

const Factory* resolve_type(const ComponentSpec& c, const PluginHost& plugins, Diagnostics& diags) {
  if (c.type.empty()) return nullptr;  // missing type: reported by the loader
  const auto error = [&](std::string message, std::string hint) {
    Diagnostic d = make_error("E005", c.path("type"), std::move(message), std::move(hint));
    d.file = c.type_location.file;
    d.line = c.type_location.line;
    d.column = c.type_location.column;
    diags.push_back(std::move(d));
  };
  const auto* entry = plugins.find(c.type);
  const std::vector<std::string> available = plugins.type_names(kinds_for(c.role));
  if (!entry) {
    const std::string s = suggest(c.type, available);
    error("unknown " + std::string{role_singular(c.role)} + " type \"" + c.type + "\"",
          (s.empty() ? std::string{} : s + " ") + "Available " + role_singular(c.role) +
              " types: " + join(available));
    return nullptr;
  }
  if (!kind_fits(c.role, entry->factory->kind())) {
    error("type \"" + c.type + "\" is a " + std::string{stage_kind_name(entry->factory->kind())} +
              " and cannot be used under [" + role_table(c.role) + "]",
          "Available " + std::string{role_singular(c.role)} + " types: " + join(available));
    return nullptr;
  }
  return entry->factory;
}

}  // namespace

Validation validate_pipeline(const std::filesystem::path& file, const PluginHost& plugins,
                             const LoadOptions& load_options) {
  Validation v;
  LoadResult loaded = load_pipeline(file, load_options);
  v.diagnostics = std::move(loaded.diagnostics);
  if (!loaded.spec) return v;

  auto p = std::make_unique<ValidatedPipeline>();
  p->spec = std::move(*loaded.spec);
  std::vector<const Factory*> factories;
  for (const auto& c : p->spec.components) {
    const Factory* factory = resolve_type(c, plugins, v.diagnostics);
    factories.push_back(factory);
    Options options = nlohmann::json::object();
    if (factory) {
      Diagnostics option_diags;
      options = check_options(c, factory->schema(), p->spec.directory(), option_diags);
      // An unresolved { param = … } is null and already reported; the plugin would only
      // stumble over it.
      const bool unresolved = std::any_of(c.options.begin(), c.options.end(),
                                          [](const nlohmann::json& value) { return value.is_null(); });
      if (!has_errors(option_diags) && !unresolved) {
        try {
          option_diags = factory->validate(options);
        } catch (const std::exception& e) {
          option_diags.push_back(make_error("E100", "", std::string{"plugin validate() threw: "} + e.what()));
        } catch (...) {
          option_diags.push_back(make_error("E100", "", "plugin validate() threw"));
        }
        for (auto& d : option_diags) locate_diagnostic(c, d);
      }
      v.diagnostics.insert(v.diagnostics.end(), option_diags.begin(), option_diags.end());
    }
    p->options.push_back(std::move(options));
  }
  p->graph = build_graph(p->spec, factories, v.diagnostics);
  std::stable_sort(v.diagnostics.begin(), v.diagnostics.end(), [](const auto& a, const auto& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  if (!has_errors(v.diagnostics)) v.pipeline = std::move(p);
  return v;
}

}  // namespace cspm::core
