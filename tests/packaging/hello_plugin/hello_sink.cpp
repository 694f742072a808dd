// `hello` sink: the smallest plugin a tracker integration starts from (one log line per ticket).
#include <cspm/factory_base.hpp>
#include <cspm/registrar.hpp>

namespace {

class HelloSink final : public cspm::Sink {
 public:
  cspm::Status deliver(cspm::RunContext& ctx, const cspm::Batch& in) override {
    for (const auto& t : in.tickets) ctx.log(cspm::LogLevel::info, "hello " + t->summary);
    return cspm::Status::success();
  }
};

class HelloSinkFactory final : public cspm::FactoryBase<cspm::StageKind::sink> {
 public:
  HelloSinkFactory() : FactoryBase("hello", "Says hello to each ticket", {}, {cspm::kAnyData, 0, false}) {}
  cspm::CreateResult create(const cspm::Options&, const cspm::StageEnv&) const override {
    return std::make_unique<HelloSink>();
  }
};

void register_factories(cspm::Registrar& r) { r.add(std::make_unique<HelloSinkFactory>()); }

}  // namespace

CSPM_PLUGIN("hello", CSPM_SDK_VERSION, register_factories)
