// Latest-state table: identity index plus an interning string pool.
#include <cspm/finding_table.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>

#define XXH_INLINE_ALL  // the short-string paths inline; hashing is on every upsert
#include <xxhash.h>

#include "region_arena.hpp"
#include "spin_lock.hpp"

namespace cspm {
namespace {

// Open addressing with the full hash stored per slot: a lookup is usually one slot read and
// one string compare. std::unordered_* chased a list node per probe and was 40% of ingest.
// Slots come from the table's arena, which passes a grown-out array on to the next table that
// grows into its size; arrays too large for the arena get memory of their own.
template <class Entry>
class FlatTable {
 public:
  detail::RegionArena* arena = nullptr;

  /// The slot for `hash` whose entry satisfies `same`, or the empty slot where it belongs.
  template <class Same>
  Entry& find(std::uint64_t hash, Same&& same) {
    if ((size_ + 1) * 2 > capacity_) grow();
    return probe(hash, same);
  }
  void inserted() { ++size_; }

  /// Asks the CPU for the cache line where `hash` would be found. Safe without the lock: the
  /// array is read through a published copy and a prefetch never faults.
  void prefetch(std::uint64_t hash) const noexcept {
    // The pair may be torn by a concurrent grow: the address is then computed as an integer
    // (no out-of-bounds pointer is formed) and names memory that is merely not the slot.
    const auto slots = reinterpret_cast<std::uintptr_t>(published_slots_.load(std::memory_order_relaxed));
    const std::size_t mask = published_mask_.load(std::memory_order_relaxed);
    if (slots) __builtin_prefetch(reinterpret_cast<const void*>(slots + (hash & mask) * sizeof(Entry)));
  }

 private:
  template <class Same>
  Entry& probe(std::uint64_t hash, Same& same) {
    const std::size_t mask = capacity_ - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Entry& e = slots_[i];
      if (e.empty() || (e.hash == hash && same(e))) return e;
    }
  }
  void grow() {
    // Small at first: a run over a few findings should not pay for zeroing megabytes.
    const std::size_t capacity = capacity_ ? capacity_ * 2 : 64;
    Entry* slots;
    std::unique_ptr<Entry[]> own;
    if (capacity * sizeof(Entry) <= detail::RegionArena::kRegion / 2) {
      slots = static_cast<Entry*>(arena->allocate(capacity * sizeof(Entry)));
      std::uninitialized_value_construct_n(slots, capacity);
    } else {
      own = std::make_unique<Entry[]>(capacity);
      slots = own.get();
    }
    const std::size_t mask = capacity - 1;
    for (std::size_t k = 0; k < capacity_; ++k) {
      const Entry& e = slots_[k];
      if (e.empty()) continue;
      std::size_t i = e.hash & mask;
      while (!slots[i].empty()) i = (i + 1) & mask;
      slots[i] = e;
    }
    if (slots_ && !own_) arena->release(slots_, capacity_ * sizeof(Entry));
    slots_ = slots;
    capacity_ = capacity;
    own_ = std::move(own);
    published_mask_.store(capacity - 1, std::memory_order_relaxed);
    published_slots_.store(slots, std::memory_order_relaxed);
  }
  static_assert(std::is_trivially_destructible_v<Entry>, "arena slots are never destroyed");
  Entry* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  std::unique_ptr<Entry[]> own_;
  std::atomic<const Entry*> published_slots_{nullptr};
  std::atomic<std::size_t> published_mask_{0};
};

// Hash values are never 0, so 0 marks an empty slot. The marker is the top bit: slots are
// picked by the low bits, and forcing one of those would leave half the slots unused.
std::uint64_t hash_of(std::string_view s) noexcept {
  return XXH3_64bits(s.data(), s.size()) | (std::uint64_t{1} << 63);
}

// Append-only string storage; blocks never move, so views stay valid. intern() stores each
// distinct text once, for text that repeats across findings (accounts, titles, descriptions);
// store() just copies, for text that is mostly unique (ids): interning those would only grow
// the lookup set until every probe misses the cache.
class StringPool {
 public:
  void set_arena(detail::RegionArena& arena) { arena_ = set_.arena = &arena; }

  std::string_view store(std::string_view s) { return s.empty() ? std::string_view{} : copy(s); }

