// Firehose request decoding: base64 records, each NDJSON text or a gzip'd CloudWatch Logs
// subscription payload.
#include "firehose_request.hpp"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <simdjson.h>
#include <zlib.h>

namespace cspm::core {
namespace {

using json = nlohmann::json;

// Base64 with the standard alphabet, '=' only as padding at the end (RFC 4648 §4), checked
// and decoded in one pass: a day of findings is a gigabyte of it. kQuartet[i][c] is the six
// bits of character c at place i of a quartet, shifted into place, or kBad.
constexpr std::uint32_t kBad = 1u << 24;
constexpr auto kQuartet = [] {
  std::array<std::array<std::uint32_t, 256>, 4> t{};
  for (auto& place : t) place.fill(kBad);
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::uint32_t v = 0; v < 64; ++v) {
    const auto c = static_cast<unsigned char>(alphabet[v]);
    t[0][c] = v << 18, t[1][c] = v << 12, t[2][c] = v << 6, t[3][c] = v;
  }
  return t;
}();

bool base64_decode(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  std::size_t padding = 0;
  while (padding < 2 && padding < in.size() && in[in.size() - 1 - padding] == '=') ++padding;
  const std::size_t whole = (in.size() - (padding ? 4 : 0)) / 4;  // quartets without padding
  out.resize(in.size() / 4 * 3);
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  char* d = out.data();
  std::uint32_t seen = 0;
  for (std::size_t q = 0; q < whole; ++q, s += 4, d += 3) {
    const std::uint32_t v = kQuartet[0][s[0]] | kQuartet[1][s[1]] | kQuartet[2][s[2]] | kQuartet[3][s[3]];
    seen |= v;
    d[0] = static_cast<char>(v >> 16), d[1] = static_cast<char>(v >> 8), d[2] = static_cast<char>(v);
  }
  std::size_t size = whole * 3;
  if (padding) {  // "xx==" or "xxx="
    const std::uint32_t v = kQuartet[0][s[0]] | kQuartet[1][s[1]] | (padding == 1 ? kQuartet[2][s[2]] : 0);
    seen |= v;
    d[0] = static_cast<char>(v >> 16);
    if (padding == 1) d[1] = static_cast<char>(v >> 8);
    size += 3 - padding;
  }
  out.resize(size);
  return !(seen & kBad);
}

// A record is usually one event and its line end: it becomes a document without a copy.
void add_documents(std::string&& record, std::vector<std::string>& out) {
  std::size_t end = record.size();
  while (end && (record[end - 1] == '\n' || record[end - 1] == '\r' || record[end - 1] == ' ')) --end;
  if (end && std::string_view{record}.substr(0, end).find('\n') == std::string_view::npos) {
    record.resize(end);
    out.push_back(std::move(record));
    return;
  }
  split_lines(record, out);
}

std::string excerpt(std::string_view s) { return std::string{s.substr(0, 4096)}; }

// A CloudWatch Logs subscription payload: the messages of a DATA_MESSAGE are the documents.
bool read_cloudwatch_logs(const std::string& text, FirehoseBatch& out, std::string& why) {
  const json payload = json::parse(text, nullptr, false);
  if (!payload.is_object()) return why = "CloudWatch Logs payload is not a JSON object", false;
  const std::string type = payload.value("messageType", "");
  if (type == "CONTROL_MESSAGE") {
    ++out.control_messages;
    return true;
  }
  if (type != "DATA_MESSAGE" || !payload.contains("logEvents") || !payload["logEvents"].is_array())
    return why = "CloudWatch Logs payload without DATA_MESSAGE logEvents", false;
  for (const auto& e : payload["logEvents"])
    if (e.is_object() && e.contains("message") && e["message"].is_string())
      split_lines(e["message"].get_ref<const std::string&>(), out.documents);
  return true;
}

}  // namespace

void split_lines(std::string_view text, std::vector<std::string>& out) {
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) out.emplace_back(line);
  }
}

