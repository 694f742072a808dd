// Findings read from the store for one run, with the storage their views point into.
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <cspm/finding.hpp>

#include "text_dictionary.hpp"

namespace cspm::store {

class StoredFindings {
 public:
  StoredFindings() = default;
  StoredFindings(const StoredFindings&) = delete;
  StoredFindings& operator=(const StoredFindings&) = delete;

  /// Texts by id (see TextIds); views into them stay valid while this object lives.
  TextTable texts;

  Finding& add() {
    if (size_ % kChunk == 0) chunks_.push_back(std::make_unique<Finding[]>(kChunk));
    return chunks_.back()[size_++ % kChunk];
  }
  /// Copies text that is not in `texts` (ids, resource ids…).
  std::string_view keep(std::string_view s) {
    if (s.empty()) return {};
    if (blocks_.empty() || used_ + s.size() > kBlock) {
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(std::max(kBlock, s.size())));
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    std::copy(s.begin(), s.end(), at);
    used_ += s.size();
    return {at, s.size()};
  }
  std::size_t size() const noexcept { return size_; }
  std::vector<const Finding*> pointers() const {
    std::vector<const Finding*> out;
    out.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i) out.push_back(&chunks_[i / kChunk][i % kChunk]);
    return out;
  }

 private:
  static constexpr std::size_t kBlock = 1u << 20;
  static constexpr std::size_t kChunk = 256;  // findings per allocation; a deque made one each
  std::vector<std::unique_ptr<Finding[]>> chunks_;
  std::size_t size_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = kBlock;
};

}  // namespace cspm::store
