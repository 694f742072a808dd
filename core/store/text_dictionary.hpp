// Repeated finding text (titles, descriptions, regions, statuses…) stored once, by id.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sqlite.hpp"

namespace cspm::store {

/// The writer's side of the `texts` table: text -> id, adding what is new. A day brings
/// ~100,000 findings but only a few thousand distinct such texts, so rows carry integers
/// and a run reads each text once.
class TextIds {
 public:
  explicit TextIds(Database& db);
  /// 0 for empty text (stored as NULL).
  std::int64_t id(std::string_view text);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  Database& db_;
  Statement insert_;
  std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> ids_;
};

/// The reader's side: every text by id (index 0 is the empty text).
std::vector<std::string> load_texts(Database& db);

}  // namespace cspm::store
