// `cspmd query`: explore stored findings (filters, group-by counts, read-only SQL).
#include <filesystem>
#include <iostream>

#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/classification.hpp>
#include <boost/program_options.hpp>

#include "../store/finding_query.hpp"
#include "../store/raw_json_function.hpp"
#include "../store/sqlite_store.hpp"
#include "cli_support.hpp"
#include "row_printer.hpp"

namespace cspm::app {
namespace {

namespace po = boost::program_options;

// Repeated options and comma-separated lists both work: --severity HIGH,CRITICAL.
std::vector<std::string> split_all(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  for (const auto& r : raw) {
    std::vector<std::string> parts;
    boost::split(parts, r, boost::is_any_of(","));
    for (auto& p : parts)
      if (!p.empty()) out.push_back(p);
  }
  return out;
}

// An ISO 8601 time, or a duration before now ("24h").
std::optional<Timestamp> time_arg(const std::string& text, Timestamp now) {
  if (const auto t = parse_timestamp(text)) return t;
  if (const auto d = parse_duration(text)) return now - d->count();
  return std::nullopt;
}

nlohmann::ordered_json value_of(const store::Statement& s, int i) {
  if (s.is_null(i)) return nullptr;
  if (s.is_integer(i)) return s.integer(i);
  if (s.is_real(i)) return s.real(i);
  return std::string{s.text(i)};
}

}  // namespace

int query_command(int argc, char** argv) {
  po::options_description opts("cspmd query [filters] [--group-by …] [--format table|json|csv] | --sql SELECT…");
  std::vector<std::string> accounts, regions, severities, controls, products, compliance, workflow,
      record_states, resource_ids, resource_types, group_by;
  std::string since, until, text, format = "table", sql_text, now_text;
  std::size_t limit = 0;
  ConfigArgs config_args;
  const auto list = [](std::vector<std::string>* v) { return po::value(v)->composing(); };
  opts.add_options()
      ("help,h", "show this help")
      ("account", list(&accounts), "AWS account id(s)")
      ("region", list(&regions), "region(s)")
      ("severity", list(&severities), "severity label(s): CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL")
      ("control", list(&controls), "security control id(s), e.g. S3.1")
      ("product", list(&products), "product name(s) or ARN(s)")
      ("compliance", list(&compliance), "compliance status(es): FAILED, PASSED, WARNING, NOT_AVAILABLE")
      ("workflow", list(&workflow), "workflow status(es): NEW, NOTIFIED, SUPPRESSED, RESOLVED")
      ("record-state", list(&record_states), "record state(s): ACTIVE, ARCHIVED")
      ("resource", list(&resource_ids), "resource id(s), matched against every resource of a finding")
      ("resource-type", list(&resource_types), "resource type(s), e.g. AwsS3Bucket")
      ("since", po::value(&since), "UpdatedAt at or after: ISO 8601 time or a duration before now (\"7d\")")
      ("until", po::value(&until), "UpdatedAt before: ISO 8601 time or a duration before now")
      ("text", po::value(&text), "text in the title (case-insensitive)")
      ("group-by,g", list(&group_by), "count findings by: account, account_name, region, severity, control, "
                                      "product, compliance, workflow, record_state, resource_type, type, day")
      ("format,f", po::value(&format), "table (default), json (one object per line) or csv")
      ("limit", po::value(&limit), "at most this many rows")
      ("sql", po::value(&sql_text), "run this read-only SQL instead (tables: findings, observations, "
                                    "quarantine, runs; views findings, observation_states; raw_json(findings.row) "
                                    "gives a finding's JSON as received)")
      ("now", po::value(&now_text), "anchor for durations in --since/--until (ISO 8601); default: the clock");
  add_config_options(opts, config_args);
  po::variables_map vm;
  if (auto stop = parse_options(argc, argv, "query", opts, {}, {}, vm)) return *stop;

  auto printer = make_row_printer(format, std::cout);
  if (!printer) {
    std::cerr << "cspmd query: --format must be table, json or csv\n";
    return kExitUsage;
  }
  Timestamp now = system_now();
  if (!parse_now(now_text, "query", now)) return kExitUsage;
  store::FindingQuery q;
  q.accounts = split_all(accounts);
  q.regions = split_all(regions);
  q.severities = split_all(severities);
  q.controls = split_all(controls);
  q.products = split_all(products);
  q.compliance = split_all(compliance);
  q.workflow = split_all(workflow);
  q.record_states = split_all(record_states);
  q.resource_ids = split_all(resource_ids);
  q.resource_types = split_all(resource_types);
  q.group_by = split_all(group_by);
  q.title_text = text;
  q.limit = limit;
  for (auto [arg, into] : {std::pair{&since, &q.since}, std::pair{&until, &q.until}}) {
    if (arg->empty()) continue;
    const auto t = time_arg(*arg, now);
    if (!t) {
      std::cerr << "cspmd query: \"" << *arg << "\" is neither an ISO 8601 time nor a duration like \"24h\"\n";
      return kExitUsage;
    }
    *into = *t;
  }
  const auto config = resolve_config(config_args, std::cerr);
  if (!config) return kExitConfig;
  const auto file = store::store_file(config->data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    std::cerr << "cspmd query: no store at " << file.string() << " (load findings with cspmd ingest first)\n";
    return kExitFailure;
  }

  try {
    // The query connection is read-only at every level: opened read-only, query_only set,
    // and each statement checked, so --sql cannot modify the store.
    store::Database db{file.string(), store::Database::Mode::read_only};
    db.exec("PRAGMA query_only = 1");
    store::register_raw_json(db);
    const bool raw_sql = !sql_text.empty();
    store::Sql sql;
    if (raw_sql) {
      sql.text = sql_text;
    } else {
      sql = store::build_query(q);
      if (!sql.error.empty()) {
        std::cerr << "cspmd query: " << sql.error << '\n';
        return kExitUsage;
      }
    }
    auto stmt = db.prepare_one(sql.text);
    if (!stmt.read_only()) {
      std::cerr << "cspmd query: --sql runs read-only statements only (SELECT, WITH …)\n";
      return kExitUsage;
    }
    int n = 1;
    for (const auto& p : sql.text_params) stmt.bind(n++, std::string_view{p});
    for (const auto p : sql.integer_params) stmt.bind(n++, p);

    const bool finding_rows = !raw_sql && q.group_by.empty();
    std::vector<std::string> columns;
    if (finding_rows) columns = store::finding_row_columns();
    else
      for (int i = 0; i < stmt.columns(); ++i) columns.emplace_back(stmt.column_name(i));
    printer->header(columns);
    std::vector<nlohmann::ordered_json> values(columns.size());
    while (stmt.step()) {
      for (int i = 0; i < static_cast<int>(columns.size()); ++i) values[i] = value_of(stmt, i);
      if (finding_rows) {  // times as ISO 8601, resource ids as a list
        for (int i : {12, 13})
          if (values[i].is_number_integer()) values[i] = format_timestamp(values[i].get<Timestamp>());
        values[10] = nlohmann::ordered_json::parse(values[10].is_string() ? values[10].get<std::string>() : "[]",
                                                   nullptr, false);
      }
      printer->row(values);
    }
    printer->finish();
  } catch (const store::SqliteError& e) {
    std::cerr << "cspmd query: " << e.what() << '\n';
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace cspm::app
