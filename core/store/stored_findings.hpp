// Findings read from the store for one run, with the storage their views point into.
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <cspm/finding.hpp>

namespace cspm::store {

class StoredFindings {
 public:
  StoredFindings() = default;
  StoredFindings(const StoredFindings&) = delete;
  StoredFindings& operator=(const StoredFindings&) = delete;

  /// Texts by id (see TextIds); views into them stay valid while this object lives.
  std::vector<std::string> texts;

  Finding& add() { return findings_.emplace_back(); }
  /// Copies text that is not in `texts` (ids, resource ids…).
  std::string_view keep(std::string_view s) {
    if (s.empty()) return {};
    if (blocks_.empty() || used_ + s.size() > kBlock) {
      blocks_.push_back(std::make_unique<char[]>(std::max(kBlock, s.size())));
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    std::copy(s.begin(), s.end(), at);
    used_ += s.size();
    return {at, s.size()};
  }
  std::size_t size() const noexcept { return findings_.size(); }
  std::vector<const Finding*> pointers() const {
    std::vector<const Finding*> out;
    out.reserve(findings_.size());
    for (const Finding& f : findings_) out.push_back(&f);
    return out;
  }

 private:
  static constexpr std::size_t kBlock = 1u << 20;
  std::deque<Finding> findings_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = kBlock;
};

}  // namespace cspm::store
