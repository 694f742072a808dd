// Boost.DLL loading with Kea-style exact ABI checks; nothing thrown escapes registration.
#include "plugin_library.hpp"


#include <cspm/abi.hpp>
#include <cspm/registrar.hpp>

namespace cspm::core {
namespace {

class CollectingRegistrar final : public Registrar {
 public:
  explicit CollectingRegistrar(std::vector<std::unique_ptr<Factory>>& out) : out_(out) {}
  void add(std::unique_ptr<Factory> factory) override {
    if (factory) out_.push_back(std::move(factory));
  }

 private:
  std::vector<std::unique_ptr<Factory>>& out_;
};

}  // namespace

std::variant<std::unique_ptr<PluginLibrary>, std::string> load_plugin_library(
    const std::filesystem::path& path) {
  namespace dll = boost::dll;
  const std::string where = path.string();
  auto lib = std::make_shared<dll::shared_library>();
  std::error_code ec;  // BOOST_DLL_USE_STD_FS: Boost.DLL speaks std::filesystem
  // RTLD_NOW: an unresolved symbol fails here, not in the middle of a run (as Kea does).
  lib->load(path, dll::load_mode::rtld_now | dll::load_mode::rtld_local, ec);
  if (ec) return where + ": cannot load: " + ec.message();
  if (!lib->has("cspm_abi_v1"))
    return where + ": not a cspm plugin (no cspm_abi_v1 symbol; was it built with CSPM_PLUGIN?)";
  const AbiInfo& info = lib->get_alias<const AbiInfo>("cspm_abi_v1");
  if (info.abi_version != kAbiVersion)
    return where + ": built for plugin ABI " + std::to_string(info.abi_version) +
           ", cspmd provides ABI " + std::to_string(kAbiVersion) +
           "; rebuild the plugin against this SDK";
  const std::string_view theirs = info.fingerprint ? info.fingerprint : "";
  if (theirs != CSPM_BUILD_FINGERPRINT)
    return where + ": built with an incompatible toolchain or SDK (plugin: \"" +
           std::string{theirs} + "\", cspmd: \"" CSPM_BUILD_FINGERPRINT "\")";
  if (!lib->has("cspm_register_v1")) return where + ": no cspm_register_v1 symbol";

  auto loaded = std::make_unique<PluginLibrary>();
  loaded->path = path;
  loaded->name = info.library ? info.library : path.stem().string();
  loaded->version = info.version ? info.version : "";
  CollectingRegistrar registrar{loaded->factories};
  try {
    lib->get_alias<RegisterFn>("cspm_register_v1")(registrar);
  } catch (const std::exception& e) {
    loaded->factories.clear();
    return where + ": registration failed: " + e.what();
  } catch (...) {
    loaded->factories.clear();
    return where + ": registration failed with an unknown exception";
  }
  if (loaded->factories.empty()) return where + ": registered no stage types";
  loaded->library = std::move(lib);
  return loaded;
}

}  // namespace cspm::core
