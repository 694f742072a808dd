// Tests for core/sdk/region_arena: aligned, disjoint blocks, from several threads at once.
#define BOOST_TEST_MODULE region_arena
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "../../../core/sdk/region_arena.hpp"

using cspm::detail::RegionArena;

namespace {

using Block = std::pair<std::uintptr_t, std::size_t>;

bool disjoint(std::vector<Block> blocks) {
  std::sort(blocks.begin(), blocks.end());
  for (std::size_t i = 1; i < blocks.size(); ++i)
    if (blocks[i - 1].first + blocks[i - 1].second > blocks[i].first) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(blocks_are_aligned_disjoint_and_writable) {
  RegionArena arena;
  std::vector<Block> blocks;
  for (std::size_t n : {1u, 63u, 64u, 1000u, 700000u, 700000u, 700000u, 5u}) {
    void* p = arena.allocate(n);
    BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % 64 == 0u);
    std::memset(p, 0xAB, n);
    blocks.emplace_back(reinterpret_cast<std::uintptr_t>(p), n);
  }
  BOOST_TEST(disjoint(blocks));
  BOOST_CHECK_NO_THROW(arena.allocate(RegionArena::kRegion));  // a whole region is fine
  BOOST_CHECK_THROW(arena.allocate(RegionArena::kRegion + 1), std::bad_alloc);
}

BOOST_AUTO_TEST_CASE(threads_never_get_the_same_memory) {
  RegionArena arena;
  std::vector<std::vector<Block>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < 2000; ++i) {
        const std::size_t n = 64 + (i * 37 + t * 11) % 4000;
        got[t].emplace_back(reinterpret_cast<std::uintptr_t>(arena.allocate(n)), n);
      }
    });
  for (auto& t : threads) t.join();
  std::vector<Block> all;
  for (const auto& g : got) all.insert(all.end(), g.begin(), g.end());
  BOOST_TEST(all.size() == 8000u);
  BOOST_TEST(disjoint(all));
}

BOOST_AUTO_TEST_CASE(a_released_block_serves_the_next_request_of_its_size) {
  RegionArena arena;
  void* a = arena.allocate(3000);
  arena.release(a, 3000);
  void* other = arena.allocate(6000);  // another size: fresh memory
  BOOST_TEST(other != a);
  BOOST_TEST(arena.allocate(2990) == a);  // the same rounded size
  BOOST_TEST(arena.allocate(3000) != a);  // handed out once only
}
