// Plain files are read with read(2); gzip and stdin go through zlib, which passes plain
// data through untouched, so one code path serves both.
#include "byte_source.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace cspm::detail {
namespace {

// A descriptor read in order: one it owns (read), or a shared one from its own offset
// (pread), so that the readers of one file never move each other.
class FdSource final : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd), owned_(true) {}
  FdSource(int shared_fd, std::uint64_t offset) : fd_(shared_fd), owned_(false), offset_(offset) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  long read(char* buffer, std::size_t n) override {
    for (;;) {
      const ssize_t got = owned_ ? ::read(fd_, buffer, n) : ::pread(fd_, buffer, n, static_cast<off_t>(offset_));
      if (got >= 0) {
        offset_ += static_cast<std::uint64_t>(got);
        return static_cast<long>(got);
      }
      if (errno == EINTR) continue;
      error_ = std::strerror(errno);
      return -1;
    }
  }
  std::string error() const override { return error_; }

 private:
  int fd_;
  bool owned_;
  std::uint64_t offset_ = 0;
  std::string error_;
};

class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(gzFile file) : file_(file) { gzbuffer(file_, 1 << 20); }
  ~GzipSource() override { gzclose(file_); }
  long read(char* buffer, std::size_t n) override {
    const int want = static_cast<int>(std::min<std::size_t>(n, 1u << 30));
    const int got = gzread(file_, buffer, static_cast<unsigned>(want));
    // A truncated or corrupt stream can end with 0 bytes and an error recorded: not an end.
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (got < 0 || (got == 0 && code != Z_OK)) {
      error_ = message && *message ? message : "gzip read error";
      return -1;
    }
    return got;
  }
  std::string error() const override { return error_; }

 private:
  gzFile file_;
  std::string error_;
};

}  // namespace

std::unique_ptr<ByteSource> open_byte_source(const std::string& path, Status& status) {
  const bool is_stdin = path == "-";
  const int fd = is_stdin ? ::dup(STDIN_FILENO) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    status = Status::failure("cannot open " + path + ": " + std::strerror(errno));
    return nullptr;
  }
  bool gzip = is_stdin;  // stdin cannot be peeked and rewound; zlib handles plain data too
  if (!is_stdin) {
    unsigned char magic[2] = {0, 0};
    const ssize_t got = ::pread(fd, magic, 2, 0);
    gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  }
  if (!gzip) {
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::make_unique<FdSource>(fd);
  }
  gzFile file = gzdopen(fd, "rb");
  if (!file) {
    ::close(fd);
    status = Status::failure("cannot open " + path + ": zlib could not allocate a stream");
    return nullptr;
  }
  return std::make_unique<GzipSource>(file);
}

std::unique_ptr<PlainFile> PlainFile::open(const std::string& path, Status& status) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    status = Status::failure("cannot open " + path + ": " + std::strerror(errno));
    return nullptr;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<PlainFile>(new PlainFile(fd));
}

PlainFile::~PlainFile() { ::close(fd_); }

std::unique_ptr<ByteSource> PlainFile::from(std::uint64_t offset) const {
  return std::make_unique<FdSource>(fd_, offset);
}

}  // namespace cspm::detail
