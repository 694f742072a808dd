// Firehose request decoding: base64 records, each NDJSON text or a gzip'd CloudWatch Logs
// subscription payload.
#include "firehose_request.hpp"

#include <algorithm>
#include <array>

#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <simdjson.h>
#include <zlib.h>

namespace cspm::core {
namespace {

using json = nlohmann::json;

// The standard alphabet, '=' only as padding at the end (RFC 4648 §4).
bool base64_decode(std::string_view in, std::string& out) {
  static constexpr auto kValid = [] {
    std::array<bool, 256> t{};
    for (unsigned char c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (unsigned char c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (unsigned char c = '0'; c <= '9'; ++c) t[c] = true;
    t['+'] = t['/'] = true;
    return t;
  }();
  if (in.size() % 4 != 0) return false;
  std::size_t padding = 0;
  while (padding < 2 && padding < in.size() && in[in.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i + padding < in.size(); ++i)
    if (!kValid[static_cast<unsigned char>(in[i])]) return false;
  out.resize(boost::beast::detail::base64::decoded_size(in.size()));
  const auto [written, read] = boost::beast::detail::base64::decode(out.data(), in.data(), in.size());
  out.resize(written);
  return read + padding >= in.size();  // Beast stops at the padding
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
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element request;
  if (parser.parse(simdjson::padded_string(body)).get(request) != simdjson::SUCCESS || !request.is_object())
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
    split_lines(bytes, out.documents);
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
