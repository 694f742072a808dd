// NDJSON framing: chunked reads, line numbers, oversized-record skipping, byte ranges.
#include "record_framer.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>

namespace cspm::detail {
namespace {

// Small enough that a record is parsed while its bytes are still in the core's cache: with
// 4 MB reads, a day's job took a fifth longer.
constexpr std::size_t kChunk = 256u << 10;
constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;
constexpr std::size_t kMaxDocument = 1u << 30;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// True when `line` (starting with { or [) is one complete JSON value: a pretty-printed
// document never closes its first bracket on the first line.
bool closes_on_its_line(std::string_view line) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t k = 0; k < line.size(); ++k) {
    const char c = line[k];
    if (in_string) {
      if (c == '\\') ++k;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return line.find_first_not_of(" \t\r", k + 1) == std::string_view::npos;
    }
  }
  return false;
}

}  // namespace

// NDJSON unless the text is one (pretty-printed) document: that shows on line two, which
// in NDJSON starts a new record at column 0, and in a pretty document is an indented member
// or a closing bracket.
bool looks_like_ndjson(std::string_view head) {
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);  // UTF-8 byte order mark
  std::size_t i = 0;
  while (i < head.size() && is_space(head[i])) ++i;
  if (i == head.size()) return true;
  const char first = head[i];
  if (first != '{' && first != '[') return true;
  const std::size_t nl = head.find('\n', i);
  if (nl == std::string_view::npos) return true;  // one line: either reading is the same
  if (closes_on_its_line(head.substr(i, nl - i))) return true;  // whatever the next line holds
  std::size_t j = nl + 1;
  while (j < head.size() && (head[j] == '\n' || head[j] == '\r')) ++j;
  if (j == head.size()) return true;
  // After an object, any record may follow; after '[', an unindented pretty array has '{'.
  return head[j] == '[' || (first == '{' && head[j] == '{');
}

// Plain NDJSON worth splitting: a regular file, not gzip, not one big JSON document.
bool splittable(const std::string& path, std::uint64_t& size) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  size = static_cast<std::uint64_t>(st.st_size);
  if (size < (16u << 20)) return false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string head(64 * 1024, '\0');
  const ssize_t got = ::pread(fd, head.data(), head.size(), 0);
  ::close(fd);
  if (got < 2) return false;
  head.resize(static_cast<std::size_t>(got));
  if (static_cast<unsigned char>(head[0]) == 0x1f && static_cast<unsigned char>(head[1]) == 0x8b)
    return false;
  // Only line-structured text splits: a one-line compact array is a single document.
  return head.find('\n') != std::string::npos && looks_like_ndjson(head);
}

