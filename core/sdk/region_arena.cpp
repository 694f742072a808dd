// Bump allocation out of 2 MB regions the kernel may back with huge pages.
#include "region_arena.hpp"

#include <cstdint>
#include <mutex>
#include <new>

#include <sys/mman.h>

namespace cspm::detail {

namespace {

// A 2 MB-aligned region of its own mapping, so that the huge-page advice covers exactly it
// (advising memory malloc owns would outlive the region in the heap).
void* map_region(std::size_t size) {
  void* raw = ::mmap(nullptr, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + size - 1) / size * size;
  if (aligned > start) ::munmap(raw, aligned - start);
  if (const std::uintptr_t tail = start + 2 * size - (aligned + size); tail > 0)
    ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* region = reinterpret_cast<void*>(aligned);
  ::madvise(region, size, MADV_HUGEPAGE);  // advice: refused, the region is paged as usual
  return region;
}

}  // namespace

RegionArena::~RegionArena() {
  for (void* region : regions_) ::munmap(region, kRegion);
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
    regions_.push_back(map_region(kRegion));
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
