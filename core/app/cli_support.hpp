// What the cspmd subcommands share: exit codes, plugin loading, diagnostics output.
#pragma once
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <cspm/diagnostics.hpp>

#include "../plugins/plugin_host.hpp"

namespace cspm::app {

/// Exit codes (sysexits.h where one fits).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,   ///< a run failed
  kExitUsage = 2,     ///< bad command line
  kExitConfig = 78,   ///< EX_CONFIG: invalid pipeline or daemon configuration
};

/// Loads the plugin directory and reports refused libraries on `err`.
void load_plugins(core::PluginHost& host, const std::filesystem::path& dir, std::ostream& err);

/// "file:line:col: error[E006]: path: message" plus an indented hint line.
void print_diagnostics(const Diagnostics& diags, std::ostream& out);

nlohmann::json diagnostics_json(const Diagnostics& diags);

int run_command(int argc, char** argv);
int validate_command(int argc, char** argv);
int plugins_command(int argc, char** argv);

}  // namespace cspm::app
