// `cspmd run`: one run of one pipeline, plan records on stdout, statistics on stderr.
#include <iomanip>
#include <iostream>

#include <boost/program_options.hpp>

#include "../config/pipeline_validator.hpp"
#include "../runtime/pipeline_runner.hpp"
#include "../store/sqlite_store.hpp"
#include "cli_support.hpp"

namespace cspm::app {
namespace {

namespace po = boost::program_options;

void print_report(const core::RunReport& r, const std::string& pipeline, Timestamp now,
                  bool dry_run, std::ostream& err) {
  err << pipeline << ": " << (r.ok ? "ok" : "FAILED") << " in " << std::fixed
      << std::setprecision(3) << r.seconds << " s (now " << format_timestamp(now)
      << (dry_run ? ", dry run" : "") << ")\n";
  if (!r.counters.empty()) {
    err << "  counts:";
    for (const auto& [name, value] : r.counters) err << ' ' << name << '=' << value;
    err << '\n';
  }
  std::size_t groups = 0, tickets = 0;
  err << "  stages:";
  for (const auto& s : r.stages) {
    err << ' ' << s.id << '=' << s.emitted;
    if (s.seconds >= 0.05) err << " (" << std::setprecision(2) << s.seconds << " s)";
    if (s.kind == StageKind::grouper) groups += s.emitted;
    if (s.kind == StageKind::renderer) tickets += s.emitted;
  }
  err << "\n  groups=" << groups << " tickets=" << tickets << '\n';
  if (!r.ok) err << "error: " << r.error << '\n';
}

}  // namespace

int run_command(int argc, char** argv) {
  po::options_description opts("cspmd run PIPELINE [options]");
  std::string pipeline, now_text, plugin_dir;
  std::vector<std::string> inputs, raw_params;
  ConfigArgs config_args;
  opts.add_options()
      ("help,h", "show this help")
      ("input,i", po::value(&inputs)->multitoken(), "read findings from these files with the pipeline's one source (\"-\" = stdin)")
      ("now", po::value(&now_text), "the run's \"now\" (ISO 8601), for windows like \"24h\"; default: the clock")
      ("dry-run", "only print what would be done (plan records); no tracker is touched")
      ("param,p", po::value(&raw_params)->multitoken(), "override a [params] value: NAME=VALUE (lists comma separated)")
      ("plugin-dir", po::value(&plugin_dir), "directory of plugin libraries");
  add_config_options(opts, config_args);
  po::options_description hidden;
  hidden.add_options()("pipeline", po::value(&pipeline));
  po::positional_options_description positional;
  positional.add("pipeline", 1);
  po::variables_map vm;
  if (auto stop = parse_options(argc, argv, "run", opts, hidden, positional, vm)) return *stop;
  if (pipeline.empty()) {
    std::cerr << "cspmd run: which pipeline? (a .toml file)\n" << opts;
    return kExitUsage;
  }
  Timestamp now = 0;
  if (!parse_now(now_text, "run", now)) return kExitUsage;
  core::LoadOptions load;
  if (std::string error; !parse_params(raw_params, load.params, error)) {
    std::cerr << "cspmd run: " << error << '\n';
    return kExitUsage;
  }
  for (const auto& in : inputs)
    load.inputs.push_back(in == "-" ? in : std::filesystem::absolute(in).string());

  const auto config = resolve_config(config_args, std::cerr);
  if (!config) return kExitConfig;
  core::PluginHost plugins;
  load_plugins(plugins, plugin_dir.empty() ? config->plugin_dir : core::default_plugin_dir(plugin_dir),
               std::cerr);
  auto validation = core::validate_pipeline(pipeline, plugins, load);
  print_diagnostics(validation.diagnostics, std::cerr);
  if (!validation.pipeline) return kExitConfig;
  const std::string id = validation.pipeline->spec.id;
  auto created = core::PipelineRunner::create(std::move(validation.pipeline));
  if (auto* diags = std::get_if<Diagnostics>(&created)) {
    print_diagnostics(*diags, std::cerr);
    return kExitConfig;
  }
  auto& runner = *std::get<std::unique_ptr<core::PipelineRunner>>(created);
  core::RunSettings settings;
  settings.now = now ? now : system_now();
  settings.dry_run = vm.count("dry-run") > 0;
  // Runs are recorded in the store (and store sources read it). A dry run over --input
  // files needs nothing from it, so an unusable store only costs the record there.
  std::unique_ptr<store::SqliteStore> db;
  try {
    db = std::make_unique<store::SqliteStore>(config->data_dir);
    settings.store = db.get();
  } catch (const std::exception& e) {
    if (!(settings.dry_run && !inputs.empty())) {
      std::cerr << "cspmd run: " << e.what() << '\n';
      return kExitFailure;
    }
    std::cerr << "warning: " << e.what() << "; this dry run is not recorded\n";
  }
  // The day's findings (about 100 MB) are left to the process's exit, which returns them to
  // the kernel at once: freeing them piece by piece adds 25 ms to a 0.75 s run.
  static auto* const left_to_exit = new std::vector<std::shared_ptr<const void>>;
  settings.storage_after_run = left_to_exit;
  const core::RunReport report = runner.run(settings);
  std::cout.flush();
  print_report(report, id, settings.now, settings.dry_run, std::cerr);
  return report.ok ? kExitOk : kExitFailure;
}

}  // namespace cspm::app
