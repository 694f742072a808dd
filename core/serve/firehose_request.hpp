// The Amazon Data Firehose HTTP endpoint delivery contract: request bodies in, records and
// the required JSON answer out (AWS Firehose developer guide, "HTTP Endpoint Delivery
// Request and Response Specifications").
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cspm::core {

/// One record Firehose delivered that could not be read: kept for the quarantine.
struct FirehoseBadRecord {
  std::size_t index = 0;  ///< position in `records`
  std::string reason;
  std::string data;       ///< the record as received (base64), cut to a few kB
};

struct FirehoseBatch {
  std::string request_id;
  std::int64_t timestamp = 0;
  std::size_t records = 0;
  /// The JSON documents to ingest: EventBridge events (or bare findings), one per line of a
  /// record, or the messages of CloudWatch Logs DATA_MESSAGE payloads.
  std::vector<std::string> documents;
  std::size_t control_messages = 0;  ///< CloudWatch Logs CONTROL_MESSAGEs (ignored)
  std::vector<FirehoseBadRecord> bad_records;
};

struct FirehoseLimits {
  std::size_t max_body_bytes = 64u << 20;         ///< Firehose's own maximum, uncompressed
  std::size_t max_record_bytes = 8u << 20;        ///< one record after base64 and gunzip
  std::size_t max_decoded_bytes = 256u << 20;     ///< all records after gunzip (else 413)
};

/// The HTTP status to answer and why (200 with an empty message on success).
struct FirehoseVerdict {
  int status = 200;
  std::string error;
};

/// Reads a request body (`gzip`: it came with Content-Encoding: gzip). Whole-request
/// problems give 400 (not JSON, no requestId or records) or 413 (over the limit: Firehose
/// does not retry it); a record that cannot be decoded (bad base64, bad gzip, a CloudWatch
/// Logs payload that is not JSON) is put in `bad_records` and the rest is delivered, since
/// sending it again would not make it readable.
FirehoseVerdict read_firehose_request(std::string_view body, bool gzip, const FirehoseLimits& limits, FirehoseBatch& out);

/// The response body the contract requires: {"requestId", "timestamp"[, "errorMessage"]}.
std::string firehose_response(std::string_view request_id, std::int64_t timestamp_ms, std::string_view error = {});

/// Compares an access key in constant time (the header is a secret). An empty key never
/// matches.
bool firehose_key_matches(std::string_view given, const std::vector<std::string>& keys);

/// Appends the non-empty lines of `text` (NDJSON; Firehose concatenates what producers put,
/// usually one JSON document per line), without their line ends.
void split_lines(std::string_view text, std::vector<std::string>& out);

/// Gunzips `in` into `out`, refusing more than `max_bytes` of output (a small body can
/// inflate to gigabytes). Reads every member of a multi-member file; trailing bytes that
/// are not another member are an error. False with a reason on failure.
bool gunzip(std::string_view in, std::size_t max_bytes, std::string& out, std::string& why);

}  // namespace cspm::core
