// Store selections for a run; errors become a failed Status, never an exception to plugins.
#include "run_store.hpp"

#include <algorithm>

#include <cspm/context.hpp>

namespace cspm::core {

Status RunStore::select(const StoreSelection& selection, RunContext& ctx, std::vector<const Finding*>& out) {
  try {
    std::optional<std::uint64_t> after;
    if (selection.since_last_success) {
      after = store_.last_success(ctx.pipeline_id());
      ctx.log(LogLevel::info, after ? "reading findings changed since the last successful run (watermark " +
                                          std::to_string(*after) + ")"
                                    : "no successful run yet: reading the window");
    }
    StoreSelection effective = selection;
    if (after) effective.observed_since = 0;
    auto table = std::make_shared<store::StoredFindings>();
    const std::uint64_t high = store_.select(effective, after, *table);
    watermark_ = std::max(watermark_.value_or(0), high);
    const auto found = table->pointers();
    out.insert(out.end(), found.begin(), found.end());
    ctx.retain(std::move(table));
    return Status::success();
  } catch (const std::exception& e) {
    return Status::failure(std::string{"the store: "} + e.what());
  }
}

}  // namespace cspm::core
