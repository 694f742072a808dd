// Daemon settings: defaults that work from a build tree, a TOML file that overrides them.
#include "daemon_config.hpp"

#include <cstdlib>
#include <fstream>

#include <toml++/toml.h>

#include <cspm/time.hpp>

#include "../plugins/plugin_host.hpp"

namespace cspm::core {
namespace {

namespace fs = std::filesystem;

fs::path exe_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

// The source tree a build directory was configured from (CMakeCache.txt says).
fs::path source_dir_of_build(const fs::path& build) {
  std::ifstream cache(build / "CMakeCache.txt");
  std::string line;
  const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
  while (std::getline(cache, line))
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  return {};
}

// $CSPM_DATA_DIR beats the file (and --data-dir beats both): handy for tests and one-offs.
void apply_environment(DaemonConfig& c) {
  if (const char* dir = std::getenv("CSPM_DATA_DIR"); dir && *dir) c.data_dir = fs::absolute(dir);
}

}  // namespace

DaemonConfig default_daemon_config() {
  DaemonConfig c;
  c.plugin_dir = default_plugin_dir({});
  const fs::path exe = exe_dir();
  std::error_code ec;
  if (fs::exists(exe / "CMakeCache.txt", ec)) {
    c.data_dir = exe / "data";
    const fs::path source = source_dir_of_build(exe);
    c.pipelines_dir = source.empty() ? exe / "pipelines" : source / "pipelines";
    return c;
  }
  const char* state = std::getenv("STATE_DIRECTORY");
  c.data_dir = state && *state ? fs::path{state} : fs::path{"/var/lib/cspm-notify"};
  c.pipelines_dir = "/etc/cspm-notify/pipelines";
  return c;
}

std::variant<DaemonConfig, Diagnostics> load_daemon_config(const fs::path& explicit_path) {
  DaemonConfig c = default_daemon_config();
  fs::path path = explicit_path;
  if (path.empty()) {
    std::error_code ec;
    if (const char* env = std::getenv("CSPM_CONFIG"); env && *env) path = env;
    else if (fs::exists("/etc/cspm-notify/cspmd.toml", ec)) path = "/etc/cspm-notify/cspmd.toml";
    else {
      apply_environment(c);
      return c;
    }
  }
  Diagnostics diags;
  const auto error = [&](std::string code, std::string key, const toml::source_region& at,
                         std::string message, std::string hint = {}) {
    Diagnostic d = make_error(std::move(code), std::move(key), std::move(message), std::move(hint));
    d.file = path.string();
    d.line = static_cast<int>(at.begin.line);
    d.column = static_cast<int>(at.begin.column);
    diags.push_back(std::move(d));
  };
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    error("E001", "", e.source(), std::string{e.description()});
    if (!fs::exists(path)) diags.back().message = "cannot read the file";
    return diags;
  }
  c.file = path;
  const fs::path base = fs::absolute(path).parent_path();
  const std::vector<std::string> keys{"data_dir", "plugin_dir", "pipelines_dir", "store", "serve"};
  for (const auto& [key, node] : root) {
    const std::string k{key.str()};
    const auto dir = [&](fs::path& into) {
      if (const auto* s = node.as_string()) into = base / fs::path{s->get()};
      else error("E007", k, node.source(), "expected a directory path (a string)");
    };
    if (k == "data_dir") dir(c.data_dir);
    else if (k == "plugin_dir") dir(c.plugin_dir);
    else if (k == "pipelines_dir") dir(c.pipelines_dir);
    else if (k == "store" && node.is_table()) {
      for (const auto& [skey, snode] : *node.as_table()) {
        const std::string sk = "store." + std::string{skey.str()};
        if (skey.str() != "retention") {
          error("E006", sk, skey.source(), "unknown setting", suggest(std::string{skey.str()}, {"retention"}));
          continue;
        }
        const auto* s = snode.as_string();
        const auto d = s ? parse_duration(s->get()) : std::nullopt;
        if (!d) error("E007", sk, snode.source(), "expected a duration like \"30d\" (\"0s\" keeps everything)");
        else c.retention = *d;
      }
    } else if (k == "store") {
      error("E007", k, node.source(), "[store] must be a table");
    } else if (k == "serve" && node.is_table()) {
      read_serve_settings(*node.as_table(), base, c.serve, error);
    } else if (k == "serve") {
      error("E007", k, node.source(), "[serve] must be a table");
    } else {
      const std::string hint = suggest(k, keys);
      error("E006", k, key.source(), "unknown setting", hint.empty() ? "Settings: " + join(keys) : hint);
    }
  }
  if (!diags.empty()) return diags;
  apply_environment(c);
  return c;
}

}  // namespace cspm::core
