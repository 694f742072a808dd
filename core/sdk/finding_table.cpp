// Latest-state table: identity index plus an interning string pool.
#include <cspm/finding_table.hpp>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace cspm {
namespace {

// Append-only storage for interned strings; blocks never move, so views stay valid.
class StringPool {
 public:
  std::string_view intern(std::string_view s) {
    if (s.empty()) return {};
    if (auto it = set_.find(s); it != set_.end()) return *it;
    const std::string_view stored = copy(s);
    set_.insert(stored);
    return stored;
  }

 private:
  static constexpr std::size_t kBlock = 1u << 20;

  std::string_view copy(std::string_view s) {
    if (s.size() > kBlock / 4) {  // large strings get a block of their own
      big_.push_back(std::make_unique<char[]>(s.size()));
      std::memcpy(big_.back().get(), s.data(), s.size());
      return {big_.back().get(), s.size()};
    }
    if (blocks_.empty() || used_ + s.size() > kBlock) {
      blocks_.push_back(std::make_unique<char[]>(kBlock));
      used_ = 0;
    }
    char* dst = blocks_.back().get() + used_;
    std::memcpy(dst, s.data(), s.size());
    used_ += s.size();
    return {dst, s.size()};
  }

  std::unordered_set<std::string_view> set_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> big_;
  std::size_t used_ = 0;
};

struct Identity {
  std::string_view product_arn;
  std::string_view id;
  bool operator==(const Identity&) const = default;
};

struct IdentityHash {
  std::size_t operator()(const Identity& k) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(k.id);
    return h ^ (std::hash<std::string_view>{}(k.product_arn) + 0x9e3779b97f4a7c15ULL + (h << 6));
  }
};

}  // namespace

struct FindingTable::Index {
  StringPool pool;
  std::unordered_map<Identity, std::size_t, IdentityHash> rows;

  // Keeps the stored view when the text did not change (the common case for a re-evaluated
  // finding), which saves a hash lookup per field.
  void assign(std::string_view& stored, std::string_view incoming) {
    if (stored != incoming) stored = pool.intern(incoming);
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
      assign(dst.resources[i].id, src.resources[i].id);
      assign(dst.resources[i].region, src.resources[i].region);
      assign(dst.resources[i].partition, src.resources[i].partition);
    }
    dst.created_at = src.created_at;
    dst.updated_at = src.updated_at;
    dst.first_observed_at = src.first_observed_at;
    dst.last_observed_at = src.last_observed_at;
  }
};

FindingTable::FindingTable() : index_(std::make_unique<Index>()) {}
FindingTable::~FindingTable() = default;

FindingTable::Upsert FindingTable::upsert(const Finding& finding) {
  const auto it = index_->rows.find(Identity{finding.product_arn, finding.id});
  if (it != index_->rows.end()) {
    Finding& stored = rows_[it->second];
    // Equal times: the later record wins, as a re-delivered update would.
    if (finding.updated_at < stored.updated_at) return Upsert::stale;
    index_->copy_into(stored, finding);
    return Upsert::updated;
  }
  Finding& stored = rows_.emplace_back();
  stored.product_arn = index_->pool.intern(finding.product_arn);
  stored.id = index_->pool.intern(finding.id);
  index_->copy_into(stored, finding);
  index_->rows.emplace(Identity{stored.product_arn, stored.id}, rows_.size() - 1);
  return Upsert::inserted;
}

std::vector<const Finding*> FindingTable::findings() const {
  std::vector<const Finding*> out;
  out.reserve(rows_.size());
  for (const auto& f : rows_) out.push_back(&f);
  return out;
}

}  // namespace cspm
