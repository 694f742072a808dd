// Streams findings out of NDJSON, JSON documents and gzip with simdjson On-Demand.
#include <cspm/asff_reader.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <system_error>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "asff_fields.hpp"
#include "byte_source.hpp"
#include "record_framer.hpp"

namespace cspm {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;

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

struct AsffReader::Impl final : detail::ContainerVisitor, detail::RecordSink {
  od::parser parser;
  detail::AsffFieldParser fields;
  std::size_t max_record;
  std::vector<char> buffer;  // the framer's read buffer

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

  // The whole record is handed over (for quarantine), also when one finding of an event
  // is the problem: that keeps the event replayable as it arrived.
  void malformed(std::uint64_t line, std::string reason) {
    ++stats->malformed;
    const std::string_view text(base, static_cast<std::size_t>(end - base));
    handler->on_malformed({*source, line, std::move(reason), text, text.size()});
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
      if (auto e = detail::member_key(field, k)) return e;
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

  // RecordSink: the framer's records.
  void record_text(const char* data, std::size_t len, std::size_t capacity, std::uint64_t line,
                   std::uint64_t position) override {
    // CloudWatch Logs exports (e.g. of /aws/events/AWSSecurityHubLogGroup) prefix each
    // event with its ingestion time: "2026-11-27T08:00:00.123Z {...}".
    if (len > 0 && data[0] >= '0' && data[0] <= '9') {
      const std::string_view head(data, std::min<std::size_t>(len, 40));
      if (const auto space = head.find(' '); space != std::string_view::npos &&
                                             parse_timestamp(head.substr(0, space))) {
        data += space + 1;
        len -= space + 1;
        capacity -= space + 1;
        position += space + 1;
      }
    }
    document(data, len, capacity, line, position);
  }
  void oversized(std::uint64_t line, std::uint64_t bytes) override {
    ++stats->records;
    ++stats->malformed;
    handler->on_malformed({*source, line,
                           "record exceeds " + std::to_string(max_record) + " bytes (" + std::to_string(bytes) + ")",
                           {}, bytes});
  }
};



AsffReader::AsffReader(std::size_t max_record_bytes)
    : impl_(std::make_unique<Impl>(max_record_bytes)) {}
AsffReader::~AsffReader() = default;

namespace {

// Collects a range reader's malformed records; they are reported after all readers finish,
// when the line number where each range starts is known.
class RangeHandler final : public FindingHandler {
 public:
  RangeHandler(FindingHandler& target, std::vector<RecordError>& errors, std::deque<std::string>& texts)
      : target_(target), errors_(errors), texts_(texts) {}
  void on_finding(const Finding& f, std::string_view raw, std::uint64_t position) override {
    target_.on_finding(f, raw, position);
  }
  void on_malformed(const RecordError& e) override {
    errors_.push_back(e);
    // The reader's buffer moves on: keep a copy, cut like the store's quarantine cuts it, so
    // that a file full of foreign records cannot hold its whole size in memory.
    texts_.emplace_back(e.record.substr(0, 64 * 1024));
    errors_.back().record = texts_.back();
  }

