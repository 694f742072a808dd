// Shared CLI plumbing: plugin loading and diagnostic formatting.
#include "cli_support.hpp"

#include <iostream>

namespace cspm::app {

namespace po = boost::program_options;

std::optional<int> parse_options(int argc, char** argv, const char* command,
                                 const po::options_description& visible,
                                 const po::options_description& hidden,
                                 const po::positional_options_description& positional,
                                 po::variables_map& vm) {
  po::options_description all;
  all.add(visible).add(hidden);
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "cspmd " << command << ": " << e.what() << "\n" << visible;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << visible;
    return kExitOk;
  }
  return std::nullopt;
}

bool parse_params(const std::vector<std::string>& raw,
                  std::vector<std::pair<std::string, std::string>>& out, std::string& error) {
  for (const auto& p : raw) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--param takes NAME=VALUE, got \"" + p + "\"";
      return false;
    }
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return true;
}

void load_plugins(core::PluginHost& host, const std::filesystem::path& dir, std::ostream& err) {
  for (const auto& problem : host.load_directory(dir)) err << "warning: plugin refused: " << problem << '\n';
}

void print_diagnostics(const Diagnostics& diags, std::ostream& out) {
  for (const auto& d : diags) {
    out << format_diagnostic(d) << '\n';
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

namespace cspm::app {

void add_config_options(boost::program_options::options_description& opts, ConfigArgs& args) {
  opts.add_options()
      ("config,c", boost::program_options::value(&args.config),
       "daemon configuration (cspmd.toml); default $CSPM_CONFIG, else /etc/cspm-notify/cspmd.toml if present")
      ("data-dir", boost::program_options::value(&args.data_dir),
       "the store's directory, overriding the configuration (several stores can coexist)");
}

bool parse_now(const std::string& text, const char* command, Timestamp& now) {
  if (text.empty()) return true;
  const auto parsed = parse_timestamp(text);
  if (!parsed) {
    std::cerr << "cspmd " << command << ": --now \"" << text << "\" is not an ISO 8601 time with a zone\n";
    return false;
  }
  now = *parsed;
  return true;
}

std::optional<core::DaemonConfig> resolve_config(const ConfigArgs& args, std::ostream& err) {
  auto loaded = core::load_daemon_config(args.config);
  if (auto* diags = std::get_if<Diagnostics>(&loaded)) {
    print_diagnostics(*diags, err);
    return std::nullopt;
  }
  auto config = std::get<core::DaemonConfig>(std::move(loaded));
  if (!args.data_dir.empty()) config.data_dir = std::filesystem::absolute(args.data_dir);
  return config;
}

}  // namespace cspm::app
