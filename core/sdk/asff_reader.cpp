// Streams findings out of NDJSON, JSON documents and gzip with simdjson On-Demand.
#include <cspm/asff_reader.hpp>

#include <algorithm>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>

#include "asff_fields.hpp"
#include "byte_source.hpp"

namespace cspm {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

constexpr std::size_t kChunk = 4u << 20;
constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;
constexpr std::size_t kMaxDocument = 1u << 30;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Counts lines up to a position, moving forward only.
class LineCounter {
 public:
  void reset(const char* base, std::uint64_t first_line) {
    pos_ = base;
    line_ = first_line;
  }
  std::uint64_t at(const char* p) {
    if (p > pos_) {
      line_ += static_cast<std::uint64_t>(std::count(pos_, p, '\n'));
      pos_ = p;
    }
    return line_;
  }

 private:
  const char* pos_ = nullptr;
  std::uint64_t line_ = 1;
};

}  // namespace

struct AsffReader::Impl final : detail::ContainerVisitor {
  od::parser parser;
  detail::AsffFieldParser fields;
  std::size_t max_record;

  // Findings of the document being parsed: handed out only once the whole document proved
  // to be valid JSON, so a truncated event never yields half of its findings.
  std::vector<Finding> pending;
  std::vector<std::string_view> pending_raw;
  std::vector<std::uint64_t> pending_position;
  std::size_t pending_count = 0;
  Finding outer;
  std::string outer_problem, inner_problem;
  // Problems found inside the document: reported only if the document is valid JSON (else
  // the one JSON error stands for the whole record).
  std::vector<std::pair<std::uint64_t, std::string>> pending_problems;

  // The document being parsed.
  od::document doc;
  const char* end = nullptr;
  const char* base = nullptr;           // first byte of the document
  std::uint64_t base_position = 0;      // its offset in the file
  LineCounter lines;
  const std::string* source = nullptr;
  FindingHandler* handler = nullptr;
  ReadStats* stats = nullptr;

  explicit Impl(std::size_t max) : max_record(max) {}

  void malformed(std::uint64_t line, std::string reason) {
    ++stats->malformed;
    handler->on_malformed({*source, line, std::move(reason)});
  }
  void problem(const char* at, std::string reason) {
    pending_problems.emplace_back(lines.at(at), std::move(reason));
  }

  Finding& next_pending() {
    if (pending_count == pending.size()) {
      pending.emplace_back();
      pending_raw.emplace_back();
      pending_position.emplace_back();
    }
    return pending[pending_count];
  }

  // Queues the finding just parsed into pending[pending_count], or reports its problem.
  void accept(const char* start, const std::string& problem) {
    if (!problem.empty()) {
      this->problem(start, problem);
      return;
    }
    const char* stop = end;
    if (const char* loc; !doc.current_location().get(loc) && loc >= start && loc <= end)
      stop = loc;
    while (stop > start && stop[-1] != '}') --stop;
    pending_raw[pending_count] = std::string_view(start, static_cast<std::size_t>(stop - start));
    pending_position[pending_count] = base_position + static_cast<std::uint64_t>(start - base);
    ++pending_count;
  }

