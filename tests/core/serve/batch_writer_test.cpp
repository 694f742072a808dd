// Group commit: batches written from many threads at once are all stored, each bad record
// under its own batch's source, and a batch that is not shareable gets its own counts.
#define BOOST_TEST_MODULE batch_writer
#include <boost/test/unit_test.hpp>

#include <thread>

#include <nlohmann/json.hpp>

#include "../../../core/serve/batch_writer.hpp"
#include "../../../core/store/raw_json_function.hpp"
#include "../../../core/store/sqlite_store.hpp"
#include "serve_support.hpp"

using namespace cspm;
using namespace cspm::core;
using nlohmann::json;

namespace {

// Event `i`: the AWS sample with its own finding id.
std::string event(int i) {
  json e = json::parse(test::sample_event("imported_new_notautomated.template"));
  e["detail"]["findings"][0]["Id"] = "finding-" + std::to_string(i);
  return e.dump();
}

std::int64_t count(const test::TempDir& dir, const std::string& sql) {
  store::SqliteStore s(dir.path());
  auto stmt = s.database().prepare(sql);
  BOOST_REQUIRE(stmt.step());
  return stmt.integer(0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(batches_from_many_threads_are_all_committed_with_their_own_quarantine) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  BatchWriter writer(dir.path(), 50);
  constexpr int kThreads = 8, kBatches = 6, kEvents = 30;  // past the 1,000 a dictionary is trained on
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        PendingBatch batch;
        batch.source = "firehose t" + std::to_string(t) + "-b" + std::to_string(b);
        for (int e = 0; e < kEvents; ++e) batch.documents.push_back(event((t * kBatches + b) * kEvents + e));
        batch.documents.push_back("{not json " + batch.source);  // quarantined under this batch
        const auto r = writer.write(batch, true);
        if (!r.status.ok()) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  BOOST_TEST(failures == 0);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == kThreads * kBatches * kEvents);
  BOOST_TEST(count(dir, "SELECT count(*) FROM quarantine") == kThreads * kBatches);
  // Each broken document is kept under the batch it came in, at its position there.
  BOOST_TEST(count(dir, "SELECT count(*) FROM quarantine WHERE record LIKE '%' || substr(source, 10) AND line = 31") ==
             kThreads * kBatches);
  // Findings packed by the receiving threads, with the dictionary a commit trained, read back.
  store::SqliteStore s(dir.path());
  BOOST_TEST(count(dir, "SELECT count(*) FROM finding_raw WHERE dict > 0") > 0);
  store::register_raw_json(s.database());
  auto stmt = s.database().prepare("SELECT finding_id, raw_json(row) FROM findings");
  int checked = 0;
  while (stmt.step()) {
    const json f = json::parse(stmt.text(1));
    BOOST_TEST(f["Id"] == std::string{stmt.text(0)});
    ++checked;
  }
  BOOST_TEST(checked == kThreads * kBatches * kEvents);
}

BOOST_AUTO_TEST_CASE(a_batch_that_is_not_shareable_gets_its_own_counts) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  BatchWriter writer(dir.path());
  PendingBatch first{"http ingest", {event(1), event(2), "garbage"}, {}};
  const auto r = writer.write(first, false);
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.events == 3u);
  BOOST_TEST(r.counts.findings_new == 2u);
  BOOST_TEST(r.counts.quarantined == 1u);
  PendingBatch again{"http ingest", {event(1), event(3)}, {}};
  const auto r2 = writer.write(again, false);
  BOOST_TEST(r2.counts.findings_new == 1u);
  BOOST_TEST(r2.counts.stale == 1u);
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_opened_fails_every_batch) {
  test::TempDir dir;
  test::write_file(dir.path() / "a-file", "x");
  BatchWriter writer(dir.path() / "a-file");  // no store can live under a file
  const auto r = writer.write({"firehose x", {event(1)}, {}}, true);
  BOOST_TEST(!r.status.ok());
}