  std::string_view intern(std::string_view s) {
    if (s.empty()) return {};
    const std::uint64_t h = hash_of(s);
    Slot& slot = set_.find(h, [&](const Slot& e) { return e.text == s; });
    if (slot.empty()) {
      slot = Slot{h, copy(s)};
      set_.inserted();
    }
    return slot.text;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::string_view text;
    bool empty() const { return hash == 0; }
  };
  static constexpr std::size_t kBlock = 64u << 10;

  std::string_view copy(std::string_view s) {
    if (s.size() > kBlock / 4) {  // large strings get memory of their own
      big_.push_back(std::make_unique_for_overwrite<char[]>(s.size()));
      std::memcpy(big_.back().get(), s.data(), s.size());
      return {big_.back().get(), s.size()};
    }
    if (used_ + s.size() > kBlock) {
      block_ = static_cast<char*>(arena_->allocate(kBlock));
      used_ = 0;
    }
    char* dst = block_ + used_;
    std::memcpy(dst, s.data(), s.size());
    used_ += s.size();
    return {dst, s.size()};
  }

  detail::RegionArena* arena_ = nullptr;  // where blocks come from
  FlatTable<Slot> set_;
  char* block_ = nullptr;
  std::size_t used_ = kBlock;
  std::vector<std::unique_ptr<char[]>> big_;
};

// 128 bits of the identity (ProductArn, Id). The table compares identities by this hash
// alone: a lookup then reads one slot instead of chasing the stored strings, which cost a
// cache miss each. Two identities collide with probability ~2^-128 per pair, far below the
// chance of a memory error; the ticket fingerprints rely on the same margin.
struct IdentityHash {
  std::uint64_t low, high;
};

IdentityHash identity_hash(const Finding& f) noexcept {
  const XXH128_hash_t h =
      XXH3_128bits_withSeed(f.id.data(), f.id.size(), XXH3_64bits(f.product_arn.data(), f.product_arn.size()));
  return {h.low64 | (std::uint64_t{1} << 63), h.high64};
}

// One stored finding: what deciding "is this newer?" needs, in one cache line.
struct RowSlot {
  std::uint64_t hash = 0;        // IdentityHash::low; 0 when empty
  std::uint64_t check = 0;       // IdentityHash::high
  Timestamp updated_at = 0;
  std::uint64_t sequence = 0;
  std::uint64_t content = 0;
  Finding* finding = nullptr;
  bool empty() const { return hash == 0; }
};

// Findings in chunks that never move, built in place as they arrive (a std::deque of a
// struct this large allocates each element on its own).
class FindingStore {
 public:
  detail::RegionArena* arena = nullptr;  // where chunks come from

  FindingStore() = default;
  FindingStore(const FindingStore&) = delete;
  FindingStore& operator=(const FindingStore&) = delete;
  ~FindingStore() {
    each([](const Finding& f) { f.~Finding(); });
  }

  Finding& emplace_back() {
    if (size_ / kChunk == chunks_.size()) {
      if (chunks_.size() == chunks_.capacity()) chunks_.reserve(2 * chunks_.size() + 8);
      chunks_.push_back(static_cast<Finding*>(arena->allocate(kChunk * sizeof(Finding))));
    }
    Finding* f = new (chunks_.back() + size_ % kChunk) Finding{};
    ++size_;
    return *f;
  }
  void pop_back() {
    --size_;
    chunks_[size_ / kChunk][size_ % kChunk].~Finding();
  }
  std::size_t size() const { return size_; }
  template <class F>
  void each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f(chunks_[i / kChunk][i % kChunk]);
  }

 private:
  static constexpr std::size_t kChunk = 64;
  std::vector<Finding*> chunks_;
  std::size_t size_ = 0;
};

}  // namespace

// Upserts hold a shard for about a microsecond and readers rarely meet on one of the 64. Each
// starts a cache line, so that locking one never steals the line of its neighbour.
struct alignas(64) FindingTable::Shard {
  detail::SpinLock lock;
  StringPool pool;
  FlatTable<RowSlot> rows;
  FindingStore findings;

  // Keeps the stored view when the text did not change (the common case for a re-evaluated
  // finding), which saves a hash lookup per field.
  void assign(std::string_view& stored, std::string_view incoming) {
    if (stored != incoming) stored = pool.intern(incoming);
  }