  error_code nested_finding(od::value& v) {
    const char* start = v.raw_json_token().data();
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t != od::json_type::object) {
      problem(start, "findings[]: expected an object");
      return SUCCESS;
    }
    od::object obj;
    if (auto e = v.get_object().get(obj)) return e;
    if (auto e = fields.parse(obj, next_pending(), inner_problem)) return e;
    accept(start, inner_problem);
    return SUCCESS;
  }

  error_code findings_array(od::value& v) {
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t != od::json_type::array) {
      problem(v.raw_json_token().data(), "findings: expected an array");
      return SUCCESS;
    }
    od::array arr;
    if (auto e = v.get_array().get(arr)) return e;
    for (auto element : arr) {
      od::value fv;
      if (auto e = element.get(fv)) return e;
      if (auto e = nested_finding(fv)) return e;
    }
    return SUCCESS;
  }

  error_code visit(std::string_view key, od::value& v) override {
    if (key != "detail") return findings_array(v);
    const char* at = v.raw_json_token().data();
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t != od::json_type::object) {
      problem(at, "detail: expected an object");
      return SUCCESS;
    }
    od::object detail;
    if (auto e = v.get_object().get(detail)) return e;
    bool found = false;
    for (auto field : detail) {
      std::string_view k;
      if (auto e = field.unescaped_key().get(k)) return e;
      if (k != "findings") continue;
      found = true;
      od::value fv = field.value();
      if (auto e = findings_array(fv)) return e;
    }
    if (!found) problem(at, "detail.findings: missing");
    return SUCCESS;
  }

  // An EventBridge event, a Findings document or a bare finding: which one shows only in
  // the keys, so the object is walked once as a finding with container keys delegated.
  error_code record(od::value& v) {
    ++stats->records;
    const char* start = v.raw_json_token().data();
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t != od::json_type::object) {
      problem(start, "expected a JSON object (an event or a finding)");
      return SUCCESS;
    }
    od::object obj;
    if (auto e = v.get_object().get(obj)) return e;
    bool container = false;
    if (auto e = fields.parse(obj, outer, outer_problem, this, &container)) return e;
    if (container) return SUCCESS;
    next_pending() = outer;
    accept(start, outer_problem);
    return SUCCESS;
  }

  void document(const char* data, std::size_t len, std::size_t capacity, std::uint64_t line,
                std::uint64_t position) {
    pending_count = 0;
    pending_problems.clear();
    base = data;
    base_position = position;
    lines.reset(data, line);
    end = data + len;
    const std::uint64_t records_before = stats->records;
    error_code e = parser.iterate(data, len, capacity).get(doc);
    const bool iterated = !e;  // when stage 1 fails, `doc` holds nothing to ask
    od::json_type t{};
    if (!e) e = doc.type().get(t);
    if (!e && t == od::json_type::array) {
      od::array arr;
      e = doc.get_array().get(arr);
      if (!e)
        for (auto element : arr) {
          od::value v;
          if ((e = element.get(v)) || (e = record(v))) break;
        }
    } else if (!e && t != od::json_type::object) {
      ++stats->records;
      malformed(line, "expected a JSON object (an event or a finding)");
      return;
    } else if (!e) {
      od::value v;
      e = doc.get_value().get(v);
      if (!e) e = record(v);
    }
    // A structural token left after the document (e.g. a stray "]}") is an error; with
    // nothing left, current_location() reports OUT_OF_BOUNDS.
    if (const char* rest; !e && !doc.current_location().get(rest)) e = simdjson::TRAILING_CONTENT;
    if (e) {
      if (stats->records == records_before) ++stats->records;
      std::uint64_t where = line;
      if (const char* loc; iterated && !doc.current_location().get(loc) && loc >= data && loc <= end)
        where = lines.at(loc);
      malformed(where, std::string{"invalid JSON: "} + simdjson::error_message(e));
      return;
    }
    for (auto& [at, reason] : pending_problems) malformed(at, std::move(reason));
    for (std::size_t i = 0; i < pending_count; ++i) {
      ++stats->findings;
      handler->on_finding(pending[i], pending_raw[i], pending_position[i]);
    }
  }

  void bind(const std::string& src, FindingHandler& h, ReadStats& s) {
    source = &src;
    handler = &h;
    stats = &s;
  }

  /// Reads records. A range reader (`range` set) starts after the first newline at or
  /// after `range.start` (unless that is 0) and stops before the first record that starts
  /// at or after `range.end`; `lines_read` tells how many lines it covered.
  struct Range {
    bool active = false;
    std::uint64_t start = 0;
    std::uint64_t end = 0;
  };
  Status read_stream(detail::ByteSource& in, const std::string& path, Range range);
  Status read_stream(detail::ByteSource& in, const std::string& path) {
    return read_stream(in, path, Range{false, 0, 0});
  }
  std::uint64_t lines_read = 0;
};

namespace {
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
  std::size_t j = nl + 1;
  while (j < head.size() && (head[j] == '\n' || head[j] == '\r')) ++j;
  if (j == head.size()) return true;
  // After an object, any record may follow; after '[', an unindented pretty array has '{'.
  return head[j] == '[' || (first == '{' && head[j] == '{');
}
}  // namespace

