// Reads ASFF findings out of files and buffers: every container AWS and its tools produce.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <cspm/api.hpp>
#include <cspm/finding.hpp>
#include <cspm/status.hpp>

namespace cspm {

/// Why one record was skipped, and where it was.
struct RecordError {
  std::string source;      ///< file name ("-" for stdin)
  std::uint64_t line = 0;  ///< 1-based line of the record's first byte
  std::string reason;
  std::string_view record;  ///< the record's text (empty when too large to hold); valid during the call
  std::uint64_t record_bytes = 0;
};

/// Counters of one read.
struct ReadStats {
  std::uint64_t records = 0;    ///< events / lines / array elements read
  std::uint64_t findings = 0;   ///< findings handed to the handler
  std::uint64_t malformed = 0;  ///< records or findings skipped with a RecordError
};

/// Receives what the reader finds. The Finding's views and `raw` are valid only during the
/// call: keep what you need (FindingTable interns it). `position` is the byte offset of the
/// finding in its file: later records have larger positions.
class CSPM_API FindingHandler {
 public:
  virtual ~FindingHandler();
  virtual void on_finding(const Finding& finding, std::string_view raw, std::uint64_t position) = 0;
  virtual void on_malformed(const RecordError& error) = 0;
};

/// Streaming ASFF reader built on simdjson On-Demand.
///
/// Accepts, per file: NDJSON whose lines are EventBridge "Security Hub Findings - Imported"
/// events (every finding of `detail.findings`), bare ASFF findings, or `{"Findings": [...]}`
/// documents, each optionally prefixed by a timestamp and a space as in CloudWatch Logs
/// exports; a whole-file JSON array of any of those; a whole-file (pretty-printed) event,
/// finding or `{"Findings"|"findings": [...]}` document; gzip of any of these; "-" for stdin.
///
/// A finding needs string `Id`, `ProductArn`, `AwsAccountId`, a parseable `UpdatedAt`, a
/// non-empty `Resources` array whose entries have a string `Id`, and a severity
/// (FindingProviderFields.Severity.Label, else Severity.Label, else derived from
/// Severity.Normalized). Anything else (bad JSON, wrong types, a record over
/// `max_record_bytes`) is reported to on_malformed and skipped; reading goes on.
class AsffReader {
 public:
  explicit AsffReader(std::size_t max_record_bytes = 8u << 20);
  ~AsffReader();
  AsffReader(const AsffReader&) = delete;
  AsffReader& operator=(const AsffReader&) = delete;

  /// Reads a whole file. Fails only when the file cannot be opened or read.
  Status read_file(const std::string& path, FindingHandler& handler, ReadStats& stats);

  /// Like read_file, with up to `threads` readers on disjoint line ranges of a plain NDJSON
  /// file (anything else is read by one thread). handler_for(i) serves reader i, from that
  /// reader's thread only; malformed records are reported afterwards to handler_for(0), in
  /// file order, with exact line numbers.
  static Status read_file_parallel(const std::string& path, unsigned threads,
                                   const std::function<FindingHandler&(unsigned)>& handler_for,
                                   ReadStats& stats, std::size_t max_record_bytes = 8u << 20);

  /// True for a file worth reading by ranges: plain (not gzip) NDJSON of 16 MiB or more.
  static bool splittable(const std::string& path, std::uint64_t& size);

  /// read_file_parallel over the records of a splittable file that start in [begin, end).
  /// `lines_before` is the number of lines before `begin` (for line numbers in errors);
  /// `lines` tells how many this range covered, to number the next one.
  static Status read_range_parallel(const std::string& path, std::uint64_t begin, std::uint64_t end,
                                    std::uint64_t lines_before, unsigned threads,
                                    const std::function<FindingHandler&(unsigned)>& handler_for,
                                    ReadStats& stats, std::size_t max_record_bytes, std::uint64_t& lines);

  /// Parses one JSON document (an event, a finding, an array or a Findings document).
  void read_document(std::string_view json, const std::string& source, std::uint64_t line,
                     FindingHandler& handler, ReadStats& stats);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cspm
