// TOML → PipelineSpec: syntax, known tables, component ids, inputs and parameter references.
#include "pipeline_loader.hpp"

#include <toml++/toml.h>

#include "../schedule/cron_schedule.hpp"
#include "params.hpp"

namespace cspm::core {
namespace {

const std::vector<std::string> kTopLevel{"pipeline", "params", "sources", "transforms", "sinks"};
const std::vector<std::string> kPipelineKeys{"id", "description", "schedule"};

// Component ids: [a-z][a-z0-9_]* ("." is reserved for output ports); pipeline ids also
// allow "-", as file names do.
bool valid_id(std::string_view id, bool pipeline = false) {
  if (id.empty() || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  for (const char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (pipeline && c == '-')))
      return false;
  return true;
}

class Loader {
 public:
  Loader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

  void error(std::string code, std::string path, const Location& at, std::string message,
             std::string hint = {}) {
    Diagnostic d = make_error(std::move(code), std::move(path), std::move(message), std::move(hint));
    d.file = at.file;
    d.line = at.line;
    d.column = at.column;
    diags_.push_back(std::move(d));
  }

  void load(const toml::table& root, PipelineSpec& spec, const LoadOptions& options) {
    for (auto&& [key, node] : root) {
      const std::string k{key.str()};
      if (std::find(kTopLevel.begin(), kTopLevel.end(), k) == kTopLevel.end())
        error("E002", k, where(key.source(), file_), "unknown table [" + k + "]",
              suggest(k, kTopLevel).empty() ? "Allowed: " + join(kTopLevel) : suggest(k, kTopLevel));
    }
    if (const auto* p = root["pipeline"].as_table()) pipeline_table(*p, spec);
    if (!root["pipeline"]["id"]) {
      // The id is part of every ticket fingerprint: renaming the file would re-file them all.
      Diagnostic d = make_error("W003", "pipeline.id",
                                "no [pipeline] id: tickets are keyed to the file name \"" + spec.id + "\"",
                                "Set [pipeline] id = \"" + spec.id + "\" so that renaming the file changes nothing.");
      d.level = Diagnostic::Level::warning;
      d.file = file_;
      d.line = d.column = 1;
      diags_.push_back(std::move(d));
    }
    if (const auto* p = root["params"].as_table()) read_params(*p, file_, params_);
    apply_overrides(options.params, params_, diags_);
    for (const auto& [name, param] : params_) param_names_.push_back(name);

    components(root, "sources", Role::source, spec);
    components(root, "transforms", Role::transform, spec);
    components(root, "sinks", Role::sink, spec);

    if (!options.inputs.empty()) replace_source(spec, options.inputs);
  }

 private:
  // --input: the pipeline's one source reads these files. A `file` source keeps its other
  // options (threads, limits); any other source becomes a `file` source.
  void replace_source(PipelineSpec& spec, const std::vector<std::string>& inputs) {
    std::vector<ComponentSpec*> sources;
    for (auto& c : spec.components)
      if (c.role == Role::source) sources.push_back(&c);
    if (sources.size() != 1) {
      error("E014", "sources", {file_, 1, 1},
            "--input replaces the pipeline's source, but it has " + std::to_string(sources.size()) +
                " sources");
      return;
    }
    ComponentSpec& c = *sources.front();
    if (c.type != "file") {
      c.type = "file";
      c.options = nlohmann::json::object();
      c.option_locations.clear();
    }
    c.options["paths"] = inputs;
    c.command_line_options.insert("paths");
  }

  void pipeline_table(const toml::table& t, PipelineSpec& spec) {
    for (auto&& [key, node] : t) {
      const std::string k{key.str()};
      const Location at = where(key.source(), file_);
      if (k == "id") {
        if (!node.is_string() || !valid_id(node.as_string()->get(), true))
          error("E003", "pipeline.id", at,
                "pipeline id must be a string matching [a-z][a-z0-9_-]*");
        else
          spec.id = node.as_string()->get();
      } else if (k == "description") {
        if (node.is_string()) spec.description = node.as_string()->get();
        else error("E007", "pipeline.description", at, "expected a string");
      } else if (k == "schedule") {
        schedule(node, spec, at);
      } else {
        error("E006", "pipeline." + k, at, "unknown option \"" + k + "\"",
              suggest(k, kPipelineKeys).empty() ? "Allowed: " + join(kPipelineKeys)
                                                : suggest(k, kPipelineKeys));
      }
    }
  }

  void schedule(const toml::node& node, PipelineSpec& spec, const Location& at) {
    const auto* t = node.as_table();
    if (!t) {
      error("E007", "pipeline.schedule", at,
            "expected a table like { cron = \"0 9 * * *\", timezone = \"Europe/Berlin\" }");
      return;
    }
    Location cron_at = at, zone_at = at;
    for (auto&& [key, v] : *t) {
      const std::string k{key.str()};
      const Location kat = where(key.source(), file_);
      if ((k == "cron" || k == "timezone") && !v.is_string()) {
        error("E007", "pipeline.schedule." + k, kat, "expected a string");
      } else if (k == "cron") {
        spec.schedule_cron = v.as_string()->get();
        cron_at = where(v.source(), file_);
      } else if (k == "timezone") {
        spec.schedule_timezone = v.as_string()->get();
        zone_at = where(v.source(), file_);
      } else {
        error("E006", "pipeline.schedule." + k, kat, "unknown option \"" + k + "\"",
              "Allowed: cron, timezone");
      }
    }
    if (spec.schedule_cron.empty()) {
      if (!spec.schedule_timezone.empty()) error("E008", "pipeline.schedule.cron", at, "a timezone needs a cron expression");
      return;
    }
    const auto parsed = CronSchedule::parse(spec.schedule_cron, spec.schedule_timezone);
    if (const auto* why = std::get_if<std::string>(&parsed)) {
      const bool zone = why->rfind("unknown time zone", 0) == 0;
      error("E007", zone ? "pipeline.schedule.timezone" : "pipeline.schedule.cron", zone ? zone_at : cron_at, *why);
    }
  }

