// All loaded plugin libraries and the stage types they provide, looked up by name.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <cspm/factory.hpp>

#include "plugin_library.hpp"

namespace cspm::core {

/// Owns the libraries for the life of the process (they are never unloaded: stages and
/// factories are code inside them). Load from one thread, before running pipelines.
class PluginHost {
 public:
  struct Entry {
    const Factory* factory;
    const PluginLibrary* library;
  };

  /// Loads every libcspm-*.so in `dir`. Returns the problems (bad ABI, duplicates…); the
  /// libraries that loaded stay usable.
  std::vector<std::string> load_directory(const std::filesystem::path& dir);
  /// Loads one library file.
  std::vector<std::string> load_file(const std::filesystem::path& path);

  /// The stage type called `type`, or nullptr.
  const Entry* find(std::string_view type) const;
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  /// Type names of the given kinds (for "did you mean" and "available types").
  std::vector<std::string> type_names(const std::vector<StageKind>& kinds) const;
  const std::vector<std::unique_ptr<PluginLibrary>>& libraries() const { return libraries_; }

 private:
  std::vector<std::unique_ptr<PluginLibrary>> libraries_;
  std::vector<Entry> entries_;
};

/// The plugin directory: `explicit_dir` if set, else $CSPM_PLUGIN_DIR, else `plugins/` next
/// to the executable (build tree), else ../lib/cspm-notify/plugins relative to it (install).
std::filesystem::path default_plugin_dir(const std::filesystem::path& explicit_dir = {});

}  // namespace cspm::core