 private:
  FindingHandler& target_;
  std::vector<RecordError>& errors_;
  std::deque<std::string>& texts_;
};


}  // namespace

bool AsffReader::splittable(const std::string& path, std::uint64_t& size) {
  return detail::splittable(path, size);
}

Status AsffReader::read_file_parallel(const std::string& path, unsigned threads,
                                      const std::function<FindingHandler&(unsigned)>& handler_for,
                                      ReadStats& stats, std::size_t max_record_bytes) {
  std::uint64_t size = 0;
  if (threads < 2 || !detail::splittable(path, size)) {
    AsffReader reader{max_record_bytes};
    return reader.read_file(path, handler_for(0), stats);
  }
  std::uint64_t lines = 0;
  return read_range_parallel(path, 0, size, 0, threads, handler_for, stats, max_record_bytes, lines);
}

Status AsffReader::read_range_parallel(const std::string& path, std::uint64_t begin, std::uint64_t end,
                                       std::uint64_t lines_before, unsigned threads,
                                       const std::function<FindingHandler&(unsigned)>& handler_for,
                                       ReadStats& stats, std::size_t max_record_bytes, std::uint64_t& lines) {
  threads = std::max(threads, 1u);
  // More pieces than readers, taken in turn: a reader that drew cheaper records (or more CPU)
  // takes the next piece instead of idling while the other finishes its half.
  constexpr std::uint64_t kPiece = 16u << 20;
  const std::uint64_t length = end - begin;
  const std::uint64_t pieces = std::max<std::uint64_t>(threads, (length + kPiece - 1) / kPiece);
  struct Piece {
    ReadStats stats;
    Status status = Status::success();
    std::uint64_t lines_read = 0;
    std::vector<RecordError> errors;
    std::deque<std::string> texts;
  };
  std::vector<Piece> done(pieces);
  std::atomic<std::uint64_t> next{0};

  Status opened = Status::success();
  const auto file = detail::PlainFile::open(path, opened);
  if (!file) return opened;
  // Handlers are looked up here, on the calling thread: handler_for need not be thread-safe.
  std::vector<FindingHandler*> targets;
  for (unsigned t = 0; t < threads; ++t) targets.push_back(&handler_for(t));
  // Nothing may escape a reader: on a worker it would terminate cspmd.
  std::vector<Status> readers(threads, Status::success());
  const auto cut = [&](std::uint64_t i) {  // begin + length * i / pieces, without overflow
    return begin + i * (length / pieces) + i * (length % pieces) / pieces;
  };
  const auto reader = [&](unsigned t) {
    try {
      Impl impl{max_record_bytes};
      for (std::uint64_t i; (i = next.fetch_add(1)) < pieces;) {
        Piece& piece = done[i];
        detail::LineRange range{true, cut(i), cut(i + 1)};
        if (range.start > 0) --range.start;  // so a record starting exactly at the cut is ours
        const auto in = file->from(range.start);
        RangeHandler handler{*targets[t], piece.errors, piece.texts};
        impl.bind(path, handler, piece.stats);
        piece.status = detail::frame_records(*in, path, range, impl.max_record, impl, piece.lines_read, impl.buffer);
      }
    } catch (const std::exception& e) {  // e.g. the handler's store failed: the read stops
      readers[t] = Status::failure(path + ": " + e.what());
      next = pieces;
    }
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads && t < pieces; ++t) {
    try {
      workers.emplace_back(reader, t);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the others share the pieces
    }
  }
  reader(0);
  for (auto& w : workers) w.join();

  std::uint64_t line_base = lines_before;
  for (auto& piece : done) {
    stats.records += piece.stats.records;
    stats.findings += piece.stats.findings;
    stats.malformed += piece.stats.malformed;
    for (auto& e : piece.errors) {
      e.line += line_base;
      handler_for(0).on_malformed(e);
    }
    line_base += piece.lines_read;
  }
  lines = line_base - lines_before;
  for (const Status& s : readers)
    if (!s) return s;
  for (auto& piece : done)
    if (!piece.status) return piece.status;
  return Status::success();
}

Status AsffReader::read_file(const std::string& path, FindingHandler& handler, ReadStats& stats) {
  Status status = Status::success();
  auto in = detail::open_byte_source(path, status);
  if (!in) return status;
  impl_->bind(path, handler, stats);
  std::uint64_t lines = 0;
  return detail::frame_records(*in, path, detail::LineRange{}, impl_->max_record, *impl_, lines, impl_->buffer);
}

void AsffReader::read_document(std::string_view json, const std::string& source,
                               std::uint64_t line, FindingHandler& handler, ReadStats& stats) {
  const simdjson::padded_string padded(json);
  impl_->bind(source, handler, stats);
  impl_->document(padded.data(), padded.size(), padded.size() + kPadding, line, 0);
}

}  // namespace cspm
