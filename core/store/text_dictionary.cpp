// texts: loaded whole (it is small), extended by the single writer inside its transaction.
#include "text_dictionary.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace cspm::store {

// Titles and descriptions run to hundreds of bytes; XXH3 hashes them several times faster
// than std::hash.
std::size_t TextIds::Hash::operator()(std::string_view s) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
}

TextIds::TextIds(Database& db) : db_(db), insert_(db.prepare("INSERT INTO texts (text) VALUES (?1)")) {
  auto all = db.prepare("SELECT id, text FROM texts");
  while (all.step()) ids_.emplace(std::string{all.text(1)}, all.integer(0));
}

std::int64_t TextIds::id(std::string_view text) {
  if (text.empty()) return 0;
  if (const auto it = ids_.find(text); it != ids_.end()) return it->second;
  insert_.bind(1, text).run();
  const std::int64_t id = db_.last_insert_rowid();
  ids_.emplace(std::string{text}, id);
  return id;
}

std::vector<std::string> load_texts(Database& db) {
  std::vector<std::string> texts(1);
  auto all = db.prepare("SELECT id, text FROM texts ORDER BY id");
  while (all.step()) {
    const auto id = static_cast<std::size_t>(all.integer(0));
    if (id >= texts.size()) texts.resize(id + 1);
    texts[id] = all.text(1);
  }
  return texts;
}

}  // namespace cspm::store
