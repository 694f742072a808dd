// `cspmd plugins`: every stage type with its kind, options and the library it came from.
#include <iostream>

#include <boost/program_options.hpp>

#include "cli_support.hpp"

namespace cspm::app {
namespace {

namespace po = boost::program_options;

nlohmann::json describe(const core::PluginHost::Entry& e) {
  const Factory& f = *e.factory;
  nlohmann::json options = nlohmann::json::array();
  for (const auto& o : f.schema()) {
    nlohmann::json j{{"name", o.name}, {"type", option_type_name(o.type)}, {"required", o.required},
                     {"default", o.default_value}, {"help", o.help}};
    if (!o.choices.empty()) j["choices"] = o.choices;
    options.push_back(std::move(j));
  }
  const Ports p = f.ports();
  return {{"type", f.type()},
          {"kind", stage_kind_name(f.kind())},
          {"description", f.description()},
          {"accepts", p.accepts ? data_types_name(p.accepts) : ""},
          {"emits", p.passthrough ? "same as input" : p.emits ? data_types_name(p.emits) : ""},
          {"library", e.library->path.string()},
          {"library_name", e.library->name},
          {"library_version", e.library->version},
          {"options", options}};
}

}  // namespace

int plugins_command(int argc, char** argv) {
  po::options_description opts("cspmd plugins [options]");
  std::string plugin_dir;
  opts.add_options()("help,h", "show this help")("json", "machine-readable output")(
      "plugin-dir", po::value(&plugin_dir), "directory of plugin libraries");
  po::variables_map vm;
  if (auto stop = parse_options(argc, argv, "plugins", opts, {}, {}, vm)) return *stop;
  core::PluginHost host;
  const auto dir = core::default_plugin_dir(plugin_dir);
  const auto problems = host.load_directory(dir);
  if (vm.count("json")) {
    nlohmann::json out{{"plugin_dir", dir.string()}, {"types", nlohmann::json::array()},
                       {"refused", problems}};
    for (const auto& e : host.entries()) out["types"].push_back(describe(e));
    std::cout << out.dump(2) << '\n';
  } else {
    std::cout << "plugin directory: " << dir.string() << "\n";
    for (const auto& e : host.entries()) {
      const nlohmann::json d = describe(e);
      std::cout << "\n" << d["type"].get<std::string>() << " (" << d["kind"].get<std::string>()
                << ") - " << d["description"].get<std::string>() << "\n  library: "
                << d["library"].get<std::string>() << " (" << e.library->name << " "
                << e.library->version << ")\n";
      for (const auto& o : d["options"]) {
        std::cout << "  " << o["name"].get<std::string>() << " (" << o["type"].get<std::string>()
                  << (o["required"].get<bool>() ? ", required" : "");
        if (!o["default"].is_null()) std::cout << ", default " << o["default"].dump();
        std::cout << "): " << o["help"].get<std::string>() << '\n';
      }
    }
    for (const auto& p : problems) std::cout << "\nrefused: " << p << '\n';
  }
  return problems.empty() ? kExitOk : kExitConfig;
}

}  // namespace cspm::app
