// `log` sink: one operator log line per item (counts, groups, tickets; findings capped).
#include <memory>

#include <cspm/factory_base.hpp>
#include <cspm/markup.hpp>
#include <cspm/registrar.hpp>

namespace cspm::plugins::log {
namespace {

class LogSink final : public Sink {
 public:
  LogSink(LogLevel level, std::size_t max_items) : level_(level), max_items_(max_items) {}

  Status deliver(RunContext& ctx, const Batch& in) override {
    for (const auto& m : in.metrics)
      ctx.log(level_, m.name + ": " + std::to_string(static_cast<long long>(m.value)) + " " + m.what);
    std::size_t shown = 0;
    const auto line = [&](const std::string& text) {
      if (shown++ < max_items_) ctx.log(level_, single_line(text));
    };
    for (const auto& t : in.tickets) line("ticket " + t->fingerprint + " " + t->summary);
    for (const auto& g : in.groups)
      line("group " + g->fingerprint + " " + g->grouping + " (" + std::to_string(g->members.size()) + " findings)");
    for (const Finding* f : in.findings)
      line("finding " + std::string{f->id} + " " + std::string{f->severity});
    if (shown > max_items_) ctx.log(level_, std::to_string(shown - max_items_) + " more items not shown");
    return Status::success();
  }

 private:
  LogLevel level_;
  std::size_t max_items_;
};

class LogSinkFactory final : public FactoryBase<StageKind::sink> {
 public:
  LogSinkFactory()
      : FactoryBase("log", "Writes a log line per item it receives: counts, groups, tickets, findings",
                    {{"level", OptionType::string, false, "info", "log level", {"debug", "info", "warning", "error"}},
                     {"max_items", OptionType::integer, false, 100,
                      "at most this many item lines per run (metrics are always logged)", {}}},
                    {kAnyData, 0, false}) {}

  CreateResult create(const Options& o, const StageEnv&) const override {
    const std::string level = o.at("level").get<std::string>();
    const LogLevel l = level == "debug" ? LogLevel::debug
                       : level == "warning" ? LogLevel::warning
                       : level == "error" ? LogLevel::error
                                          : LogLevel::info;
    return std::make_unique<LogSink>(l, o.at("max_items").get<std::size_t>());
  }
};

void register_factories(Registrar& r) { r.add(std::make_unique<LogSinkFactory>()); }

}  // namespace
}  // namespace cspm::plugins::log

CSPM_PLUGIN("log", CSPM_SDK_VERSION, cspm::plugins::log::register_factories)
