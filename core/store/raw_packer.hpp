// Compression of the raw JSON an ingest stores, with the store's dictionary or one trained
// on the ingest's first findings.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "raw_codec.hpp"

namespace cspm::store {

class RawPacker {
 public:
  /// The `dict` of a finding packed with the dictionary trained in this transaction: the
  /// writer stores that dictionary first (add_raw_dictionary) and uses the id it gets.
  static constexpr std::int64_t kNewDictionary = -1;

  /// `dictionary`: the store's newest (id, bytes), if any. Without one, findings are kept
  /// as text and collected in `samples` (kept by the caller across transactions, or by this
  /// packer when null) until there are enough to train one.
  explicit RawPacker(std::optional<std::pair<std::int64_t, std::string>> dictionary,
                     std::vector<std::string>* samples = nullptr);

  /// Packs `raw` into `packed` and sets `dict` (left 0: keep the text). Sets
  /// `new_dictionary` when it trained one just now.
  void pack(std::string_view raw, std::int64_t& dict, std::string& packed, std::string& new_dictionary);

  /// The dictionary trained by this packer, if any.
  const std::string& trained() const noexcept { return trained_; }

 private:
  static constexpr std::size_t kTrainingSamples = 1000;
  std::int64_t dict_ = 0;
  std::unique_ptr<RawCodec> codec_;
  std::vector<std::string> own_samples_;
  std::vector<std::string>& samples_;
  std::string trained_;
};

}  // namespace cspm::store
