// Ingest from real files into a real store: order, batches, containers, quarantine, raw JSON.
#define BOOST_TEST_MODULE ingestor
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include "asff_json.hpp"
#include "store/ingestor.hpp"
#include "store/sqlite_store.hpp"
#include "store_queries.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::store;
using nlohmann::json;
using test::scalar;
using test::text;
using test::versioned;

namespace {

IngestResult run(SqliteStore& s, const std::vector<std::string>& paths, IngestOptions o = {}) {
  o.received_at = 1'764'000'000'000;
  return ingest(s, paths, o);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ingestor_test)

BOOST_AUTO_TEST_CASE(out_of_order_events_across_files_keep_the_newest_state) {
  test::TempDir dir;
  const auto late = dir.write("late.ndjson", test::event({versioned("a", "2026-11-26T10:00:00Z", "NOTIFIED")}).dump() +
                                                 "\n" + test::event({versioned("b", "2026-11-26T09:00:00Z", "NEW")}).dump() + "\n");
  const auto early = dir.write("early.ndjson", test::event({versioned("a", "2026-11-26T08:00:00Z", "NEW"),
                                                            versioned("b", "2026-11-26T11:00:00Z", "RESOLVED")})
                                                   .dump() + "\n");
  SqliteStore s{dir.path() / "data"};
  const auto r = run(s, {late.string(), early.string()});
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.events == 3u);
  BOOST_TEST(r.counts.findings == 4u);
  BOOST_TEST(r.counts.findings_new == 2u);
  BOOST_TEST(r.counts.findings_updated == 1u);  // b at 11:00
  BOOST_TEST(r.counts.stale == 1u);             // a at 08:00, after 10:00
  BOOST_TEST(text(s, "SELECT workflow_status FROM findings WHERE finding_id = 'a'") == "NOTIFIED");
  BOOST_TEST(text(s, "SELECT workflow_status FROM findings WHERE finding_id = 'b'") == "RESOLVED");
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 4);
}

BOOST_AUTO_TEST_CASE(batch_size_does_not_change_what_is_stored) {
  test::TempDir dir;
  std::string text_in;
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 40; ++i)
      text_in += test::event({versioned("f" + std::to_string(i), "2026-11-26T0" + std::to_string(round + 1) + ":00:00Z",
                                        round == 2 && i % 3 == 0 ? "RESOLVED" : "NEW")})
                     .dump() + "\n";
  const auto file = dir.write("day.ndjson", text_in);
  SqliteStore one{dir.path() / "one"}, many{dir.path() / "many"};
  IngestOptions small;
  small.batch_findings = 7;
  std::size_t commits = 0;
  small.on_commit = [&](const std::string&, const IngestCounts&, const IngestCounts&) { ++commits; };
  const auto a = run(one, {file.string()});
  const auto b = run(many, {file.string()}, small);
  BOOST_TEST(commits == 18u);  // 120 versions in batches of 7
  BOOST_TEST(a.counts.findings_new == b.counts.findings_new);
  BOOST_TEST(a.counts.findings_updated == b.counts.findings_updated);
  BOOST_TEST(a.counts.stale == b.counts.stale);
  const std::string state = "SELECT group_concat(finding_id || workflow_status || updated_at, ',') FROM "
                            "(SELECT * FROM findings ORDER BY finding_id)";
  BOOST_TEST(text(one, state) == text(many, state));
  BOOST_TEST(scalar(many, "SELECT count(*) FROM findings WHERE workflow_status = 'RESOLVED'") == 14);
  BOOST_TEST(scalar(one, "SELECT count(*) FROM observations") == 120);
  BOOST_TEST(scalar(many, "SELECT count(*) FROM observations") == 120);
}

BOOST_AUTO_TEST_CASE(parallel_windows_store_and_count_as_one_reader_does) {
  // A file large enough for parallel readers (16 MiB+), read in several windows and batches.
  test::TempDir dir;
  std::string text_in;
  std::size_t line = 0, bad_line = 0;
  for (int round = 0; text_in.size() < (20u << 20); ++round)
    for (int i = 0; i < 400; ++i) {
      json f = versioned("w" + std::to_string(i), "2026-11-26T" + std::to_string(10 + round % 10) + ":00:" +
                                                      std::to_string(10 + round / 10) + "Z", "NEW");
      f["Description"] = std::string(2000, 'x');
      text_in += test::event({f}).dump() + "\n";
      ++line;
      if (round == 9 && i == 7) {
        text_in += "{\"broken\": \n";
        bad_line = ++line;
      }
    }
  const auto file = dir.write("big.ndjson", text_in);
  SqliteStore one{dir.path() / "one"}, two{dir.path() / "two"};
  IngestOptions serial, parallel;
  serial.threads = 1;
  serial.batch_findings = parallel.batch_findings = 3000;
  const auto a = run(one, {file.string()}, serial);
  const auto b = run(two, {file.string()}, parallel);
  BOOST_REQUIRE(a.status.ok());
  BOOST_REQUIRE(b.status.ok());
  BOOST_TEST(a.counts.findings_new == b.counts.findings_new);
  BOOST_TEST(a.counts.findings_updated == b.counts.findings_updated);
  BOOST_TEST(a.counts.stale == b.counts.stale);
  BOOST_TEST(b.counts.quarantined == 1u);
  BOOST_TEST(text(two, "SELECT line FROM quarantine") == std::to_string(bad_line));
  const std::string state = "SELECT group_concat(finding_id || updated_at, ',') FROM (SELECT * FROM findings ORDER BY finding_id)";
  BOOST_TEST(text(one, state) == text(two, state));
}

