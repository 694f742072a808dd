// texts: read incrementally per write transaction, extended by the single writer inside it.
#include "text_dictionary.hpp"

#include <algorithm>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace cspm::store {

// Titles and descriptions run to hundreds of bytes; XXH3 hashes them several times faster
// than std::hash.
std::size_t TextIds::Hash::operator()(std::string_view s) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
}

TextIds::TextIds(Database& db) : db_(db) {}

void TextIds::begin() {
  auto fresh = db_.prepare("SELECT id, text FROM texts WHERE id > ?1 ORDER BY id");
  fresh.bind(1, known_up_to_);
  while (fresh.step()) {
    ids_.emplace(std::string{fresh.text(1)}, fresh.integer(0));
    known_up_to_ = fresh.integer(0);
  }
  added_.clear();
}

void TextIds::commit() { added_.clear(); }

void TextIds::rollback() {
  for (const auto& text : added_) {
    const auto it = ids_.find(text);
    if (it != ids_.end() && it->second > known_up_to_) ids_.erase(it);
  }
  added_.clear();
}

std::int64_t TextIds::id(std::string_view text) {
  if (text.empty()) return 0;
  if (const auto it = ids_.find(text); it != ids_.end()) return it->second;
  if (!insert_) insert_.emplace(db_.prepare("INSERT INTO texts (text) VALUES (?1)"));
  insert_->bind(1, text).run();
  const std::int64_t id = db_.last_insert_rowid();
  ids_.emplace(std::string{text}, id);
  added_.emplace_back(text);
  return id;
}

TextTable load_texts(Database& db) {
  TextTable table;
  auto all = db.prepare("SELECT id, text FROM texts ORDER BY id");
  while (all.step()) {
    const auto id = static_cast<std::size_t>(all.integer(0));
    const std::string_view text = all.text(1);
    if (id >= table.spans_.size()) table.spans_.resize(std::max(id + 1, table.spans_.size() * 2));
    table.spans_[id] = {table.blob_.size(), static_cast<std::uint32_t>(text.size())};
    table.blob_ += text;
  }
  return table;
}

}  // namespace cspm::store
