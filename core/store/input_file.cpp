// Plain-file detection, offset reads and spooling (zlib reads gzip and plain alike).
#include "input_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace cspm::store {

namespace fs = std::filesystem;

ReadOnlyFile::ReadOnlyFile(const std::string& path) : fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0) close(fd_);
}

bool ReadOnlyFile::read_at(std::string& into, std::size_t length, std::uint64_t offset) const {
  into.resize(length);
  return fd_ >= 0 &&
         pread(fd_, into.data(), length, static_cast<off_t>(offset)) == static_cast<ssize_t>(length);
}

bool plain_file(const std::string& path) {
  std::error_code ec;
  if (path == "-" || !fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[2] = {0, 0};
  in.read(magic, 2);
  return !(magic[0] == '\x1f' && magic[1] == '\x8b');
}

Status spool(const std::string& path, const fs::path& to) {
  const int fd = path == "-" ? dup(0) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::failure(path + ": cannot open: " + std::strerror(errno));
  gzFile in = gzdopen(fd, "rb");
  if (!in) {
    close(fd);
    return Status::failure(path + ": cannot read");
  }
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  std::vector<char> buf(1u << 20);
  int n;
  while ((n = gzread(in, buf.data(), static_cast<unsigned>(buf.size()))) > 0) out.write(buf.data(), n);
  int err = 0;
  const std::string message = n < 0 ? gzerror(in, &err) : "";
  gzclose(in);
  if (n < 0) return Status::failure(path + ": " + message);
  out.close();  // flushes: a full disk shows here
  if (!out) return Status::failure(to.string() + ": cannot write the spool file (disk full?)");
  return Status::success();
}

}  // namespace cspm::store