BOOST_AUTO_TEST_CASE(ingesting_the_same_file_again_changes_nothing_but_bookkeeping) {
  test::TempDir dir;
  const auto file = dir.write("day.ndjson", test::event({test::finding("a"), test::finding("b")}).dump() + "\nnot json\n");
  SqliteStore s{dir.path() / "data"};
  run(s, {file.string()});
  const auto again = run(s, {file.string()});
  BOOST_TEST(again.counts.findings_new == 0u);
  BOOST_TEST(again.counts.findings_updated == 0u);
  BOOST_TEST(again.counts.stale == 2u);
  BOOST_TEST(again.counts.quarantined == 1u);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings") == 2);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 2);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM quarantine") == 1);
  BOOST_TEST(scalar(s, "SELECT sum(events) FROM findings") == 4);
}

BOOST_AUTO_TEST_CASE(bad_records_are_quarantined_with_source_line_reason_and_text) {
  test::TempDir dir;
  json no_account = test::finding("x");
  no_account.erase("AwsAccountId");
  const std::string broken = R"({"detail": {"findings": [{"Id": "unclosed)";
  const auto file = dir.write("mixed.ndjson", test::event({test::finding("ok")}).dump() + "\n" + broken + "\n" +
                                                  test::event({no_account}).dump() + "\n");
  SqliteStore s{dir.path() / "data"};
  const auto r = run(s, {file.string()});
  BOOST_TEST(r.counts.quarantined == 2u);
  BOOST_TEST(r.counts.findings == 1u);
  BOOST_TEST(text(s, "SELECT source || ':' || line FROM quarantine WHERE reason LIKE 'invalid JSON%'") ==
             file.string() + ":2");
  BOOST_TEST(text(s, "SELECT record FROM quarantine WHERE line = 2") == broken);
  BOOST_TEST(text(s, "SELECT reason FROM quarantine WHERE line = 3") == "AwsAccountId: missing");
}

BOOST_AUTO_TEST_CASE(gzip_input_is_read_like_the_plain_file) {
  test::TempDir dir;
  std::string text_in;
  for (int i = 0; i < 50; ++i) text_in += test::event({test::finding("g" + std::to_string(i))}).dump() + "\n";
  const auto plain = dir.write("day.ndjson", text_in);
  const auto gz = dir.path() / "day.ndjson.gz";
  gzFile out = gzopen(gz.string().c_str(), "wb");
  gzwrite(out, text_in.data(), static_cast<unsigned>(text_in.size()));
  gzclose(out);
  SqliteStore a{dir.path() / "a"}, b{dir.path() / "b"};
  IngestOptions o;
  o.spool_dir = dir.path() / "b";
  const auto from_plain = run(a, {plain.string()});
  const auto from_gz = run(b, {gz.string()}, o);
  BOOST_REQUIRE_MESSAGE(from_gz.status.ok(), from_gz.status.message());
  BOOST_TEST(from_gz.counts.findings_new == 50u);
  BOOST_TEST(from_plain.counts.findings_new == 50u);
  const std::string raw = "SELECT group_concat(raw, '') FROM (SELECT raw FROM finding_raw ORDER BY finding)";
  BOOST_TEST(text(a, raw) == text(b, raw));
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "b"))  // the spool is gone
    BOOST_TEST(e.path().filename().string().rfind("spool-", 0) != 0u, e.path());
}

BOOST_AUTO_TEST_CASE(raw_json_gives_back_each_latest_finding_as_received) {
  // Enough findings for the store to train its compression dictionary.
  test::TempDir dir;
  std::string text_in;
  std::vector<json> sent;
  for (int i = 0; i < 1300; ++i) {
    const json f = test::titled_finding(i);
    sent.push_back(f);
    text_in += test::event({f}).dump() + "\n";
  }
  const auto file = dir.write("day.ndjson", text_in);
  SqliteStore s{dir.path() / "data"};
  run(s, {file.string()});
  BOOST_TEST(scalar(s, "SELECT count(*) FROM finding_raw WHERE dict > 0") > 200);
  test::check_raw_json_as_sent(s, sent);
}

BOOST_AUTO_TEST_CASE(retention_prunes_old_observations_only) {
  test::TempDir dir;
  const auto file = dir.write("days.ndjson", test::event({versioned("a", "2026-10-01T08:00:00Z", "NEW")}).dump() + "\n" +
                                                 test::event({versioned("a", "2026-11-26T08:00:00Z", "NEW")}).dump() + "\n");
  SqliteStore s{dir.path() / "data"};
  IngestOptions o;
  o.received_at = *parse_timestamp("2026-11-27T08:00:00Z");
  o.retention = std::chrono::hours(24 * 30);
  const auto r = ingest(s, {file.string()}, o);
  BOOST_TEST(r.pruned == 1u);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 1);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings") == 1);  // the finding itself stays
}

BOOST_AUTO_TEST_CASE(a_missing_file_fails_and_keeps_what_came_before) {
  test::TempDir dir;
  const auto good = dir.write("good.ndjson", test::event({test::finding("a")}).dump() + "\n");
  SqliteStore s{dir.path() / "data"};
  const auto r = run(s, {good.string(), (dir.path() / "missing.ndjson").string()});
  BOOST_TEST(!r.status.ok());
  BOOST_TEST(r.status.message().find("missing.ndjson") != std::string::npos, r.status.message());
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