bool gunzip(std::string_view in, std::size_t max_bytes, std::string& out, std::string& why) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return why = "zlib init failed", false;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  out.clear();
  char buffer[65536];
  const auto fail = [&](std::string reason) {
    why = std::move(reason);
    inflateEnd(&z);
    return false;
  };
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END)
      return fail(std::string{"not valid gzip: "} + (z.msg ? z.msg : rc == Z_BUF_ERROR ? "truncated" : "corrupt"));
    out.append(buffer, sizeof buffer - z.avail_out);
    if (out.size() > max_bytes) return fail("larger than " + std::to_string(max_bytes) + " bytes uncompressed");
    if (rc != Z_STREAM_END) continue;
    if (z.avail_in == 0) break;
    // gzip allows several members one after another (`cat a.gz b.gz`): read them all,
    // rather than stopping after the first and losing the rest.
    if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b)
      return fail("not valid gzip: trailing bytes after the end of the stream");
    inflateReset(&z);
  }
  inflateEnd(&z);
  return true;
}

FirehoseVerdict read_firehose_request(std::string_view body, bool gzip, const FirehoseLimits& limits, FirehoseBatch& out) {
  out = FirehoseBatch{};
  std::string inflated;
  if (gzip) {
    std::string why;
    if (!gunzip(body, limits.max_body_bytes, inflated, why))
      return {why.find("larger than") != std::string::npos ? 413 : 400, "request body: " + why};
    body = inflated;
  }
  if (body.size() > limits.max_body_bytes)
    return {413, "request body larger than " + std::to_string(limits.max_body_bytes) + " bytes"};
  // simdjson: a request is megabytes of base64 strings, which a tree parser copies char by char.
  // The padded copy of a common-sized body is kept per thread: a fresh one per request
  // faulted in megabytes each time. Rare large ones are not kept.
  thread_local simdjson::dom::parser parser;
  thread_local std::string kept;
  std::string once;
  std::string& padded = body.size() <= (8u << 20) ? kept : once;
  padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
  std::copy(body.begin(), body.end(), padded.begin());
  simdjson::dom::element request;
  if (parser.parse(padded.data(), body.size(), false).get(request) != simdjson::SUCCESS || !request.is_object())
    return {400, "request body is not a JSON object"};
  std::string_view request_id;
  if (request["requestId"].get(request_id) != simdjson::SUCCESS) return {400, "requestId is missing"};
  out.request_id = std::string{request_id};
  if (std::int64_t ts = 0; request["timestamp"].get(ts) == simdjson::SUCCESS) out.timestamp = ts;
  simdjson::dom::array records;
  if (request["records"].get(records) != simdjson::SUCCESS) return {400, "records is missing"};
  out.records = records.size();
  std::string bytes, text;
  std::size_t decoded = 0;  // small gzip'd records can add up to far more than the body
  std::size_t i = 0;
  for (simdjson::dom::element r : records) {
    const std::size_t index = i++;
    std::string_view data;
    const bool has_data = r["data"].get(data) == simdjson::SUCCESS;
    const auto bad = [&](std::string reason) {
      out.bad_records.push_back({index, std::move(reason), has_data ? excerpt(data) : excerpt(simdjson::to_string(r))});
    };
    if (!has_data) {
      bad("record without a data string");
      continue;
    }
    if (!base64_decode(data, bytes)) {
      bad("data is not valid base64");
      continue;
    }
    if (bytes.size() > limits.max_record_bytes) {
      bad("record larger than " + std::to_string(limits.max_record_bytes) + " bytes");
      continue;
    }
    if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b) {
      std::string why;
      if (!gunzip(bytes, limits.max_record_bytes, text, why)) {
        bad("record: " + why);
        continue;
      }
      if ((decoded += text.size()) > limits.max_decoded_bytes)
        return {413, "records larger than " + std::to_string(limits.max_decoded_bytes) + " bytes decoded"};
      if (!read_cloudwatch_logs(text, out, why)) bad(why);
      continue;
    }
    add_documents(std::move(bytes), out.documents);
  }
  return {};
}

std::string firehose_response(std::string_view request_id, std::int64_t timestamp_ms, std::string_view error) {
  json r = {{"requestId", request_id}, {"timestamp", timestamp_ms}};
  if (!error.empty()) r["errorMessage"] = std::string{error.substr(0, 8192)};
  return r.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool firehose_key_matches(std::string_view given, const std::vector<std::string>& keys) {
  bool match = false;
  for (const auto& k : keys)  // every key compared, so timing says nothing about which
    match |= !k.empty() && k.size() == given.size() && CRYPTO_memcmp(k.data(), given.data(), k.size()) == 0;
  return match;
}

}  // namespace cspm::core
