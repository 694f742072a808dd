// Input files for ingest: plain ones are read by offset, the rest spooled to become plain.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include <cspm/status.hpp>

namespace cspm::store {

/// A file opened for reading by offset, closed with this object.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& path);
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  /// Reads `length` bytes at `offset` into `into`; false if the file has fewer.
  bool read_at(std::string& into, std::size_t length, std::uint64_t offset) const;

 private:
  int fd_;
};

/// True for a regular file that does not start with the gzip magic.
bool plain_file(const std::string& path);

/// Copies stdin ("-") or a gzip file, decompressed, into `to`: re-reading winners needs
/// offsets into a plain file.
Status spool(const std::string& path, const std::filesystem::path& to);

}  // namespace cspm::store
