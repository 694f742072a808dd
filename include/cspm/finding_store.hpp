// Read access to cspmd's embedded finding store, for source plugins.
#pragma once
#include <cstdint>
#include <vector>

#include <cspm/api.hpp>
#include <cspm/finding.hpp>
#include <cspm/status.hpp>
#include <cspm/time.hpp>

namespace cspm {

class RunContext;

/// Which stored findings (latest state per identity) a run reads.
struct StoreSelection {
  /// Findings whose LastObservedAt (else UpdatedAt) is at or after this; 0: no bound.
  Timestamp observed_since = 0;
  /// Only findings whose stored state changed since the last successful run of this
  /// pipeline (its watermark); observed_since is then ignored. With no successful run
  /// yet, observed_since alone applies.
  bool since_last_success = false;
};

/// Implemented by the host. The selection is read in one snapshot; the host records the
/// snapshot's position as the run's watermark, so a run that fails or never happens does not
/// advance it and the next run reads those findings again.
class CSPM_API FindingStore {
 public:
  virtual ~FindingStore();
  /// Appends the selected findings to `out`. Their storage lives until the run ends.
  virtual Status select(const StoreSelection& selection, RunContext& ctx,
                        std::vector<const Finding*>& out) = 0;
};

}  // namespace cspm