Status AsffReader::Impl::read_stream(detail::ByteSource& in, const std::string& path, Range range) {
  std::vector<char> buf(kChunk + kPadding);
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
    if (buf.size() - kPadding - filled < kChunk / 2) buf.resize(buf.size() + kChunk);
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
        document(buf.data() + begin, filled - begin, buf.size() - begin, 1, buffer_position + begin);
      lines_read = 1;
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
          ++stats->records;
          malformed(skipped_line, "record exceeds " + std::to_string(max_record) + " bytes (" +
                                      std::to_string(skipped_bytes + avail) + ")");
        } else if (avail > 0 && !std::all_of(base, base + avail, is_space)) {
          document(base, avail, buf.size() - begin, line, position);
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
      ++stats->records;
      malformed(skipped_line, "record exceeds " + std::to_string(max_record) + " bytes (" +
                                  std::to_string(skipped_bytes + len) + ")");
      skipping = false;
    } else if (len > max_record) {
      ++stats->records;
      malformed(line, "record exceeds " + std::to_string(max_record) + " bytes (" +
                          std::to_string(len) + ")");
    } else if (!std::all_of(base, nl, is_space)) {
      document(base, len, buf.size() - begin, line, position);
    }
    lines_read = line;
    ++line;
    begin += len + 1;
    scan = 0;
  }
}

AsffReader::AsffReader(std::size_t max_record_bytes)
    : impl_(std::make_unique<Impl>(max_record_bytes)) {}
AsffReader::~AsffReader() = default;

namespace {

// Collects a range reader's malformed records; they are reported after all readers finish,
// when the line number where each range starts is known.
class RangeHandler final : public FindingHandler {
 public:
  explicit RangeHandler(FindingHandler& target) : target_(target) {}
  void on_finding(const Finding& f, std::string_view raw, std::uint64_t position) override {
    target_.on_finding(f, raw, position);
  }
  void on_malformed(const RecordError& e) override { errors.push_back(e); }
  std::vector<RecordError> errors;

 private:
  FindingHandler& target_;
};

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

}  // namespace

Status AsffReader::read_file_parallel(const std::string& path, unsigned threads,
                                      const std::function<FindingHandler&(unsigned)>& handler_for,
                                      ReadStats& stats, std::size_t max_record_bytes) {
  std::uint64_t size = 0;
  if (threads < 2 || !splittable(path, size)) {
    AsffReader reader{max_record_bytes};
    return reader.read_file(path, handler_for(0), stats);
  }
  struct Part {
    std::unique_ptr<Impl> impl;
    std::unique_ptr<RangeHandler> handler;
    ReadStats stats;
    Status status = Status::success();
  };
  std::vector<Part> parts(threads);
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < threads; ++i) {
    Part& part = parts[i];
    part.impl = std::make_unique<Impl>(max_record_bytes);
    part.handler = std::make_unique<RangeHandler>(handler_for(i));
    Impl::Range range{true, size * i / threads, size * (i + 1) / threads};
    if (range.start > 0) --range.start;  // so a record starting exactly at the cut is ours
    const auto work = [&part, range, &path] {
      try {  // nothing may escape a thread: it would terminate cspmd
        Status status = Status::success();
        auto in = detail::open_byte_source_at(path, range.start, status);
        if (!in) {
          part.status = status;
          return;
        }
        part.impl->bind(path, *part.handler, part.stats);
        part.status = part.impl->read_stream(*in, path, range);
      } catch (const std::exception& e) {
        part.status = Status::failure(path + ": " + e.what());
      }
    };
    try {
      workers.emplace_back(work);
    } catch (const std::system_error&) {
      work();  // no thread to be had: read this part here
    }
  }
  for (auto& w : workers) w.join();

  std::uint64_t line_base = 0;
  for (auto& part : parts) {
    stats.records += part.stats.records;
    stats.findings += part.stats.findings;
    stats.malformed += part.stats.malformed;
    for (auto& e : part.handler->errors) {
      e.line += line_base;
      handler_for(0).on_malformed(e);
    }
    line_base += part.impl->lines_read;
  }
  for (auto& part : parts)
    if (!part.status) return part.status;
  return Status::success();
}

Status AsffReader::read_file(const std::string& path, FindingHandler& handler, ReadStats& stats) {
  Status status = Status::success();
  auto in = detail::open_byte_source(path, status);
  if (!in) return status;
  impl_->bind(path, handler, stats);
  return impl_->read_stream(*in, path);
}

void AsffReader::read_document(std::string_view json, const std::string& source,
                               std::uint64_t line, FindingHandler& handler, ReadStats& stats) {
  const simdjson::padded_string padded(json);
  impl_->bind(source, handler, stats);
  impl_->document(padded.data(), padded.size(), padded.size() + kPadding, line, 0);
}

}  // namespace cspm