  void components(const toml::table& root, const char* table, Role role, PipelineSpec& spec) {
    const toml::node* node = root.get(table);
    if (!node) return;
    const auto* t = node->as_table();
    if (!t) {
      error("E002", table, where(node->source(), file_), std::string{"["} + table + "] must be a table");
      return;
    }
    for (auto&& [key, value] : *t) {
      ComponentSpec c;
      c.id = std::string{key.str()};
      c.role = role;
      c.location = where(value.source(), file_);
      const Location key_at = where(key.source(), file_);
      if (!valid_id(c.id))
        error("E003", c.path(), key_at,
              "component id \"" + c.id + "\" must match [a-z][a-z0-9_]* (\".\" is reserved)");
      for (const auto& other : spec.components)
        if (other.id == c.id)
          error("E004", c.path(), key_at,
                "more than one component named \"" + c.id + "\" (" + other.path() + ", " +
                    c.path() + ")");
      const auto* body = value.as_table();
      if (!body) {
        error("E007", c.path(), key_at, "expected a table");
        continue;
      }
      component_body(*body, c);
      spec.components.push_back(std::move(c));
    }
  }

  void component_body(const toml::table& body, ComponentSpec& c) {
    for (auto&& [key, v] : body) {
      const std::string k{key.str()};
      const Location at = where(key.source(), file_);
      if (k == "type") {
        c.type_location = at;
        if (v.is_string()) c.type = v.as_string()->get();
        else error("E007", c.path("type"), at, "expected a string naming a stage type");
      } else if (k == "inputs") {
        inputs(v, c, at);
      } else {
        c.options[k] = resolve(v, k, c);
        c.option_locations[k] = at;
      }
    }
    if (c.type.empty() && c.type_location.line == 0)
      error("E008", c.path(), c.location, "missing required option \"type\"");
    if (c.role == Role::source && !c.inputs.empty())
      error("E010", c.path("inputs"), c.input_locations.front(),
            "source \"" + c.id + "\" cannot have inputs");
  }

  void inputs(const toml::node& v, ComponentSpec& c, const Location& at) {
    const auto add = [&](const toml::node& n) {
      if (!n.is_string()) {
        error("E007", c.path("inputs"), where(n.source(), file_), "inputs must be component ids (strings)");
        return;
      }
      c.inputs.push_back(n.as_string()->get());
      c.input_locations.push_back(where(n.source(), file_));
    };
    if (const auto* arr = v.as_array()) {
      for (auto&& n : *arr) add(n);
    } else if (v.is_string()) {
      add(v);
    } else {
      error("E007", c.path("inputs"), at, "expected a list of component ids");
    }
  }

  // Option values with { param = "name" } replaced by the parameter's value.
  nlohmann::json resolve(const toml::node& node, const std::string& path, ComponentSpec& c) {
    c.option_locations.emplace(path, where(node.source(), file_));
    if (const auto* t = node.as_table()) {
      if (t->size() == 1 && t->contains("param")) return param_value((*t)["param"].node(), path, c);
      nlohmann::json o = nlohmann::json::object();
      for (auto&& [k, v] : *t) {
        const std::string child = path + "." + std::string{k.str()};
        c.option_locations[child] = where(k.source(), file_);
        o[std::string{k.str()}] = resolve(v, child, c);
      }
      return o;
    }
    if (const auto* a = node.as_array()) {
      nlohmann::json arr = nlohmann::json::array();
      std::size_t i = 0;
      for (auto&& v : *a) arr.push_back(resolve(v, path + "[" + std::to_string(i++) + "]", c));
      return arr;
    }
    return toml_to_json(node);
  }

  nlohmann::json param_value(const toml::node* name_node, const std::string& path,
                             ComponentSpec& c) {
    const Location at = where(name_node->source(), file_);
    if (!name_node->is_string()) {
      error("E007", c.path(path), at, "{ param = … } takes the parameter's name as a string");
      return nullptr;
    }
    const std::string name = name_node->as_string()->get();
    const auto it = params_.find(name);
    if (it == params_.end()) {
      error("E032", c.path(path), at, "unknown parameter \"" + name + "\"",
            suggest(name, param_names_).empty() ? "Declared in [params]: " + join(param_names_)
                                                : suggest(name, param_names_));
      return nullptr;
    }
    if (it->second.from_command_line) c.command_line_options.insert(path);
    return it->second.value;
  }

  std::string file_;
  Diagnostics& diags_;
  Params params_;
  std::vector<std::string> param_names_;
};

}  // namespace

LoadResult load_pipeline(const std::filesystem::path& file, const LoadOptions& options) {
  LoadResult result;
  const std::string name = file.string();
  toml::table root;
  try {
    root = toml::parse_file(name);
  } catch (const toml::parse_error& e) {
    Diagnostic d = make_error("E001", "", std::string{e.description()});
    d.file = name;
    d.line = static_cast<int>(e.source().begin.line);
    d.column = static_cast<int>(e.source().begin.column);
    result.diagnostics.push_back(std::move(d));
    return result;
  }
  PipelineSpec spec;
  spec.file = std::filesystem::absolute(file).lexically_normal();
  spec.source_name = name;
  spec.id = file.stem().string();
  Loader loader{name, result.diagnostics};
  loader.load(root, spec, options);
  result.spec = std::move(spec);
  return result;
}

}  // namespace cspm::core
