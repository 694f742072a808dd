// The latest state of each finding identity, with its strings interned.
#pragma once
#include <cstddef>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

#include <cspm/finding.hpp>

namespace cspm {

/// Owns finding storage for a run. Findings that arrive again with the same identity
/// (ProductArn, Id) replace the stored state only when their UpdatedAt is not older, so each
/// finding counts once, in its latest state, whatever the input order. Repeated strings
/// (accounts, regions, titles…) are stored once, which keeps a day of findings small.
class FindingTable {
 public:
  enum class Upsert { inserted, updated, stale };

  FindingTable();
  ~FindingTable();
  FindingTable(const FindingTable&) = delete;
  FindingTable& operator=(const FindingTable&) = delete;

  /// Stores `finding` (whose views may be transient) unless a newer state is already held.
  Upsert upsert(const Finding& finding);

  std::size_t size() const noexcept { return rows_.size(); }
  /// Pointers to the stored findings, in first-seen order; stable for the table's lifetime.
  std::vector<const Finding*> findings() const;

 private:
  struct Index;
  std::unique_ptr<Index> index_;
  std::deque<Finding> rows_;
};

}  // namespace cspm
