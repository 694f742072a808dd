// Option schema enforcement: the Fluent Bit config map, with Vector's error messages.
#include "schema_check.hpp"

#include <cspm/time.hpp>

namespace cspm::core {
namespace {

std::string json_type(const nlohmann::json& v) {
  if (v.is_string()) return "string \"" + v.get<std::string>() + "\"";
  if (v.is_number_integer()) return "integer " + v.dump();
  if (v.is_number_float()) return "float " + v.dump();
  if (v.is_boolean()) return "boolean " + v.dump();
  if (v.is_array()) return "array";
  if (v.is_object()) return "table";
  return "nothing";
}

bool is_string_list(const nlohmann::json& v) {
  if (v.is_string()) return true;
  if (!v.is_array()) return false;
  for (const auto& e : v)
    if (!e.is_string()) return false;
  return true;
}

std::string absolute(const std::string& p, const std::filesystem::path& base) {
  const std::filesystem::path path{p};
  if (p == "-" || path.is_absolute()) return p;
  return (base / path).lexically_normal().string();
}

}  // namespace

// A secret is a reference, never a value: pipeline files get committed and shown around.
std::string secret_problem(const nlohmann::json& v) {
  if (v.is_string())
    return "secret options take a reference: { env = \"…\" }, { file = \"…\" } or "
           "{ credential = \"…\" }, never a literal";
  if (!v.is_object() || v.size() != 1) return "expected exactly one of { env | file | credential = \"…\" }";
  const std::string kind = v.begin().key();
  const nlohmann::json& name = v.begin().value();
  if (kind != "env" && kind != "file" && kind != "credential")
    return "unknown secret reference \"" + kind + "\" (use env, file or credential)";
  if (!name.is_string() || name.get<std::string>().empty()) return kind + " must name a non-empty string";
  return {};
}

void locate_diagnostic(const ComponentSpec& component, Diagnostic& d) {
  if (!d.file.empty()) return;  // a stage that read a file of its own says where
  const Location at = component.locate(d.path);
  d.file = at.file;
  d.line = at.line;
  d.column = at.column;
  d.path = component.path(d.path);
}

Options check_options(const ComponentSpec& c, const OptionSchema& schema,
                      const std::filesystem::path& pipeline_dir, Diagnostics& diags) {
  const auto fail = [&](std::string code, const std::string& option, std::string message,
                        std::string hint = {}) {
    Diagnostic d = make_error(std::move(code), option, std::move(message), std::move(hint));
    locate_diagnostic(c, d);
    if (option.empty()) {  // the component itself: point at its header
      d.file = c.location.file;
      d.line = c.location.line;
      d.column = c.location.column;
    }
    diags.push_back(std::move(d));
  };
  std::vector<std::string> allowed;
  for (const auto& spec : schema) allowed.push_back(spec.name);

  Options out = nlohmann::json::object();
  for (const auto& [name, value] : c.options.items()) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      const std::string s = suggest(name, allowed);
      fail("E006", name, "unknown option \"" + name + "\" for type \"" + c.type + "\"",
           (s.empty() ? std::string{} : s + " ") +
               (allowed.empty() ? "This type takes no options." : "Allowed: " + join(allowed)));
    }
  }
  const std::filesystem::path cwd = std::filesystem::current_path();
  for (const auto& spec : schema) {
    if (!c.options.contains(spec.name)) {
      if (spec.required)
        fail("E008", "", "missing required option \"" + spec.name + "\" (" +
                             std::string{option_type_name(spec.type)} + ": " + spec.help + ")");
      else if (!spec.default_value.is_null())
        out[spec.name] = spec.default_value;
      continue;
    }
    const nlohmann::json& v = c.options[spec.name];
    if (v.is_null()) continue;  // an unresolved { param = … }, already reported
    const std::string expected = "expected " + std::string{option_type_name(spec.type)} +
                                 ", found " + json_type(v);
    const std::filesystem::path& base =
        c.command_line_options.count(spec.name) ? cwd : pipeline_dir;
    switch (spec.type) {
      case OptionType::string:
        if (!v.is_string()) {
          fail("E007", spec.name, expected);
        } else if (!spec.choices.empty() &&
                   std::find(spec.choices.begin(), spec.choices.end(), v.get<std::string>()) ==
                       spec.choices.end()) {
          const std::string s = suggest(v.get<std::string>(), spec.choices);
          fail("E007", spec.name, "\"" + v.get<std::string>() + "\" is not one of " + join(spec.choices, " | "),
               s);
        } else {
          out[spec.name] = v;
        }
        break;
      case OptionType::integer:
        if (v.is_number_integer()) out[spec.name] = v;
        else fail("E007", spec.name, expected);
        break;
      case OptionType::boolean:
        if (v.is_boolean()) out[spec.name] = v;
        else fail("E007", spec.name, expected);
        break;
      case OptionType::duration:
        if (!v.is_string() || !parse_duration(v.get<std::string>()))
          fail("E007", spec.name, expected + " (like \"90s\", \"15m\", \"24h\", \"30d\")");
        else
          out[spec.name] = v;
        break;
      case OptionType::string_list:
        if (!is_string_list(v)) fail("E007", spec.name, expected);
        else out[spec.name] = v.is_string() ? nlohmann::json::array({v}) : v;
        break;
      case OptionType::path:
        if (!v.is_string() || v.get<std::string>().empty()) fail("E007", spec.name, expected);
        else out[spec.name] = absolute(v.get<std::string>(), base);
        break;
      case OptionType::path_list:
        if (!is_string_list(v)) {
          fail("E007", spec.name, expected);
        } else {
          nlohmann::json paths = nlohmann::json::array();
          for (const auto& p : v.is_string() ? nlohmann::json::array({v}) : v)
            paths.push_back(absolute(p.get<std::string>(), base));
          out[spec.name] = paths;
        }
        break;
      case OptionType::table:
        if (v.is_object()) out[spec.name] = v;
        else fail("E007", spec.name, expected);
        break;
      case OptionType::secret:
        if (const std::string problem = secret_problem(v); !problem.empty())
          fail("E013", spec.name, problem);
        else
          out[spec.name] = v;
        break;
    }
  }
  return out;
}

}  // namespace cspm::core
