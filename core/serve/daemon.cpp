// The daemon's life: start (plugins, store, secrets, pipelines, listener), the schedule
// loop, reloads, runs on the worker pool, and a stop that lets runs end their current call.
#include "daemon.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <boost/asio/post.hpp>

#include <cspm/secret.hpp>

#include "../store/sqlite_store.hpp"
#include "batch_ingest.hpp"
#include "ingest_routes.hpp"

namespace cspm::core {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono;

SysSeconds wall_now() { return floor<seconds>(system_clock::now()); }
std::string iso(SysSeconds t) { return format_timestamp(duration_cast<milliseconds>(t.time_since_epoch()).count()); }

const char* reason_name(Scheduler::Reason r) {
  switch (r) {
    case Scheduler::Reason::schedule: return "schedule";
    case Scheduler::Reason::catch_up: return "catch_up";
    case Scheduler::Reason::manual: return "manual";
  }
  return "?";
}

}  // namespace

Daemon::Daemon(DaemonConfig config, Logger& log)
    : config_(std::move(config)), log_(log), runs_(config_.serve.run_workers) {}

Daemon::~Daemon() {
  stopping_ = true;
  runs_.join();
}

bool Daemon::resolve_secrets(std::vector<std::string>& firehose, std::vector<std::string>& ingest,
                             std::vector<std::string>& api) {
  const auto base = config_.file.empty() ? std::filesystem::current_path() : std::filesystem::absolute(config_.file).parent_path();
  bool ok = true;
  const auto resolve = [&](const std::vector<json>& refs, std::vector<std::string>& out, const char* what) {
    for (const auto& ref : refs) {
      std::string value;
      if (const Status s = resolve_secret(ref, base, value); !s.ok()) {
        log_.error(std::string{"[serve] "} + what + ": " + s.message());
        ok = false;
      } else {
        out.push_back(std::move(value));
      }
    }
  };
  resolve(config_.serve.firehose_access_keys, firehose, "firehose_access_keys");
  resolve(config_.serve.ingest_tokens, ingest, "ingest_tokens");
  resolve(config_.serve.api_tokens, api, "api_tokens");
  return ok;
}

