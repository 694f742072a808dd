// Watches the pipelines directory with inotify and calls back once edits have settled.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

namespace cspm::core {

class PipelineWatch {
 public:
  /// `on_change` runs on the io_context, `debounce` after the last event of a burst (an
  /// editor's save is several events; a checkout is many files).
  PipelineWatch(boost::asio::io_context& io, std::filesystem::path directory, std::chrono::milliseconds debounce,
                std::function<void()> on_change);
  ~PipelineWatch();
  /// Empty if watching works; else why not (the daemon still reloads on SIGHUP).
  std::string start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cspm::core
