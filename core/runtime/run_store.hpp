// The store as one run sees it: selections for source plugins, the watermark they reached.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include <cspm/finding_store.hpp>

#include "../store/store.hpp"

namespace cspm::core {

class RunStore final : public FindingStore {
 public:
  explicit RunStore(store::Store& store) : store_(store) {}

  Status select(const StoreSelection& selection, RunContext& ctx, std::vector<const Finding*>& out) override;

  /// The highest snapshot position any selection of this run read (the run's watermark).
  std::optional<std::uint64_t> watermark() const noexcept { return watermark_; }

 private:
  store::Store& store_;
  std::optional<std::uint64_t> watermark_;
};

}  // namespace cspm::core
