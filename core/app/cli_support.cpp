// Shared CLI plumbing: plugin loading and diagnostic formatting.
#include "cli_support.hpp"

namespace cspm::app {

void load_plugins(core::PluginHost& host, const std::filesystem::path& dir, std::ostream& err) {
  for (const auto& problem : host.load_directory(dir)) err << "warning: plugin refused: " << problem << '\n';
}

void print_diagnostics(const Diagnostics& diags, std::ostream& out) {
  for (const auto& d : diags) {
    if (!d.file.empty()) {
      out << d.file;
      if (d.line > 0) out << ':' << d.line << ':' << d.column;
      out << ": ";
    }
    out << (d.level == Diagnostic::Level::error ? "error" : "warning");
    if (!d.code.empty()) out << '[' << d.code << ']';
    out << ": ";
    if (!d.path.empty()) out << d.path << ": ";
    out << d.message << '\n';
    if (!d.hint.empty()) out << "    " << d.hint << '\n';
  }
}

nlohmann::json diagnostics_json(const Diagnostics& diags) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : diags)
    out.push_back({{"level", d.level == Diagnostic::Level::error ? "error" : "warning"},
                   {"code", d.code},
                   {"file", d.file},
                   {"line", d.line},
                   {"column", d.column},
                   {"path", d.path},
                   {"message", d.message},
                   {"hint", d.hint}});
  return out;
}

}  // namespace cspm::app
