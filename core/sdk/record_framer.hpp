// Cuts a byte stream into JSON records: NDJSON lines or one whole document, with line
// numbers, file positions and line ranges for parallel readers (internal to the SDK).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <cspm/status.hpp>

#include "byte_source.hpp"

namespace cspm::detail {

/// Receives the records the framer finds.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  /// One JSON text; `capacity` counts readable bytes from `data` (at least len + the simdjson
  /// padding). `line` is its first line, `position` its offset in the file.
  virtual void record_text(const char* data, std::size_t len, std::size_t capacity,
                           std::uint64_t line, std::uint64_t position) = 0;
  /// A line longer than the record limit, skipped without being buffered.
  virtual void oversized(std::uint64_t line, std::uint64_t bytes) = 0;
};

/// A range reader starts after the first newline at or after `start` (unless that is 0) and
/// stops before the first record that starts at or after `end`.
struct LineRange {
  bool active = false;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
};

/// Reads `in` to the end (or the range's end). A whole file is NDJSON, unless it is one line
/// or one pretty-printed document (a range is always NDJSON). `lines_read` tells how many
/// lines were covered, so that the next range can number its lines. `buf` is the read
/// buffer, kept by the caller so that reading many ranges does not fault in a fresh one each.
Status frame_records(ByteSource& in, const std::string& path, LineRange range,
                     std::size_t max_record, RecordSink& sink, std::uint64_t& lines_read,
                     std::vector<char>& buf);

/// NDJSON unless the head of a file shows one pretty-printed document.
bool looks_like_ndjson(std::string_view head);

/// A plain, line-structured NDJSON file big enough to be worth splitting; sets `size`.
bool splittable(const std::string& path, std::uint64_t& size);

}  // namespace cspm::detail
