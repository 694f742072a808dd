// Bump allocation out of 2 MB regions the kernel may back with huge pages (internal to the SDK).
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

#include "spin_lock.hpp"

namespace cspm::detail {

/// Memory that lives as long as its owner and is freed all at once. A day's finding table is
/// about 60 MB: faulting that in 4 KB at a time cost more than reading the day, above all
/// in a virtual machine, where every page fault is a trip to the hypervisor. Regions are
/// 2 MB-aligned and advised for transparent huge pages: one fault per region where the
/// kernel grants them, the usual 4 KB faults where it does not.
///
/// Thread-safe; callers allocate in blocks (kilobytes at a time), so the lock is rarely met.
class RegionArena {
 public:
  static constexpr std::size_t kRegion = 2u << 20;

  RegionArena() = default;
  ~RegionArena();
  RegionArena(const RegionArena&) = delete;
  RegionArena& operator=(const RegionArena&) = delete;

  /// `n` bytes (at most kRegion), 64-byte aligned, uninitialised. Throws std::bad_alloc.
  void* allocate(std::size_t n);

  /// Gives back a block allocate(n) returned, for the next request of the same size: a hash
  /// table that grows out of an array hands it on to another that grows into that size.
  void release(void* block, std::size_t n);

 private:
  static std::size_t rounded(std::size_t n) { return (n + 63) & ~std::size_t{63}; }

  SpinLock lock_;
  std::vector<void*> regions_;
  std::vector<std::pair<std::size_t, std::vector<void*>>> released_;  // by size; few sizes
  std::size_t used_ = kRegion;  // in the last region
};

}  // namespace cspm::detail
