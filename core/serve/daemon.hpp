// `cspmd serve`: one io_context wiring the HTTP listener, the scheduler, pipeline reloads,
// signals and systemd notifications; pipeline runs go to a worker pool.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "../config/daemon_config.hpp"
#include "../plugins/plugin_host.hpp"
#include "../schedule/scheduler.hpp"
#include "api_routes.hpp"
#include "batch_writer.hpp"
#include "http_listener.hpp"
#include "logger.hpp"
#include "metrics.hpp"
#include "pipeline_set.hpp"
#include "pipeline_watch.hpp"
#include "systemd_notify.hpp"

namespace cspm::core {

class Daemon final : public DaemonControl {
 public:
  Daemon(DaemonConfig config, Logger& log);
  ~Daemon() override;

  /// Serves until SIGTERM or SIGINT (SIGHUP reloads the pipelines). Returns the exit code:
  /// 0 after a clean stop, 78 for unusable settings (a secret that cannot be read), 1 if it
  /// cannot start (port taken, store unusable).
  int run();

  nlohmann::json pipelines() const override;
  std::optional<nlohmann::json> pipeline(const std::string& id, std::size_t runs) const override;
  Trigger trigger(const std::string& id) override;
  std::string not_ready() const override;

 private:
  bool resolve_secrets(std::vector<std::string>& firehose, std::vector<std::string>& ingest, std::vector<std::string>& api);
  std::shared_ptr<boost::asio::ssl::context> make_tls_context();
  void reload(const std::string& why);
  void schedule(const LoadedPipeline& p, SysSeconds now);
  void arm_timer();
  void start_due();
  void launch(const Scheduler::Due& due);
  void finished(const std::string& id, Scheduler::Reason reason, const RunReport& report);
  void stop(const std::string& why);
  void finish_stop();
  void wait_for_connections(std::chrono::steady_clock::time_point until);
  void ping_watchdog(std::chrono::microseconds every);
  void prune();
  std::optional<SysSeconds> last_run(const std::string& id) const;
  nlohmann::json describe(const LoadedPipeline& p) const;

  DaemonConfig config_;
  Logger& log_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_{io_};
  boost::asio::steady_timer wakeup_{io_}, watchdog_{io_}, prune_timer_{io_}, deadline_{io_};
  boost::asio::thread_pool runs_;
  PluginHost plugins_;
  std::unique_ptr<PipelineSet> pipelines_;
  std::unique_ptr<PipelineWatch> watch_;
  std::unique_ptr<HttpListener> listener_;
  Metrics metrics_;
  SystemdNotifier notifier_;
  mutable std::mutex scheduler_mutex_;  // the API reads and triggers from HTTP workers
  Scheduler scheduler_;
  std::size_t active_runs_ = 0;         // io thread only
  std::atomic<bool> ready_{false}, stopping_{false};
  std::shared_ptr<BatchWriter> writer_;  // after metrics_ and log_: its last fold reports to them
};

}  // namespace cspm::core