  void assign_unique(std::string_view& stored, std::string_view incoming) {
    if (stored != incoming) stored = pool.store(incoming);
  }

  void copy_into(Finding& dst, const Finding& src) {
    assign(dst.account_id, src.account_id);
    assign(dst.account_name, src.account_name);
    assign(dst.region, src.region);
    assign(dst.type, src.type);
    assign(dst.generator_id, src.generator_id);
    assign(dst.control_id, src.control_id);
    assign(dst.product_name, src.product_name);
    assign(dst.severity, src.severity);
    assign(dst.compliance_status, src.compliance_status);
    assign(dst.workflow_status, src.workflow_status);
    assign(dst.record_state, src.record_state);
    assign(dst.title, src.title);
    assign(dst.description, src.description);
    assign(dst.remediation_text, src.remediation_text);
    assign(dst.remediation_url, src.remediation_url);
    assign(dst.source_url, src.source_url);
    dst.resources.resize(src.resources.size());
    for (std::size_t i = 0; i < src.resources.size(); ++i) {
      assign(dst.resources[i].type, src.resources[i].type);
      assign_unique(dst.resources[i].id, src.resources[i].id);
      assign(dst.resources[i].region, src.resources[i].region);
      assign(dst.resources[i].partition, src.resources[i].partition);
    }
    copy_times(dst, src);
  }

  static void copy_times(Finding& dst, const Finding& src) {
    dst.created_at = src.created_at;
    dst.updated_at = src.updated_at;
    dst.first_observed_at = src.first_observed_at;
    dst.last_observed_at = src.last_observed_at;
  }
};

struct FindingTable::Impl {
  detail::RegionArena arena;  // first: destroyed after the shards that point into it
  Shard shards[kShards];

  Impl() {
    for (Shard& s : shards) {
      s.pool.set_arena(arena);
      s.rows.arena = &arena;
      s.findings.arena = &arena;
    }
  }
};

FindingTable::FindingTable() : impl_(std::make_unique<Impl>()) {}
FindingTable::~FindingTable() = default;

FindingTable::Upsert FindingTable::upsert(const Finding& finding, std::uint64_t sequence) {
  const IdentityHash id = identity_hash(finding);
  Shard& shard = impl_->shards[(id.low >> 32) % kShards];  // low bits pick the slot inside the shard
  // The lock and the slot are usually cache misses (the other reader touched them last):
  // fetch both while the content hash is computed.
  __builtin_prefetch(&shard.lock, 1);
  shard.rows.prefetch(id.low);
  const std::uint64_t content = content_hash(finding);
  const std::lock_guard guard{shard.lock};
  RowSlot& slot = shard.rows.find(id.low, [&](const RowSlot& e) { return e.check == id.high; });
  if (!slot.empty()) {
    if (finding.updated_at < slot.updated_at ||
        (finding.updated_at == slot.updated_at && sequence < slot.sequence))
      return Upsert::stale;
    Finding& stored = *slot.finding;
    if (slot.content == content)
      shard.copy_times(stored, finding);
    else
      shard.copy_into(stored, finding);
    slot.updated_at = finding.updated_at;
    slot.sequence = sequence;
    slot.content = content;
    return Upsert::updated;
  }
  // The finding is complete before the slot points at it: if copying throws (out of memory)
  // the identity stays unknown rather than half stored.
  Finding& stored = shard.findings.emplace_back();
  try {
    stored.product_arn = shard.pool.intern(finding.product_arn);
    stored.id = shard.pool.store(finding.id);
    shard.copy_into(stored, finding);
  } catch (...) {
    shard.findings.pop_back();
    throw;
  }
  slot = RowSlot{id.low, id.high, finding.updated_at, sequence, content, &stored};
  shard.rows.inserted();
  return Upsert::inserted;
}

std::size_t FindingTable::size() const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) n += impl_->shards[i].findings.size();
  return n;
}

std::vector<const Finding*> FindingTable::findings() const {
  std::vector<const Finding*> out;
  out.reserve(size());
  for (std::size_t i = 0; i < kShards; ++i)
    impl_->shards[i].findings.each([&](const Finding& f) { out.push_back(&f); });
  return out;
}

}  // namespace cspm