Status frame_records(ByteSource& in, const std::string& path, LineRange range,
                     std::size_t max_record, RecordSink& sink, std::uint64_t& lines_read,
                     std::vector<char>& buf) {
  lines_read = 0;
  if (buf.size() < kChunk + kPadding) buf.resize(kChunk + kPadding);
  struct Trim {  // a buffer grown for one huge document is not kept for the next range
    std::vector<char>& buf;
    ~Trim() {
      if (buf.size() > kChunk + kPadding) std::vector<char>().swap(buf);
    }
  } trim{buf};
  std::size_t begin = 0, filled = 0;
  std::uint64_t buffer_position = range.start;  // file offset of buf[0]
  bool eof = false;
  const auto fill = [&]() -> Status {
    if (begin > 0) {
      std::memmove(buf.data(), buf.data() + begin, filled - begin);
      filled -= begin;
      buffer_position += begin;
      begin = 0;
    }
    if (buf.size() - kPadding - filled < kChunk / 2) buf.resize(buf.size() + std::max(kChunk, buf.size() / 2));
    const long got = in.read(buf.data() + filled, buf.size() - kPadding - filled);
    if (got < 0) return Status::failure("cannot read " + path + ": " + in.error());
    if (got == 0) eof = true;
    filled += static_cast<std::size_t>(got);
    return Status::success();
  };
  // Read enough to decide the container format.
  while (!eof && filled < 64 * 1024)
    if (auto s = fill(); !s) return s;
  if (range.start == 0 && filled >= 3 && std::memcmp(buf.data(), "\xEF\xBB\xBF", 3) == 0)
    begin = 3;  // a UTF-8 byte order mark, as Windows tools write them

  if (range.active && range.start > 0) {
    // The previous range owns the record this one starts in: skip to the next line.
    for (;;) {
      if (auto* nl = static_cast<char*>(std::memchr(buf.data() + begin, '\n', filled - begin))) {
        begin = static_cast<std::size_t>(nl - buf.data()) + 1;
        break;
      }
      begin = filled;
      if (eof) return Status::success();
      if (auto s = fill(); !s) return s;
    }
  } else if (!range.active) {
    // A file that is one line is one document whatever its size (a compact JSON array or
    // Findings document can be far over the per-record limit); look for a second line.
    // Offsets are relative to `begin`: fill() shifts the buffer.
    std::size_t first_nl = std::string_view::npos;
    std::size_t searched = 0;  // bytes known to hold no newline
    for (;;) {
      if (const auto* nl = static_cast<const char*>(
              std::memchr(buf.data() + begin + searched, '\n', filled - begin - searched))) {
        first_nl = static_cast<std::size_t>(nl - buf.data()) - begin;
        break;
      }
      searched = filled - begin;
      if (eof || filled > kMaxDocument) break;
      if (auto s = fill(); !s) return s;
    }
    const auto only_space_after_first_line = [&] {
      return std::all_of(buf.data() + begin + first_nl, buf.data() + filled, is_space);
    };
    while (first_nl != std::string_view::npos && !eof && only_space_after_first_line() &&
           filled <= kMaxDocument)
      if (auto s = fill(); !s) return s;
    const bool single_line =
        first_nl == std::string_view::npos || (eof && only_space_after_first_line());
    if (single_line || !looks_like_ndjson({buf.data() + begin, filled - begin})) {
      while (!eof) {
        if (filled > kMaxDocument)
          return Status::failure(path + ": a single JSON document over 1 GiB; use NDJSON");
        if (auto s = fill(); !s) return s;
      }
      if (filled > begin && !std::all_of(buf.data() + begin, buf.data() + filled, is_space))
        sink.record_text(buf.data() + begin, filled - begin, buf.size() - begin, 1, buffer_position + begin);
      return Status::success();
    }
  }

  std::uint64_t line = 1;
  bool skipping = false;  // inside an oversized record, discarding up to its newline
  std::uint64_t skipped_line = 0;
  std::size_t skipped_bytes = 0;
  std::size_t scan = 0;  // bytes before this offset (from begin) hold no newline
  for (;;) {
    char* base = buf.data() + begin;
    const std::size_t avail = filled - begin;
    const std::uint64_t position = buffer_position + begin;
    if (range.active && position >= range.end && !skipping) return Status::success();
    auto* nl = static_cast<char*>(std::memchr(base + scan, '\n', avail - scan));
    if (!nl) {
      if (eof) {
        if (skipping) {
          sink.oversized(skipped_line, skipped_bytes + avail);
        } else if (avail > 0 && !std::all_of(base, base + avail, is_space)) {
          sink.record_text(base, avail, buf.size() - begin, line, position);
        }
        lines_read = line;
        return Status::success();
      }
      if (skipping || avail > max_record) {
        if (!skipping) {
          skipping = true;
          skipped_line = line;
          skipped_bytes = 0;
        }
        skipped_bytes += avail;
        begin = filled;
        scan = 0;
      } else {
        scan = avail;
      }
      if (auto s = fill(); !s) return s;
      continue;
    }
    const std::size_t len = static_cast<std::size_t>(nl - base);
    if (skipping) {
      sink.oversized(skipped_line, skipped_bytes + len);
      skipping = false;
    } else if (len > max_record) {
      sink.oversized(line, len);
    } else if (!std::all_of(base, nl, is_space)) {
      sink.record_text(base, len, buf.size() - begin, line, position);
    }
    lines_read = line;
    ++line;
    begin += len + 1;
    scan = 0;
  }
}

}  // namespace cspm::detail
