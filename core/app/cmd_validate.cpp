// `cspmd validate`: every problem of every pipeline file, then exit 0 or 78.
#include <algorithm>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "../config/pipeline_validator.hpp"
#include "../runtime/pipeline_runner.hpp"
#include "cli_support.hpp"

namespace cspm::app {
namespace {

namespace po = boost::program_options;

std::vector<std::filesystem::path> pipeline_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int validate_command(int argc, char** argv) {
  po::options_description opts("cspmd validate [PIPELINE.toml…] [options]");
  std::vector<std::string> files, raw_params;
  std::string format = "text", plugin_dir, pipelines_dir = "pipelines";
  opts.add_options()
      ("help,h", "show this help")
      ("pipelines-dir", po::value(&pipelines_dir), "check every *.toml here when no file is named (default: pipelines)")
      ("format", po::value(&format), "text | json")
      ("param,p", po::value(&raw_params)->multitoken(), "NAME=VALUE overrides, as for run")
      ("no-environment", "skip the checks that build stages (reading owners files and such)")
      ("deny-warnings", "fail on warnings too")
      ("plugin-dir", po::value(&plugin_dir), "directory of plugin libraries");
  ConfigArgs config_args;
  add_config_options(opts, config_args);
  po::options_description hidden;
  hidden.add_options()("file", po::value(&files));
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map vm;
  if (auto stop = parse_options(argc, argv, "validate", opts, hidden, positional, vm)) return *stop;
  if (format != "text" && format != "json") {
    std::cerr << "cspmd validate: --format is text or json\n";
    return kExitUsage;
  }
  core::LoadOptions load;
  if (std::string error; !parse_params(raw_params, load.params, error)) {
    std::cerr << "cspmd validate: " << error << '\n';
    return kExitUsage;
  }
  // With -c, the daemon's settings are checked too, and its pipelines and plugins are the
  // default (what `cspmd serve -c` would load).
  if (!config_args.config.empty()) {
    const auto config = resolve_config(config_args, std::cerr);
    if (!config) return kExitConfig;
    if (!vm.count("pipelines-dir")) pipelines_dir = config->pipelines_dir.string();
    if (plugin_dir.empty()) plugin_dir = config->plugin_dir.string();
  }
  std::vector<std::filesystem::path> paths(files.begin(), files.end());
  if (paths.empty()) paths = pipeline_files(pipelines_dir);
  if (paths.empty()) {
    std::cerr << "cspmd validate: no pipeline files (name some, or see --pipelines-dir)\n";
    return kExitUsage;
  }

  core::PluginHost plugins;
  std::ostringstream plugin_problems;
  load_plugins(plugins, core::default_plugin_dir(plugin_dir), plugin_problems);
  bool failed = false;
  nlohmann::json report = nlohmann::json::array();
  for (const auto& path : paths) {
    auto v = core::validate_pipeline(path, plugins, load);
    std::string id = path.stem().string();
    if (v.pipeline && !vm.count("no-environment")) {
      id = v.pipeline->spec.id;
      auto created = core::PipelineRunner::create(std::move(v.pipeline));
      if (auto* diags = std::get_if<Diagnostics>(&created))
        v.diagnostics.insert(v.diagnostics.end(), diags->begin(), diags->end());
    }
    const bool warnings = std::any_of(v.diagnostics.begin(), v.diagnostics.end(), [](const auto& d) {
      return d.level == Diagnostic::Level::warning;
    });
    const bool bad = has_errors(v.diagnostics) || (warnings && vm.count("deny-warnings"));
    failed = failed || bad;
    if (format == "json") {
      report.push_back({{"file", path.string()}, {"pipeline", id}, {"ok", !bad},
                        {"diagnostics", diagnostics_json(v.diagnostics)}});
    } else {
      print_diagnostics(v.diagnostics, std::cout);
      std::cout << (bad ? "x " : "ok ") << path.string() << '\n';
    }
  }
  if (format == "json") std::cout << report.dump(2) << '\n';
  std::cerr << plugin_problems.str();
  return failed ? kExitConfig : kExitOk;
}

}  // namespace cspm::app
