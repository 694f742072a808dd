// Helpers for the HTTP ingest tests: gzip and base64 as Firehose uses them, AWS sample events.
#pragma once
#include <string>

#include <boost/beast/core/detail/base64.hpp>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "support.hpp"

namespace cspm::test {

inline std::string gzip(const std::string& text) {
  z_stream z{};
  BOOST_REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  BOOST_REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string base64(const std::string& s) {
  std::string out(boost::beast::detail::base64::encoded_size(s.size()), '\0');
  out.resize(boost::beast::detail::base64::encode(out.data(), s.data(), s.size()));
  return out;
}

/// One line of JSON from an AWS sample EventBridge event (pretty-printed in the file).
inline std::string sample_event(const std::string& name) {
  return nlohmann::json::parse(read_file(std::string{CSPM_TEST_DATA} + "/reference/aws-samples-securityhub-jira/" + name)).dump();
}

}  // namespace cspm::test
