// `cspmd ingest`: load findings into the store and say what was stored, updated, skipped.
#include <iostream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "../store/ingestor.hpp"
#include "../store/sqlite_store.hpp"
#include "cli_support.hpp"

namespace cspm::app {
namespace {

namespace po = boost::program_options;

nlohmann::ordered_json counts_json(const store::IngestCounts& c) {
  return {{"events", c.events},           {"findings", c.findings},
          {"findings_new", c.findings_new}, {"findings_updated", c.findings_updated},
          {"stale", c.stale},             {"quarantined", c.quarantined}};
}

}  // namespace

int ingest_command(int argc, char** argv) {
  po::options_description opts("cspmd ingest FILE…|- [options]");
  std::vector<std::string> files;
  std::string format = "text", now_text, retention_text;
  std::size_t batch = 0, report_limit = 20;
  unsigned threads = 2;
  long long max_record = 8 << 20;
  ConfigArgs config_args;
  opts.add_options()
      ("help,h", "show this help")
      ("format", po::value(&format), "text (default) or json: one object with the counts")
      ("batch", po::value(&batch), "finding versions per committed transaction (default 500000)")
      ("threads", po::value(&threads), "parsers for large plain NDJSON files (default 2; 1-16)")
      ("max-record-bytes", po::value(&max_record), "records larger than this are quarantined (default 8 MiB)")
      ("retention", po::value(&retention_text), "keep observations this long (default from cspmd.toml, 30d); 0s keeps all")
      ("report-limit", po::value(&report_limit), "how many quarantined records to list on stderr (default 20)")
      ("now", po::value(&now_text), "the time to record as received (ISO 8601); default: the clock");
  add_config_options(opts, config_args);
  po::options_description hidden;
  hidden.add_options()("file", po::value(&files)->multitoken());
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map vm;
  if (auto stop = parse_options(argc, argv, "ingest", opts, hidden, positional, vm)) return *stop;
  if (files.empty()) {
    std::cerr << "cspmd ingest: which files? (\"-\" reads stdin)\n" << opts;
    return kExitUsage;
  }
  if (format != "text" && format != "json") {
    std::cerr << "cspmd ingest: --format must be text or json\n";
    return kExitUsage;
  }
  if (max_record < 1024 || max_record > (256LL << 20)) {
    std::cerr << "cspmd ingest: --max-record-bytes must be between 1024 and 268435456\n";
    return kExitUsage;
  }
  const auto config = resolve_config(config_args, std::cerr);
  if (!config) return kExitConfig;

  store::IngestOptions options;
  options.retention = config->retention;
  if (!retention_text.empty()) {
    const auto d = parse_duration(retention_text);
    if (!d) {
      std::cerr << "cspmd ingest: --retention \"" << retention_text << "\" is not a duration like \"30d\"\n";
      return kExitUsage;
    }
    options.retention = *d;
  }
  if (!parse_now(now_text, "ingest", options.received_at)) return kExitUsage;
  if (batch) options.batch_findings = batch;
  if (threads < 1 || threads > 16) {
    std::cerr << "cspmd ingest: --threads must be between 1 and 16\n";
    return kExitUsage;
  }
  options.threads = threads;
  options.max_record_bytes = static_cast<std::size_t>(max_record);
  options.spool_dir = config->data_dir;
  std::uint64_t reported = 0;
  options.on_quarantine = [&](const store::QuarantineRecord& r) {
    if (reported++ < report_limit)
      std::cerr << "warning: " << r.source << ":" << r.line << ": quarantined: " << r.reason << '\n';
  };
  options.on_commit = [](const std::string& source, const store::IngestCounts& b, const store::IngestCounts&) {
    std::cerr << "committed: " << source << ": " << b.findings << " findings (" << b.findings_new << " new, "
              << b.findings_updated << " updated, " << b.stale << " stale), " << b.quarantined
              << " quarantined\n";
  };

  std::unique_ptr<store::SqliteStore> db;
  try {
    db = std::make_unique<store::SqliteStore>(config->data_dir);
  } catch (const std::exception& e) {
    std::cerr << "cspmd ingest: " << e.what() << '\n';
    return kExitFailure;
  }
  const store::IngestResult result = store::ingest(*db, files, options);
  if (reported > report_limit)
    std::cerr << "warning: " << reported - report_limit << " more quarantined records not listed"
              << " (cspmd query --sql \"SELECT * FROM quarantine\")\n";
  const auto& c = result.counts;
  if (format == "json") {
    auto out = counts_json(c);
    out["pruned_observations"] = result.pruned;
    if (!result.status) out["error"] = result.status.message();
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout << "ingested " << c.events << " events: " << c.findings << " findings, " << c.findings_new
              << " new, " << c.findings_updated << " updated, " << c.stale << " stale; "
              << c.quarantined << " quarantined";
    if (result.pruned) std::cout << "; " << result.pruned << " old observations pruned";
    std::cout << " (store " << store::store_file(config->data_dir).string() << ")\n";
  }
  if (!result.status) {
    std::cerr << "cspmd ingest: " << result.status.message() << '\n';
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace cspm::app