int Daemon::run() {
  const ServeSettings& s = config_.serve;
  for (const auto& problem : plugins_.load_directory(config_.plugin_dir)) log_.warning("plugin refused: " + problem);
  try {
    store::SqliteStore store(config_.data_dir);  // creates or migrates the schema before any worker opens it
  } catch (const std::exception& e) {
    log_.error(std::string{"store: "} + e.what());
    return 1;
  }
  sweep_spool(config_.data_dir);
  std::vector<std::string> firehose_keys, ingest_tokens, api_tokens;
  if (!resolve_secrets(firehose_keys, ingest_tokens, api_tokens)) return 78;
  if (firehose_keys.empty()) log_.warning("no [serve] firehose_access_keys: POST /firehose refuses every request");

  pipelines_ = std::make_unique<PipelineSet>(plugins_, config_.pipelines_dir);
  reload("start");

  IngestRoutesOptions ingest;
  ingest.data_dir = config_.data_dir;
  ingest.firehose_keys = std::move(firehose_keys);
  ingest.bearer_tokens = std::move(ingest_tokens);
  ingest.max_body_bytes = s.max_body_bytes;
  ingest.health_problems = [this] {
    std::vector<std::string> out;
    for (const auto& p : pipelines_->problems()) out.insert(out.end(), p.errors.begin(), p.errors.end());
    return out;
  };
  ingest.log = [this](std::string_view level, const std::string& m) {
    log_.log(level == "error" ? LogLevel::error : LogLevel::warning, m);
  };
  ListenerOptions lo;
  lo.address = s.address;
  lo.port = s.port;
  lo.max_body_bytes = s.max_body_bytes;
  lo.max_connections = s.max_connections;
  lo.request_timeout = s.request_timeout;
  lo.workers = s.http_workers;
  lo.reject = make_ingest_rejecter(metrics_);
  lo.admit = make_ingest_admitter(ingest, metrics_);
  if (!s.tls_certificate.empty()) {
    lo.tls = make_tls_context();
    if (!lo.tls) return 78;
  }
  auto api = make_api_routes(*this, std::move(api_tokens));
  try {
    BatchWriterOptions wo;
    wo.fold_delay = s.ingest_fold_delay;
    ingest.writer = writer_ = make_ingest_writer(ingest, metrics_, std::move(wo));
  } catch (const std::exception& e) {  // no thread for the writer
    log_.error(std::string{"cannot start the store's writer: "} + e.what());
    return 1;
  }
  auto routes = make_ingest_routes(ingest, metrics_);
  lo.quick = [api, routes](const HttpRequestMessage& req) -> std::optional<HttpResponseMessage> {
    const auto path = req.target().substr(0, req.target().find('?'));
    if (path == "/readyz" || path == "/api/pipelines") return api(req);
    if (path == "/healthz" || path == "/metrics") return routes(req);
    return std::nullopt;  // ingests, and /api/pipelines/{id} (it reads the store)
  };
  try {
    listener_ = std::make_unique<HttpListener>(io_, lo, [api, routes](const HttpRequestMessage& req) {
      if (auto r = api(req)) return std::move(*r);
      return routes(req);
    });
  } catch (const std::exception& e) {
    log_.error("cannot listen on " + s.address + ":" + std::to_string(s.port) + ": " + e.what());
    return 1;
  }
  listener_->start();

  watch_ = std::make_unique<PipelineWatch>(io_, config_.pipelines_dir, s.reload_debounce, [this] { reload("pipeline files changed"); });
  if (const std::string why = watch_->start(); !why.empty()) log_.warning(why + "; pipelines reload on SIGHUP only");

  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  const std::function<void(boost::system::error_code, int)> on_signal = [this, &on_signal](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) reload("SIGHUP");
    else if (stopping_) {  // a second SIGTERM: do not wait any longer (the store and ledger are crash-safe)
      log_.warning("second " + std::string{sig == SIGTERM ? "SIGTERM" : "SIGINT"} + ": exiting now");
      std::_Exit(1);
    }
    else stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    signals_.async_wait(on_signal);
  };
  signals_.async_wait(on_signal);

  if (const auto every = SystemdNotifier::watchdog_interval()) ping_watchdog(*every);
  prune();
  arm_timer();

  const std::string where = std::string{lo.tls ? "https://" : "http://"} + s.address + ":" + std::to_string(listener_->port());
  ready_ = true;
  log_.info("listening on " + where + " (data " + config_.data_dir.string() + ", pipelines " + config_.pipelines_dir.string() + ")");
  notifier_.ready("listening on " + where);
  io_.run();
  // Before the HTTP workers are joined: one may wait for the ingest log, which answers it.
  if (const std::size_t logged = writer_->logged_batches())
    log_.info("storing the findings of " + std::to_string(logged) + " acknowledged batches");
  if (!writer_->close()) log_.error("some acknowledged batches stay in the ingest log; the next start stores them");
  listener_.reset();  // joins the HTTP workers: requests in progress are answered or dropped
  runs_.join();
  log_.info("stopped");
  return 0;
}

// TLS 1.2 and later only, the certificate chain from a file, the key from a secret.
std::shared_ptr<asio::ssl::context> Daemon::make_tls_context() {
  const auto base = config_.file.empty() ? std::filesystem::current_path() : std::filesystem::absolute(config_.file).parent_path();
  std::string key;
  if (const Status st = resolve_secret(config_.serve.tls_private_key, base, key); !st.ok()) {
    log_.error("[serve] tls_private_key: " + st.message());
    return nullptr;
  }
  try {
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                     asio::ssl::context::single_dh_use);
    tls->use_certificate_chain_file(config_.serve.tls_certificate.string());
    tls->use_private_key(asio::buffer(key), asio::ssl::context::pem);
    return tls;
  } catch (const std::exception& e) {  // the message names the file, never the key
    log_.error("[serve] TLS: " + config_.serve.tls_certificate.string() + ": " + e.what());
    return nullptr;
  }
}

void Daemon::reload(const std::string& why) {
  if (stopping_) return;
  if (ready_) notifier_.reloading();
  const ReloadReport r = pipelines_->reload();
  const SysSeconds now = wall_now();
  for (const auto& id : r.removed) {
    std::lock_guard lock(scheduler_mutex_);
    scheduler_.remove(id);
  }
  for (const auto& id : r.added)
    if (const auto p = pipelines_->find(id)) schedule(*p, now);
  for (const auto& id : r.changed)
    if (const auto p = pipelines_->find(id)) schedule(*p, now);
  for (const auto& problem : r.problems)
    for (const auto& e : problem.errors) log_.error(e);
  const auto join_ids = [](const std::vector<std::string>& ids) { return join(ids, " "); };
  std::ostringstream line;
  line << "pipelines loaded (" << why << "): " << pipelines_->all().size() << " active";
  if (!r.added.empty()) line << "; added " << join_ids(r.added);
  if (!r.changed.empty()) line << "; changed " << join_ids(r.changed);
  if (!r.removed.empty()) line << "; removed " << join_ids(r.removed);
  if (r.unchanged) line << "; " << r.unchanged << " unchanged";
  if (!r.ok()) line << "; " << r.problems.size() << " files with errors (their previous versions, if any, stay)";
  (r.ok() ? log_.info(line.str()) : log_.warning(line.str()));
  metrics_.add("cspm_reloads_total", "Pipeline reloads by result", 1, {{"result", r.ok() ? "ok" : "error"}});
  metrics_.set("cspm_pipelines_loaded", "Pipelines loaded", static_cast<double>(pipelines_->all().size()));
  metrics_.set("cspm_pipeline_files_failing", "Pipeline files that do not load", static_cast<double>(pipelines_->problems().size()));
  if (ready_) {
    notifier_.reloaded(line.str());
    arm_timer();
  }
}

