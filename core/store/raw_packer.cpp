// RawPacker: the store's dictionary when it has one, else text until one can be trained.
#include "raw_packer.hpp"

namespace cspm::store {

RawPacker::RawPacker(std::optional<std::pair<std::int64_t, std::string>> dictionary, std::vector<std::string>* samples)
    : samples_(samples ? *samples : own_samples_) {
  if (dictionary) {
    dict_ = dictionary->first;
    codec_ = std::make_unique<RawCodec>(std::move(dictionary->second));
  }
}

void RawPacker::pack(std::string_view raw, std::int64_t& dict, std::string& packed, std::string& new_dictionary) {
  if (!codec_) {
    samples_.emplace_back(raw);
    if (samples_.size() < kTrainingSamples) return;
    trained_ = RawCodec::train(samples_);
    new_dictionary = trained_;
    codec_ = std::make_unique<RawCodec>(trained_);
    dict_ = kNewDictionary;
    samples_.clear();
    return;
  }
  const std::string_view compressed = codec_->compress(raw);
  if (compressed.empty()) return;  // kept as text
  packed.assign(compressed);
  dict = dict_;
}

}  // namespace cspm::store
