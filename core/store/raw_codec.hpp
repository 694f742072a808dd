// Compression of stored raw findings: zstd with a dictionary trained on the store's own data.
#pragma once
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cspm::store {

/// ASFF findings share most of their text (keys, product ARNs, control titles), so a trained
/// dictionary compresses a 2 KB finding ~6x where plain per-record compression gets ~2x.
/// Keeping raw JSON then costs little disk and, above all, little write bandwidth.
class RawCodec {
 public:
  /// A dictionary trained on `samples` (falls back to their concatenation when there are
  /// too few to train on). Empty when `samples` is.
  static std::string train(std::span<const std::string> samples);

  explicit RawCodec(std::string dictionary, int level = 1);
  ~RawCodec();
  RawCodec(const RawCodec&) = delete;
  RawCodec& operator=(const RawCodec&) = delete;

  /// Valid until the next compress().
  std::string_view compress(std::string_view json);
  /// False if `blob` is not a frame made with this dictionary.
  bool decompress(std::string_view blob, std::string& json);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cspm::store