void Daemon::schedule(const LoadedPipeline& p, SysSeconds now) {
  const auto last = p.schedule ? last_run(p.id) : std::nullopt;  // a store read: not under the lock
  std::lock_guard lock(scheduler_mutex_);
  if (p.schedule) scheduler_.set(p.id, *p.schedule, last, now);
  else scheduler_.remove(p.id);  // on demand only now (a running run finishes; manual runs still work)
}

std::optional<SysSeconds> Daemon::last_run(const std::string& id) const {
  try {
    store::SqliteStore store(config_.data_dir);
    // A failed or interrupted run did not do the job: the time it stood for is still owed.
    for (const auto& r : store.runs(id, 50))
      if (!r.dry_run && r.outcome == "success") return SysSeconds{floor<seconds>(milliseconds{r.started_at})};
  } catch (const std::exception& e) {
    log_.warning("runs of " + id + ": " + e.what() + "; no catch-up run");
  }
  return std::nullopt;
}

// Wakes at the next due time, but at least every minute: timers count elapsed time, and a
// suspended machine or a clock step must not make a daily run late by hours.
void Daemon::arm_timer() {
  if (stopping_) return;
  std::optional<SysSeconds> next;
  {
    std::lock_guard lock(scheduler_mutex_);
    next = scheduler_.next_wakeup();
  }
  steady_clock::duration wait = minutes{1};
  if (next) wait = std::clamp<steady_clock::duration>(*next - system_clock::now(), steady_clock::duration{0}, wait);
  wakeup_.expires_after(wait);
  wakeup_.async_wait([this](boost::system::error_code ec) {
    if (!ec) start_due();
  });
}

void Daemon::start_due() {
  if (stopping_) return;
  std::vector<Scheduler::Due> due;
  {
    std::lock_guard lock(scheduler_mutex_);
    due = scheduler_.take_due(wall_now());
  }
  for (const auto& d : due) launch(d);
  arm_timer();
}

void Daemon::launch(const Scheduler::Due& due) {
  const auto pipeline = pipelines_->find(due.pipeline);
  if (!pipeline) {  // removed between trigger and start
    std::lock_guard lock(scheduler_mutex_);
    scheduler_.finished(due.pipeline);
    return;
  }
  ++active_runs_;
  log_.info(due.pipeline + ": run starts (" + reason_name(due.reason) + ", for " + iso(due.scheduled_for) + ")");
  asio::post(runs_, [this, pipeline, due] {
    RunReport report;
    std::ostringstream output;
    // A run sees every acknowledged batch: the ingest log is folded first.
    if (writer_ && !writer_->drain())
      log_.warning(due.pipeline + ": some acknowledged batches are not stored yet (see the errors above); the run goes on without them");
    try {
      store::SqliteStore store(config_.data_dir);
      RunSettings settings;
      settings.now = system_now();
      settings.store = &store;
      settings.output = &output;
      settings.stop = &stopping_;
      settings.log_sink = [this](LogLevel level, const std::string& m) { log_.log(level, m); };
      report = pipeline->runner->run(settings);
    } catch (const std::exception& e) {
      report.ok = false;
      report.error = std::string{"store: "} + e.what();
    }
    // Plan records and other machine output of the run, for the journal.
    std::istringstream lines(output.str());
    for (std::string l; std::getline(lines, l);) log_.info(due.pipeline + ": " + l);
    asio::post(io_, [this, id = due.pipeline, reason = due.reason, report] { finished(id, reason, report); });
  });
}

