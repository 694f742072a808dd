// A finding's identity as 128 bits, and an open-addressing index from identities to slots.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL  // hashed for every finding ingested
#endif
#include <xxhash.h>

#include <cspm/finding.hpp>

namespace cspm::store {

// 128 bits of (ProductArn, Id), as in the SDK's FindingTable.
struct IdentityKey {
  std::uint64_t low, high;
  bool operator==(const IdentityKey&) const = default;
};

inline IdentityKey identity_key(const Finding& f) {
  const XXH128_hash_t h = XXH3_128bits_withSeed(f.id.data(), f.id.size(),
                                                XXH3_64bits(f.product_arn.data(), f.product_arn.size()));
  return {h.low64, h.high64};
}

// Identity -> index into a vector (a batch's pending winners, the writer's known rows), by
// open addressing: a lookup reads one slot where std::unordered_map chased a node, and an
// insert allocates nothing. It runs for every finding ingested.
class IdentityIndex {
 public:
  void reserve(std::size_t n) {
    while (capacity() < 2 * n + 2) grow();
  }
  void clear() {
    std::fill(slots_.begin(), slots_.end(), Slot{});
    size_ = 0;
  }
  static constexpr std::uint32_t kNone = 0xffffffff;
  /// The value stored for `key`, or kNone.
  std::uint32_t find(const IdentityKey& key) const { return slots_.empty() ? kNone : slots_[place(key)].value; }
  /// The value stored for `key`, or `value` after storing it; `inserted` tells which.
  std::uint32_t find_or_insert(const IdentityKey& key, std::uint32_t value, bool& inserted) {
    if (2 * (size_ + 1) > capacity()) grow();
    Slot& slot = probe(key);
    inserted = slot.value == kEmpty;
    if (inserted) {
      slot = {key, value};
      ++size_;
    }
    return slot.value;
  }

 private:
  static constexpr std::uint32_t kEmpty = kNone;
  struct Slot {
    IdentityKey key{0, 0};
    std::uint32_t value = kEmpty;
  };
  std::size_t capacity() const { return slots_.size(); }
  // The slot holding `key`, or the empty one where it would go.
  std::size_t place(const IdentityKey& key) const {
    const std::size_t mask = capacity() - 1;
    for (std::size_t i = key.low & mask;; i = (i + 1) & mask)
      if (slots_[i].value == kEmpty || slots_[i].key == key) return i;
  }
  Slot& probe(const IdentityKey& key) { return slots_[place(key)]; }
  void grow() {
    std::vector<Slot> old(std::max<std::size_t>(64, 2 * capacity()));
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.value != kEmpty) probe(s.key) = s;
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace cspm::store
