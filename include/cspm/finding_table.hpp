// The latest state of each finding identity, with its strings interned.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <cspm/finding.hpp>

namespace cspm {

/// Owns finding storage for a run. Findings that arrive again with the same identity
/// (ProductArn, Id) replace the stored state only when they are newer: a later UpdatedAt,
/// or the same UpdatedAt and a later input position (`sequence`). So each finding counts
/// once, in its latest state, whatever the input order or the number of reader threads.
/// Repeated strings (accounts, regions, titles…) are stored once per shard.
///
/// upsert() may be called from several threads: the table is sharded by identity hash,
/// one lock per shard.
class FindingTable {
 public:
  enum class Upsert { inserted, updated, stale };

  FindingTable();
  ~FindingTable();
  FindingTable(const FindingTable&) = delete;
  FindingTable& operator=(const FindingTable&) = delete;

  /// Stores `finding` (whose views may be transient) unless a newer state is already held.
  /// `sequence` orders records with equal UpdatedAt (input position; larger = later).
  Upsert upsert(const Finding& finding, std::uint64_t sequence = 0);

  std::size_t size() const noexcept;
  /// Pointers to the stored findings; stable for the table's lifetime. The order is
  /// unspecified: consumers that need one sort (groupers do).
  std::vector<const Finding*> findings() const;

 private:
  struct Shard;
  struct Impl;
  static constexpr std::size_t kShards = 64;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cspm
