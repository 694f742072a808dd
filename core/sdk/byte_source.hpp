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

/// A plain (uncompressed) file opened once and read from several offsets at a time: the
/// pieces of a parallel read then all read the same file, even if it is replaced meanwhile.
class PlainFile {
 public:
  static std::unique_ptr<PlainFile> open(const std::string& path, Status& status);
  ~PlainFile();
  PlainFile(const PlainFile&) = delete;
  PlainFile& operator=(const PlainFile&) = delete;

  /// Its bytes from `offset` on; any number of these may read at once.
  std::unique_ptr<ByteSource> from(std::uint64_t offset) const;

 private:
  explicit PlainFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace cspm::detail
