// `file` source: findings from NDJSON/JSON/gzip files or stdin, latest state per identity.
#include <memory>
#include <string>
#include <vector>

#include <cspm/asff_reader.hpp>
#include <cspm/factory_base.hpp>
#include <cspm/finding_table.hpp>
#include <cspm/registrar.hpp>

namespace cspm::plugins::file {
namespace {

// Keeps the latest state per identity and logs the first few malformed records in full.
class TableFiller final : public FindingHandler {
 public:
  TableFiller(FindingTable& table, RunContext& ctx, std::uint64_t report_limit)
      : table_(table), ctx_(ctx), report_limit_(report_limit) {}

  void on_finding(const Finding& finding, std::string_view) override {
    if (table_.upsert(finding) == FindingTable::Upsert::stale) ++stale_;
  }
  void on_malformed(const RecordError& e) override {
    if (reported_++ < report_limit_)
      ctx_.log(LogLevel::warning, e.source + ":" + std::to_string(e.line) + ": skipped: " + e.reason);
  }
  std::uint64_t stale() const { return stale_; }
  std::uint64_t reported() const { return reported_; }

 private:
  FindingTable& table_;
  RunContext& ctx_;
  std::uint64_t report_limit_;
  std::uint64_t stale_ = 0;
  std::uint64_t reported_ = 0;
};

class FileSource final : public Source {
 public:
  FileSource(std::vector<std::string> paths, std::size_t max_record, std::uint64_t report_limit)
      : paths_(std::move(paths)), max_record_(max_record), report_limit_(report_limit) {}

  Status pull(RunContext& ctx, Batch& out) override {
    auto table = std::make_shared<FindingTable>();
    AsffReader reader{max_record_};
    TableFiller filler{*table, ctx, report_limit_};
    ReadStats stats;
    for (const auto& path : paths_)
      if (Status s = reader.read_file(path, filler, stats); !s) return s;
    if (filler.reported() > report_limit_)
      ctx.log(LogLevel::warning, std::to_string(filler.reported() - report_limit_) +
                                     " more malformed records not shown");
    ctx.count("events", stats.records);
    ctx.count("findings", stats.findings);
    ctx.count("unique", table->size());
    ctx.count("stale", filler.stale());
    ctx.count("malformed", stats.malformed);
    out.findings = table->findings();
    ctx.retain(std::move(table));
    return Status::success();
  }

 private:
  std::vector<std::string> paths_;
  std::size_t max_record_;
  std::uint64_t report_limit_;
};

class FileSourceFactory final : public FactoryBase<StageKind::source> {
 public:
  FileSourceFactory()
      : FactoryBase("file",
                    "Findings from files: NDJSON of EventBridge events or ASFF findings, JSON "
                    "arrays, {\"Findings\": [...]} documents, gzip; \"-\" is stdin",
                    {{"paths", OptionType::path_list, true, nullptr,
                      "files to read, relative to the pipeline file", {}},
                     {"max_record_bytes", OptionType::integer, false, 8 << 20,
                      "records larger than this are skipped and counted as malformed", {}},
                     {"report_limit", OptionType::integer, false, 20,
                      "how many malformed records to log one by one", {}}},
                    {0, kFindings, false}) {}

  Diagnostics validate(const Options& o) const override {
    if (o.at("paths").empty()) return {make_error("E008", "paths", "needs at least one file")};
    if (o.at("max_record_bytes").get<long long>() < 1024)
      return {make_error("E007", "max_record_bytes", "must be at least 1024")};
    return {};
  }

  CreateResult create(const Options& o, const StageEnv&) const override {
    return std::make_unique<FileSource>(o.at("paths").get<std::vector<std::string>>(),
                                        o.at("max_record_bytes").get<std::size_t>(),
                                        o.at("report_limit").get<std::uint64_t>());
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<FileSourceFactory>()); }

}  // namespace
}  // namespace cspm::plugins::file

CSPM_PLUGIN("file", CSPM_SDK_VERSION, cspm::plugins::file::register_factories)
