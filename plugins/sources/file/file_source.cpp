// `file` source: findings from NDJSON/JSON/gzip files or stdin, latest state per identity.
#include <algorithm>
#include <memory>
#include <thread>
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

  /// Positions are per file; the file's index makes them comparable across files.
  void start_file(std::uint64_t index) { file_bits_ = index << 40; }

  void on_finding(const Finding& finding, std::string_view, std::uint64_t position) override {
    table_.upsert(finding, file_bits_ | position);
  }
  void on_malformed(const RecordError& e) override {
    if (reported_++ < report_limit_)
      ctx_.log(LogLevel::warning, e.source + ":" + std::to_string(e.line) + ": skipped: " + e.reason);
  }
  std::uint64_t reported() const { return reported_; }

 private:
  FindingTable& table_;
  RunContext& ctx_;
  std::uint64_t report_limit_;
  std::uint64_t reported_ = 0;
  std::uint64_t file_bits_ = 0;
};

class FileSource final : public Source {
 public:
  FileSource(std::vector<std::string> paths, std::size_t max_record, std::uint64_t report_limit,
             unsigned threads)
      : paths_(std::move(paths)), max_record_(max_record), report_limit_(report_limit),
        threads_(threads) {}

  Status pull(RunContext& ctx, Batch& out) override {
    auto table = std::make_shared<FindingTable>();
    // One filler per reader thread; only filler 0 sees malformed records (on this thread).
    std::vector<std::unique_ptr<TableFiller>> fillers;
    for (unsigned i = 0; i < threads_; ++i)
      fillers.push_back(std::make_unique<TableFiller>(*table, ctx, report_limit_));
    ReadStats stats;
    for (std::size_t f = 0; f < paths_.size(); ++f) {
      for (auto& filler : fillers) filler->start_file(f);
      const Status s = AsffReader::read_file_parallel(
          paths_[f], threads_, [&](unsigned i) -> FindingHandler& { return *fillers[i]; }, stats,
          max_record_);
      if (!s) return s;
    }
    if (fillers[0]->reported() > report_limit_)
      ctx.log(LogLevel::warning, std::to_string(fillers[0]->reported() - report_limit_) +
                                     " more malformed records not shown");
    ctx.count("events", stats.records);
    ctx.count("findings", stats.findings);
    ctx.count("unique", table->size());
    ctx.count("malformed", stats.malformed);
    out.findings = table->findings();
    ctx.retain(std::move(table));
    return Status::success();
  }

 private:
  std::vector<std::string> paths_;
  std::size_t max_record_;
  std::uint64_t report_limit_;
  unsigned threads_;
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
                      "how many malformed records to log one by one", {}},
                     {"threads", OptionType::integer, false, 0,
                      "parallel readers for large plain NDJSON files (0: one per CPU, at most 8)", {}}},
                    {0, kFindings, false}) {}

  Diagnostics validate(const Options& o) const override {
    if (o.at("paths").empty()) return {make_error("E008", "paths", "needs at least one file")};
    const long long max_record = o.at("max_record_bytes").get<long long>();
    if (max_record < 1024 || max_record > (256LL << 20))
      return {make_error("E007", "max_record_bytes", "must be between 1024 and 268435456 (256 MiB)")};
    const long long threads = o.at("threads").get<long long>();
    if (threads < 0 || threads > 64) return {make_error("E007", "threads", "must be between 0 and 64")};
    return {};
  }

  CreateResult create(const Options& o, const StageEnv&) const override {
    long long threads = o.at("threads").get<long long>();
    if (threads <= 0) threads = std::clamp<long long>(std::thread::hardware_concurrency(), 1, 8);
    return std::make_unique<FileSource>(o.at("paths").get<std::vector<std::string>>(),
                                        o.at("max_record_bytes").get<std::size_t>(),
                                        o.at("report_limit").get<std::uint64_t>(),
                                        static_cast<unsigned>(threads));
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<FileSourceFactory>()); }

}  // namespace
}  // namespace cspm::plugins::file

CSPM_PLUGIN("file", CSPM_SDK_VERSION, cspm::plugins::file::register_factories)
