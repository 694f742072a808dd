// Loads one plugin .so with Boost.DLL and checks its ABI before trusting anything in it.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include <cspm/factory.hpp>

namespace cspm::core {

/// A loaded library and the factories it registered. `library` is declared first so that it
/// is destroyed last: factory code lives in it. The PluginHost that owns these outlives every
/// stage created from them, so a library is unloaded only when cspmd is done with plugins.
struct PluginLibrary {
  std::shared_ptr<boost::dll::shared_library> library;
  std::filesystem::path path;
  std::string name;
  std::string version;
  std::vector<std::unique_ptr<Factory>> factories;
};

/// Loads `path`, checks cspm_abi_v1 against this build's kAbiVersion and fingerprint, then
/// calls cspm_register_v1. On failure returns a message naming the file and the reason.
std::variant<std::unique_ptr<PluginLibrary>, std::string> load_plugin_library(
    const std::filesystem::path& path);

}  // namespace cspm::core
