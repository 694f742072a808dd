// zstd dictionary training, compression and decompression (libzstd).
#include "raw_codec.hpp"

#include <numeric>

#include <zdict.h>
#include <zstd.h>

namespace cspm::store {

struct RawCodec::Impl {
  std::string dictionary;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ZSTD_CDict* cdict = nullptr;
  ZSTD_DDict* ddict = nullptr;
  std::string out;
  ~Impl() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
};

std::string RawCodec::train(std::span<const std::string> samples) {
  if (samples.empty()) return {};
  std::string joined;
  std::vector<std::size_t> sizes;
  for (const auto& s : samples) {
    joined += s;
    sizes.push_back(s.size());
  }
  std::string dict(std::min<std::size_t>(64 * 1024, joined.size()), '\0');
  const std::size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), joined.data(), sizes.data(),
                                              static_cast<unsigned>(sizes.size()));
  if (!ZDICT_isError(n)) {
    dict.resize(n);
    return dict;
  }
  // Too few or too uniform samples to train on: their text still makes a good prefix.
  return joined.substr(joined.size() - std::min<std::size_t>(joined.size(), 64 * 1024));
}

RawCodec::RawCodec(std::string dictionary, int level) : impl_(std::make_unique<Impl>()) {
  impl_->dictionary = std::move(dictionary);
  impl_->cdict = ZSTD_createCDict(impl_->dictionary.data(), impl_->dictionary.size(), level);
  impl_->ddict = ZSTD_createDDict(impl_->dictionary.data(), impl_->dictionary.size());
}

RawCodec::~RawCodec() = default;

std::string_view RawCodec::compress(std::string_view json) {
  impl_->out.resize(ZSTD_compressBound(json.size()));
  const std::size_t n = ZSTD_compress_usingCDict(impl_->cctx, impl_->out.data(), impl_->out.size(),
                                                 json.data(), json.size(), impl_->cdict);
  if (ZSTD_isError(n)) return {};
  return {impl_->out.data(), n};
}

bool RawCodec::decompress(std::string_view blob, std::string& json) {
  const unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (256u << 20)) return false;
  json.resize(size);
  const std::size_t n = ZSTD_decompress_usingDDict(impl_->dctx, json.data(), json.size(), blob.data(),
                                                   blob.size(), impl_->ddict);
  if (ZSTD_isError(n)) return false;
  json.resize(n);
  return true;
}

}  // namespace cspm::store
