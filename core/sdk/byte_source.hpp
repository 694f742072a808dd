// Sequential bytes from a file, a gzip file or stdin (internal to the SDK library).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <cspm/status.hpp>

namespace cspm::detail {

/// A readable stream of decompressed bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Reads up to `n` bytes; returns 0 at end; -1 on error (see error()).
  virtual long read(char* buffer, std::size_t n) = 0;
  virtual std::string error() const = 0;
};

/// Opens `path` ("-" = stdin). gzip input is detected by its magic bytes.
std::unique_ptr<ByteSource> open_byte_source(const std::string& path, Status& status);

/// A plain (uncompressed) regular file from byte `offset` on.
std::unique_ptr<ByteSource> open_byte_source_at(const std::string& path, std::uint64_t offset,
                                                Status& status);

}  // namespace cspm::detail