void Daemon::finished(const std::string& id, Scheduler::Reason reason, const RunReport& report) {
  --active_runs_;
  {
    std::lock_guard lock(scheduler_mutex_);
    scheduler_.finished(id);
  }
  std::ostringstream line;
  line << id << ": run " << (report.ok ? "succeeded" : "FAILED") << " in " << report.seconds << " s";
  for (const auto& [name, value] : report.counters) line << ' ' << name << '=' << value;
  if (!report.ok) line << "; " << report.error;
  (report.ok ? log_.info(line.str()) : log_.error(line.str()));
  const Labels pipeline{{"pipeline", id}};
  metrics_.add("cspm_pipeline_runs_total", "Pipeline runs by outcome and reason", 1,
               {{"pipeline", id}, {"outcome", report.ok ? "success" : "failure"}, {"reason", reason_name(reason)}});
  metrics_.observe("cspm_pipeline_run_duration_seconds", "Pipeline run durations", report.seconds, pipeline);
  metrics_.set("cspm_pipeline_last_run_timestamp_seconds", "When the last run of a pipeline ended",
               static_cast<double>(system_now()) / 1000.0, pipeline);
  for (const auto& [name, value] : report.counters) {
    const auto v = static_cast<double>(value);
    if (name == "jira_requests") metrics_.add("cspm_tracker_requests_total", "Tracker requests", v, pipeline);
    else if (name == "jira_request_ms") metrics_.add("cspm_tracker_request_seconds_total", "Time waiting for tracker answers", v / 1000.0, pipeline);
    else if (name == "jira_throttled") metrics_.add("cspm_tracker_throttled_total", "Tracker 429 answers", v, pipeline);
    else if (name.rfind("jira_", 0) == 0 && name != "jira_retries")
      metrics_.add("cspm_ticket_actions_total", "Ticket actions by kind", v, {{"pipeline", id}, {"action", name.substr(5)}});
  }
  if (stopping_) {
    if (active_runs_ == 0) finish_stop();
    return;
  }
  start_due();  // a run that waited for this one may start now
}

Daemon::Trigger Daemon::trigger(const std::string& id) {
  if (stopping_) return Trigger::stopping;
  if (!pipelines_ || !pipelines_->find(id)) return Trigger::unknown;
  bool queued = false;
  {
    std::lock_guard lock(scheduler_mutex_);
    queued = scheduler_.trigger(id, wall_now());
  }
  if (queued) {
    log_.info(id + ": manual run queued");
    asio::post(io_, [this] { start_due(); });
  }
  return queued ? Trigger::queued : Trigger::already_queued;
}

void Daemon::stop(const std::string& why) {
  stopping_ = true;
  ready_ = false;
  notifier_.stopping();
  log_.info("stopping (" + why + ")" + (active_runs_ ? ": waiting for " + std::to_string(active_runs_) +
                                                           " runs to finish their current call" : ""));
  if (listener_) listener_->stop();
  if (watch_) watch_->stop();
  wakeup_.cancel();
  prune_timer_.cancel();
  if (active_runs_ == 0) finish_stop();
}

// Runs are done. Connections still answering get a few seconds; then the loop ends.
void Daemon::finish_stop() {
  signals_.cancel();
  watchdog_.cancel();
  wait_for_connections(steady_clock::now() + seconds{5});
}

void Daemon::wait_for_connections(steady_clock::time_point until) {
  if (!listener_ || listener_->connections() == 0 || steady_clock::now() >= until) return io_.stop();
  deadline_.expires_after(milliseconds{20});
  deadline_.async_wait([this, until](boost::system::error_code ec) {
    if (!ec) wait_for_connections(until);
  });
}

void Daemon::ping_watchdog(microseconds every) {
  notifier_.watchdog();
  watchdog_.expires_after(every);
  watchdog_.async_wait([this, every](boost::system::error_code ec) {
    if (!ec) ping_watchdog(every);
  });
}

// Observation retention, enforced by the daemon (batches do not prune) on a run worker.
void Daemon::prune() {
  if (config_.retention.count() > 0)
    asio::post(runs_, [this] {
      try {
        store::SqliteStore store(config_.data_dir);
        const auto n = store.prune_observations(system_now() - config_.retention.count());
        if (n) log_.info("retention: " + std::to_string(n) + " old observations pruned");
      } catch (const std::exception& e) {
        log_.error(std::string{"retention: "} + e.what());
      }
    });
  prune_timer_.expires_after(config_.serve.prune_every);
  prune_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) prune();
  });
}

std::string Daemon::not_ready() const {
  if (stopping_) return "stopping";
  if (!ready_) return "starting";
  return {};
}

}  // namespace cspm::core
