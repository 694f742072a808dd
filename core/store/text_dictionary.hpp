// Repeated finding text (titles, descriptions, regions, statuses…) stored once, by id.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sqlite.hpp"

namespace cspm::store {

/// The writer's side of the `texts` table: text -> id, adding what is new. A day brings
/// ~100,000 findings but only a few thousand distinct such texts, so rows carry integers
/// and a run reads each text once.
///
/// One TextIds lives as long as its store connection and serves each write transaction in
/// turn: begin() (inside the transaction) reads only the rows added since it last looked
/// (rows are never deleted or changed, so what it holds stays true), and rollback() forgets
/// the ids of a transaction that did not commit. Loading the whole table for every small
/// batch (the daemon writes one per Firehose request) would cost more than the batch.
class TextIds {
 public:
  explicit TextIds(Database& db);
  void begin();
  void commit();
  void rollback();
  /// 0 for empty text (stored as NULL).
  std::int64_t id(std::string_view text);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  Database& db_;
  std::optional<Statement> insert_;  // prepared on first use (the schema may not exist yet)
  std::unordered_map<std::string, std::int64_t, Hash, std::equal_to<>> ids_;
  std::int64_t known_up_to_ = 0;            // the highest id read from the table
  std::vector<std::string> added_;           // inserted by the open transaction
};

/// The reader's side: every text by id, in one buffer. Titles of GuardDuty and Inspector
/// findings name their resource, so a month's store holds ~200,000 texts: a string each
/// made loading them a third of a run.
class TextTable {
 public:
  /// The text with this id; empty for 0 and unknown ids.
  std::string_view operator[](std::int64_t id) const noexcept {
    if (id <= 0 || static_cast<std::uint64_t>(id) >= spans_.size()) return {};
    const Span& s = spans_[static_cast<std::size_t>(id)];
    return {blob_.data() + s.offset, s.size};
  }

 private:
  friend TextTable load_texts(Database& db);
  struct Span {
    std::uint64_t offset = 0;
    std::uint32_t size = 0;
  };
  std::string blob_;
  std::vector<Span> spans_;
};

TextTable load_texts(Database& db);

}  // namespace cspm::store
