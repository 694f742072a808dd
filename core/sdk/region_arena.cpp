// Bump allocation out of 2 MB regions the kernel may back with huge pages.
#include "region_arena.hpp"

#include <cstdlib>
#include <mutex>
#include <new>

#include <sys/mman.h>

namespace cspm::detail {

RegionArena::~RegionArena() {
  for (void* region : regions_) std::free(region);
}

void* RegionArena::allocate(std::size_t n) {
  n = rounded(n);
  if (n > kRegion) throw std::bad_alloc();
  const std::lock_guard guard{lock_};
  for (auto& [size, blocks] : released_)
    if (size == n && !blocks.empty()) {
      void* block = blocks.back();
      blocks.pop_back();
      return block;
    }
  if (used_ + n > kRegion) {
    // Reserved first, so that push_back cannot throw once the region is allocated.
    if (regions_.size() == regions_.capacity()) regions_.reserve(2 * regions_.size() + 8);
    void* region = std::aligned_alloc(kRegion, kRegion);
    if (!region) throw std::bad_alloc();
    ::madvise(region, kRegion, MADV_HUGEPAGE);  // advice: refused, the region is paged as usual
    regions_.push_back(region);
    used_ = 0;
  }
  void* p = static_cast<char*>(regions_.back()) + used_;
  used_ += n;
  return p;
}


void RegionArena::release(void* block, std::size_t n) {
  n = rounded(n);
  const std::lock_guard guard{lock_};
  for (auto& [size, blocks] : released_)
    if (size == n) {
      blocks.push_back(block);
      return;
    }
  released_.emplace_back(n, std::vector<void*>{block});
}

}  // namespace cspm::detail
