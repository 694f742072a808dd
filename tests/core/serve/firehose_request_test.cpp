// The Firehose HTTP endpoint contract on captured real request bodies (grafana/agent's
// testdata) and on made ones: records, CloudWatch Logs payloads, bad records, limits.
#define BOOST_TEST_MODULE firehose_request
#include <boost/test/unit_test.hpp>

#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "../../../core/serve/firehose_request.hpp"
#include "serve_support.hpp"

using namespace cspm;
using namespace cspm::core;
using nlohmann::json;
using test::base64;
using test::gzip;

namespace {

std::string captured(const std::string& name) {
  return test::read_file(std::string{CSPM_TEST_DATA} + "/reference/firehose-grafana-agent/" + name);
}

std::string request(const std::vector<std::string>& datas) {
  json r = {{"requestId", "ed4acda5-034f-9f42-bba1-f29aea6d7d8f"}, {"timestamp", 1578090901599}, {"records", json::array()}};
  for (const auto& d : datas) r["records"].push_back({{"data", d}});
  return r.dump();
}

}  // namespace

BOOST_AUTO_TEST_CASE(captured_cloudwatch_logs_data_messages_give_their_log_lines) {
  FirehoseBatch b;
  const FirehoseVerdict v = read_firehose_request(captured("cw_logs_with_only_data_messages.json"), false, {}, b);
  BOOST_REQUIRE_EQUAL(v.status, 200);
  BOOST_TEST(!b.request_id.empty());
  BOOST_TEST(b.timestamp > 0);
  BOOST_TEST(b.bad_records.empty());
  BOOST_TEST(b.control_messages == 0u);
  BOOST_REQUIRE(!b.documents.empty());
  for (const auto& d : b.documents) BOOST_TEST(d.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(control_messages_are_counted_and_a_truncated_record_is_kept_aside) {
  FirehoseBatch b;
  BOOST_REQUIRE_EQUAL(read_firehose_request(captured("cw_logs_with_only_control_messages.json"), false, {}, b).status, 200);
  BOOST_TEST(b.control_messages >= 1u);
  BOOST_TEST(b.documents.empty());

  const FirehoseVerdict v = read_firehose_request(captured("cw_logs_control_and_bad_records.json"), false, {}, b);
  BOOST_REQUIRE_EQUAL(v.status, 200);  // the readable record is delivered; the bad one quarantined
  BOOST_TEST(b.control_messages == 1u);
  BOOST_REQUIRE_EQUAL(b.bad_records.size(), 1u);
  BOOST_TEST(b.bad_records[0].index == 1u);
  BOOST_TEST(b.bad_records[0].reason.find("base64") != std::string::npos, b.bad_records[0].reason);
  BOOST_TEST(!b.bad_records[0].data.empty());
}

BOOST_AUTO_TEST_CASE(direct_put_records_are_their_own_json) {
  FirehoseBatch b;
  BOOST_REQUIRE_EQUAL(read_firehose_request(captured("direct_put.json"), false, {}, b).status, 200);
  BOOST_REQUIRE_EQUAL(b.documents.size(), 3u);
  BOOST_TEST(json::parse(b.documents[0])["TICKER_SYMBOL"] == "NGC");
}

BOOST_AUTO_TEST_CASE(base64_of_every_length_decodes_and_bad_base64_is_kept_aside) {
  std::vector<std::string> records, sent;
  for (int n = 0; n < 7; ++n) {  // every padding: none, "=", "=="
    std::string doc = R"({"n":")" + std::string(static_cast<std::size_t>(n), static_cast<char>('a' + n)) + "\"}";
    sent.push_back(doc);
    records.push_back(base64(doc));
  }
  for (const char* bad : {"eyJ=fQ==", "eyJhIjoxfQ", "e-JhIjoxfQ==", "eyJh IjoxfQ=", "eyJhIjoxfQ===", "====", "eyJhIjoxf-==", "eyJhIjoxfQ_="})
    records.push_back(bad);
  FirehoseBatch b;
  BOOST_REQUIRE_EQUAL(read_firehose_request(request(records), false, {}, b).status, 200);
  BOOST_TEST(b.documents == sent, boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(b.bad_records.size(), 8u);
  for (const auto& r : b.bad_records) BOOST_TEST(r.reason == "data is not valid base64", r.data);
}

BOOST_AUTO_TEST_CASE(eventbridge_events_as_ndjson_records_and_a_gzip_body) {
  const std::string e1 = R"({"detail-type":"Security Hub Findings - Imported","detail":{"findings":[]}})";
  const std::string e2 = R"({"detail-type":"Security Hub Findings - Imported","detail":{"findings":[{}]}})";
  const std::string body = request({base64(e1 + "\n" + e2 + "\n"), base64(e1), ""});
  FirehoseBatch b;
  BOOST_REQUIRE_EQUAL(read_firehose_request(gzip(body), true, {}, b).status, 200);
  BOOST_TEST(b.records == 3u);
  BOOST_REQUIRE_EQUAL(b.documents.size(), 3u);  // the empty record (allowed by Firehose) adds none
  BOOST_TEST(b.documents[1] == e2);
  BOOST_TEST(b.bad_records.empty());
}

BOOST_AUTO_TEST_CASE(a_record_with_bad_gzip_or_a_non_cloudwatch_payload_is_kept_aside) {
  std::string broken = gzip(R"({"messageType":"DATA_MESSAGE","logEvents":[]})");
  broken.resize(broken.size() / 2);
  FirehoseBatch b;
  const auto v = read_firehose_request(request({base64(broken), base64(gzip("not json")), base64(R"({"a":1})")}), false, {}, b);
  BOOST_REQUIRE_EQUAL(v.status, 200);
  BOOST_REQUIRE_EQUAL(b.bad_records.size(), 2u);
  BOOST_TEST(b.bad_records[0].reason.find("gzip") != std::string::npos, b.bad_records[0].reason);
  BOOST_TEST(b.bad_records[1].reason.find("CloudWatch Logs") != std::string::npos, b.bad_records[1].reason);
  BOOST_TEST(b.documents.size() == 1u);
}

BOOST_AUTO_TEST_CASE(whole_request_problems_get_the_contracts_status) {
  FirehoseBatch b;
  BOOST_TEST(read_firehose_request("{not json", false, {}, b).status == 400);
  BOOST_TEST(read_firehose_request(R"({"records":[]})", false, {}, b).status == 400);        // no requestId
  BOOST_TEST(read_firehose_request(R"({"requestId":"x"})", false, {}, b).status == 400);     // no records
  BOOST_TEST(read_firehose_request("\x1f\x8b garbage", true, {}, b).status == 400);          // bad gzip body
  FirehoseLimits small;
  small.max_body_bytes = 1000;
  const std::string big = request({base64(std::string(2000, 'x'))});
  BOOST_TEST(read_firehose_request(big, false, small, b).status == 413);
  // A small gzip body that inflates past the limit is refused before it is all inflated.
  BOOST_TEST(read_firehose_request(gzip(std::string(10'000'000, ' ')), true, small, b).status == 413);
}

BOOST_AUTO_TEST_CASE(responses_and_access_keys) {
  const json ok = json::parse(firehose_response("rid", 1578090903599));
  BOOST_TEST(ok["requestId"] == "rid");
  BOOST_TEST(ok["timestamp"] == 1578090903599);
  BOOST_TEST(!ok.contains("errorMessage"));
  const json failed = json::parse(firehose_response("rid", 1, std::string(10000, 'e')));
  BOOST_TEST(failed["errorMessage"].get<std::string>().size() == 8192u);  // the contract's maximum
  BOOST_TEST(firehose_key_matches("s3cret", {"other", "s3cret"}));
  BOOST_TEST(!firehose_key_matches("s3cre", {"s3cret"}));
  BOOST_TEST(!firehose_key_matches("", {"s3cret"}));
  BOOST_TEST(!firehose_key_matches("anything", {}));
  BOOST_TEST(!firehose_key_matches("", {""}));  // an empty key (an unset secret) opens nothing
}

BOOST_AUTO_TEST_CASE(gzip_members_one_after_another_are_all_read_and_trailing_junk_is_refused) {
  std::string out, why;
  BOOST_TEST(gunzip(gzip("{\"a\":1}\n") + gzip("{\"b\":2}\n"), 1000, out, why));
  BOOST_TEST(out == "{\"a\":1}\n{\"b\":2}\n");
  BOOST_TEST(!gunzip(gzip("{}") + "junk", 1000, out, why));
  BOOST_TEST(why.find("trailing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(many_small_gzip_records_cannot_inflate_past_the_decoded_limit) {
  // Each record is well under the per-record limit; together they are over the total.
  const std::string cwl = json{{"messageType", "DATA_MESSAGE"}, {"logEvents", {{{"id", "1"}, {"message", std::string(60'000, 'x')}}}}}.dump();
  const std::string record = base64(gzip(cwl));
  FirehoseLimits limits;
  limits.max_decoded_bytes = 500'000;
  FirehoseBatch b;
  BOOST_TEST(read_firehose_request(request(std::vector<std::string>(5, record)), false, limits, b).status == 200);
  const FirehoseVerdict v = read_firehose_request(request(std::vector<std::string>(20, record)), false, limits, b);
  BOOST_TEST(v.status == 413);
  BOOST_TEST(v.error.find("decoded") != std::string::npos);
}
