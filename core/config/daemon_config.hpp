// cspmd.toml: where the daemon keeps its store, plugins and pipelines (and, later, more).
#pragma once
#include <chrono>
#include <filesystem>
#include <string>
#include <variant>

#include <cspm/diagnostics.hpp>

#include "serve_settings.hpp"

namespace cspm::core {

struct DaemonConfig {
  std::filesystem::path file;           ///< the cspmd.toml read; empty: built-in defaults
  std::filesystem::path data_dir;       ///< the store (cspm.db) lives here
  std::filesystem::path plugin_dir;
  std::filesystem::path pipelines_dir;
  std::chrono::milliseconds retention{30LL * 24 * 3600 * 1000};  ///< of observations
  ServeSettings serve;                  ///< [serve]: `cspmd serve` only
};

/// Built-in defaults. From a build tree (cspmd next to CMakeCache.txt): data in
/// <build>/data, pipelines from the source tree. Installed: $STATE_DIRECTORY (systemd's
/// StateDirectory=) else /var/lib/cspm-notify, and /etc/cspm-notify/pipelines.
DaemonConfig default_daemon_config();

/// Reads `path`; or, when empty, $CSPM_CONFIG, else /etc/cspm-notify/cspmd.toml if it exists,
/// else the defaults; then $CSPM_DATA_DIR, if set, replaces the data directory. Relative
/// paths in the file are relative to the file. All problems are reported together, with
/// file:line:col.
std::variant<DaemonConfig, Diagnostics> load_daemon_config(const std::filesystem::path& path);

}  // namespace cspm::core
