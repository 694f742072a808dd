// `cspmd run`: one run of one pipeline, plan records on stdout, statistics on stderr.
#include <iomanip>
#include <iostream>

#include <boost/program_options.hpp>

#include "../config/pipeline_validator.hpp"
#include "../runtime/pipeline_runner.hpp"
#include "cli_support.hpp"

namespace cspm::app {
namespace {

namespace po = boost::program_options;

std::vector<std::pair<std::string, std::string>> parse_params(const std::vector<std::string>& raw,
                                                              std::string& error) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : raw) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "--param takes NAME=VALUE, got \"" + p + "\"";
      return {};
    }
    out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return out;
}

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
  opts.add_options()
      ("help,h", "show this help")
      ("input,i", po::value(&inputs)->multitoken(), "read findings from these files instead of the pipeline's sources (\"-\" = stdin)")
      ("now", po::value(&now_text), "the run's \"now\" (ISO 8601), for windows like \"24h\"; default: the clock")
      ("dry-run", "only print what would be done (plan records); no tracker is touched")
      ("param,p", po::value(&raw_params)->multitoken(), "override a [params] value: NAME=VALUE (lists comma separated)")
      ("plugin-dir", po::value(&plugin_dir), "directory of plugin libraries");
  po::options_description hidden;
  hidden.add_options()("pipeline", po::value(&pipeline));
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("pipeline", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "cspmd run: " << e.what() << "\n" << opts;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return kExitOk;
  }
  if (pipeline.empty()) {
    std::cerr << "cspmd run: which pipeline? (a .toml file)\n" << opts;
    return kExitUsage;
  }
  Timestamp now = 0;
  if (!now_text.empty()) {
    const auto parsed = parse_timestamp(now_text);
    if (!parsed) {
      std::cerr << "cspmd run: --now \"" << now_text << "\" is not an ISO 8601 time with a zone\n";
      return kExitUsage;
    }
    now = *parsed;
  }
  core::LoadOptions load;
  std::string error;
  load.params = parse_params(raw_params, error);
  if (!error.empty()) {
    std::cerr << "cspmd run: " << error << '\n';
    return kExitUsage;
  }
  for (const auto& in : inputs)
    load.inputs.push_back(in == "-" ? in : std::filesystem::absolute(in).string());

  core::PluginHost plugins;
  load_plugins(plugins, core::default_plugin_dir(plugin_dir), std::cerr);
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
  const core::RunReport report = runner.run(settings);
  std::cout.flush();
  print_report(report, id, settings.now, settings.dry_run, std::cerr);
  return report.ok ? kExitOk : kExitFailure;
}

}  // namespace cspm::app
