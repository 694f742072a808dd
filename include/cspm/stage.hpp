// Runtime stage interfaces: sources produce, transforms map, sinks consume.
#pragma once
#include <memory>

#include <cspm/api.hpp>
#include <cspm/batch.hpp>
#include <cspm/context.hpp>
#include <cspm/status.hpp>

namespace cspm {

/// Error policy: return Status::failure() for anything expected (unreadable file, bad data
/// that cannot be skipped); never let an exception escape. A failed stage fails the run of
/// its pipeline only. Stages run one at a time per pipeline, in topological order.
class CSPM_API Stage {
 public:
  virtual ~Stage();
};

/// Produces findings (files, the store, an API…).
class CSPM_API Source : public Stage {
 public:
  ~Source() override;
  virtual Status pull(RunContext& ctx, Batch& out) = 0;
};

/// Filters, groupers, enrichers, renderers and observers: one batch in (all inputs
/// concatenated), one batch out.
class CSPM_API Transform : public Stage {
 public:
  ~Transform() override;
  virtual Status process(RunContext& ctx, const Batch& in, Batch& out) = 0;
};

/// Consumes a batch (prints it, files tickets…).
class CSPM_API Sink : public Stage {
 public:
  ~Sink() override;
  virtual Status deliver(RunContext& ctx, const Batch& in) = 0;
};

using StagePtr = std::unique_ptr<Stage>;

}  // namespace cspm
