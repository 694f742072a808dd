// A Firehose batch of real EventBridge events into a real SQLite store: stored, quarantined,
// and idempotent when Firehose sends the same batch again.
#define BOOST_TEST_MODULE batch_ingest
#include <boost/test/unit_test.hpp>

#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

#include "../../../core/serve/batch_ingest.hpp"
#include "../../../core/store/sqlite_store.hpp"
#include "serve_support.hpp"

using namespace cspm;
using namespace cspm::core;
using nlohmann::json;
using test::base64;

namespace {

std::int64_t count(store::SqliteStore& s, const std::string& sql) {
  auto stmt = s.database().prepare(sql);
  BOOST_REQUIRE(stmt.step());
  return stmt.integer(0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_is_stored_with_its_bad_records_quarantined_and_a_resend_changes_nothing) {
  test::TempDir dir;
  store::SqliteStore db(dir.path());
  const std::string a = test::sample_event("imported_new_notautomated.template");
  const std::string b = test::sample_event("imported_new_automated_standard_check.template");
  const json request = {{"requestId", "req-1"},
                        {"timestamp", 1578090901599},
                        {"records", {{{"data", base64(a + "\n" + b + "\n")}}, {{"data", "%%% not base64"}}, {{"data", base64("{broken")}}}}};
  FirehoseBatch batch;
  BOOST_REQUIRE_EQUAL(read_firehose_request(request.dump(), false, {}, batch).status, 200);

  const auto first = ingest_batch(db, "firehose req-1", batch.documents, batch.bad_records);
  BOOST_REQUIRE_MESSAGE(first.status.ok(), first.status.message());
  BOOST_TEST(first.counts.events == 3u);           // two events and one broken document
  BOOST_TEST(first.counts.findings_new == 2u);
  BOOST_TEST(first.counts.quarantined == 2u);      // the bad base64 record and the broken JSON
  BOOST_TEST(count(db, "SELECT count(*) FROM findings") == 2);
  BOOST_TEST(count(db, "SELECT count(*) FROM quarantine WHERE source = 'firehose req-1'") == 2);

  // Firehose resends a batch it did not see acknowledged: nothing new, nothing duplicated.
  const auto again = ingest_batch(db, "firehose req-1", batch.documents, batch.bad_records);
  BOOST_REQUIRE(again.status.ok());
  BOOST_TEST(again.counts.findings_new == 0u);
  BOOST_TEST(again.counts.findings_updated == 0u);
  BOOST_TEST(count(db, "SELECT count(*) FROM findings") == 2);
  BOOST_TEST(count(db, "SELECT count(*) FROM quarantine") == 2);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "spool"));  // batches are not spooled to disk
}

BOOST_AUTO_TEST_CASE(a_gzip_document_inside_a_batch_is_quarantined_not_inflated) {
  test::TempDir dir;
  store::SqliteStore db(dir.path());
  // A file ingest would inflate a file starting with the gzip magic; a document never is.
  const std::string bomb = test::gzip(std::string(1'000'000, '{'));
  const auto r = ingest_batch(db, "http ingest", {bomb, test::sample_event("imported_new_notautomated.template")}, {});
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.findings_new == 1u);
  BOOST_TEST(r.counts.quarantined == 1u);
  BOOST_TEST(count(db, "SELECT count(*) FROM quarantine WHERE reason LIKE 'invalid JSON%' AND line = 1") == 1);
}

BOOST_AUTO_TEST_CASE(spool_files_left_by_a_crash_are_swept_and_others_kept) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() / "spool");
  std::ofstream(dir.path() / "spool" / "batch-abc123.ndjson") << "{}\n";
  std::ofstream(dir.path() / "spool" / "notes.txt") << "mine\n";
  sweep_spool(dir.path());
  BOOST_TEST(!std::filesystem::exists(dir.path() / "spool" / "batch-abc123.ndjson"));
  BOOST_TEST(std::filesystem::exists(dir.path() / "spool" / "notes.txt"));
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_written_fails_the_batch_so_it_is_not_acknowledged) {
  test::TempDir dir;
  store::SqliteStore db(dir.path());
  db.database().exec("PRAGMA query_only = 1");
  const auto r = ingest_batch(db, "firehose req-2", {test::sample_event("imported_new_notautomated.template")}, {});
  BOOST_TEST(!r.status.ok());
  db.database().exec("PRAGMA query_only = 0");
  BOOST_TEST(count(db, "SELECT count(*) FROM findings") == 0);
  const auto r2 = ingest_batch(db, "firehose req-2", {test::sample_event("imported_new_notautomated.template")}, {});
  BOOST_TEST(r2.status.ok());
  BOOST_TEST(r2.counts.findings_new == 1u);  // the retry stores what the failure did not
}
