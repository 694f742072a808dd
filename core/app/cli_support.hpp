// What the cspmd subcommands share: exit codes, plugin loading, diagnostics output.
#pragma once
#include <filesystem>
#include <optional>
#include <utility>
#include <ostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <cspm/diagnostics.hpp>

#include "../config/daemon_config.hpp"
#include "../plugins/plugin_host.hpp"

namespace cspm::app {

/// Exit codes (sysexits.h where one fits).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,   ///< a run failed
  kExitUsage = 2,     ///< bad command line
  kExitConfig = 78,   ///< EX_CONFIG: invalid pipeline or daemon configuration
};

/// Parses a subcommand's command line into `vm`. Returns an exit code when the command
/// should stop here (--help: 0, a usage error: 2, after printing the usage), else nothing.
std::optional<int> parse_options(int argc, char** argv, const char* command,
                                 const boost::program_options::options_description& visible,
                                 const boost::program_options::options_description& hidden,
                                 const boost::program_options::positional_options_description& positional,
                                 boost::program_options::variables_map& vm);

/// Splits --param NAME=VALUE arguments; false (with `error` set) when one has no "=".
bool parse_params(const std::vector<std::string>& raw,
                  std::vector<std::pair<std::string, std::string>>& out, std::string& error);

/// Loads the plugin directory and reports refused libraries on `err`.
void load_plugins(core::PluginHost& host, const std::filesystem::path& dir, std::ostream& err);

/// "file:line:col: error[E006]: path: message" plus an indented hint line.
void print_diagnostics(const Diagnostics& diags, std::ostream& out);

nlohmann::json diagnostics_json(const Diagnostics& diags);

/// -c/--config and --data-dir, which every subcommand that touches the store accepts.
struct ConfigArgs {
  std::string config;
  std::string data_dir;
};
void add_config_options(boost::program_options::options_description& opts, ConfigArgs& args);
/// The daemon configuration with --data-dir applied; nullopt after printing why not.
std::optional<core::DaemonConfig> resolve_config(const ConfigArgs& args, std::ostream& err);

/// --now: sets `now` from `text` (ISO 8601 with a zone) unless `text` is empty. False, after
/// saying why on stderr, when it is not such a time.
bool parse_now(const std::string& text, const char* command, Timestamp& now);

int run_command(int argc, char** argv);
int ingest_command(int argc, char** argv);
int query_command(int argc, char** argv);
int validate_command(int argc, char** argv);
int plugins_command(int argc, char** argv);
int serve_command(int argc, char** argv);
int trigger_command(int argc, char** argv);

}  // namespace cspm::app
