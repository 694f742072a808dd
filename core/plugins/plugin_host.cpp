// Plugin discovery, duplicate detection and type lookup.
#include "plugin_host.hpp"

#include <algorithm>
#include <cstdlib>

#include <boost/dll/runtime_symbol_info.hpp>

namespace cspm::core {

std::vector<std::string> PluginHost::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return {"plugin directory " + dir.string() + " does not exist"};
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("libcspm-", 0) == 0 && e.path().extension() == ".so") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // deterministic: the first of two duplicates wins
  std::vector<std::string> problems;
  for (const auto& f : files) {
    auto p = load_file(f);
    problems.insert(problems.end(), p.begin(), p.end());
  }
  return problems;
}

std::vector<std::string> PluginHost::load_file(const std::filesystem::path& path) {
  auto result = load_plugin_library(path);
  if (auto* message = std::get_if<std::string>(&result)) return {*message};
  auto lib = std::move(std::get<std::unique_ptr<PluginLibrary>>(result));
  std::vector<std::string> problems;
  for (const auto& factory : lib->factories) {
    if (const Entry* existing = find(factory->type())) {
      problems.push_back(path.string() + ": stage type \"" + std::string{factory->type()} +
                         "\" is already provided by " + existing->library->path.string() +
                         "; ignoring this one");
      continue;
    }
    entries_.push_back({factory.get(), lib.get()});
  }
  libraries_.push_back(std::move(lib));
  return problems;
}

const PluginHost::Entry* PluginHost::find(std::string_view type) const {
  for (const auto& e : entries_)
    if (e.factory->type() == type) return &e;
  return nullptr;
}

std::vector<std::string> PluginHost::type_names(const std::vector<StageKind>& kinds) const {
  std::vector<std::string> names;
  for (const auto& e : entries_)
    if (std::find(kinds.begin(), kinds.end(), e.factory->kind()) != kinds.end())
      names.emplace_back(e.factory->type());
  std::sort(names.begin(), names.end());
  return names;
}

std::filesystem::path default_plugin_dir(const std::filesystem::path& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* env = std::getenv("CSPM_PLUGIN_DIR"); env && *env) return env;
  const std::filesystem::path exe_dir = boost::dll::program_location().parent_path().string();
  std::error_code ec;
  if (std::filesystem::is_directory(exe_dir / "plugins", ec)) return exe_dir / "plugins";
  return exe_dir.parent_path() / CSPM_PLUGIN_INSTALL_DIR;
}

}  // namespace cspm::core
