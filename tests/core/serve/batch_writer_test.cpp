// The ingest writer: batches logged from many threads are all stored by folds, each bad
// record under its own batch; what was acknowledged survives a crash; NDJSON gets its own
// counts, after everything logged before it; a fold the store refuses keeps the log.
#define BOOST_TEST_MODULE batch_writer
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <thread>

#include <nlohmann/json.hpp>

#include "../../../core/serve/batch_writer.hpp"
#include "../../../core/store/ingest_log.hpp"
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

PendingBatch events(const std::string& source, int first, int n) {
  PendingBatch batch{source, {}, {}};
  for (int i = first; i < first + n; ++i) batch.documents.push_back(event(i));
  return batch;
}

std::int64_t count(const test::TempDir& dir, const std::string& sql) {
  store::SqliteStore s(dir.path());
  auto stmt = s.database().prepare(sql);
  BOOST_REQUIRE(stmt.step());
  return stmt.integer(0);
}

std::int64_t logged(const test::TempDir& dir) { return store::IngestLog{dir.path()}.size(); }

// Folds only when asked (a drain, an NDJSON batch, the stop).
BatchWriterOptions folds_when_asked() {
  BatchWriterOptions o;
  o.fold_delay = std::chrono::hours{1};
  o.fold_findings = 1'000'000;
  return o;
}

// Every stored finding's JSON reads back, with its own id; returns how many.
int check_raw_json(const test::TempDir& dir) {
  store::SqliteStore s(dir.path());
  store::register_raw_json(s.database());
  auto stmt = s.database().prepare("SELECT finding_id, raw_json(row) FROM findings");
  int checked = 0;
  while (stmt.step()) {
    BOOST_TEST(json::parse(stmt.text(1))["Id"] == std::string{stmt.text(0)});
    ++checked;
  }
  return checked;
}

// Runs `work` with a writer in a child process that then dies at once (the writer is never
// closed: a crash); its exit code is work's.
int in_a_crashing_child(const test::TempDir& dir, const std::function<int(BatchWriter&)>& work) {
  const pid_t child = ::fork();
  if (child == 0) {
    auto* writer = new BatchWriter(dir.path(), folds_when_asked());  // never destroyed
    ::_exit(work(*writer));
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace

BOOST_AUTO_TEST_CASE(batches_logged_from_many_threads_are_all_stored_with_their_own_quarantine) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  constexpr int kThreads = 8, kBatches = 6, kEvents = 30;  // past the 1,000 a dictionary is trained on
  std::atomic<int> failures{0};
  {
    BatchWriterOptions o;
    o.fold_findings = 200;  // many folds, while batches are still being logged
    o.max_fold_findings = 100;
    BatchWriter writer(dir.path(), o);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int b = 0; b < kBatches; ++b) {
          PendingBatch batch = events("firehose t" + std::to_string(t) + "-b" + std::to_string(b),
                                      (t * kBatches + b) * kEvents, kEvents);
          batch.documents.push_back("{not json " + batch.source);  // quarantined under this batch
          const auto r = writer.log(batch);
          if (!r.status.ok() || r.counts.events != kEvents + 1) ++failures;
        }
      });
    for (auto& t : threads) t.join();
    BOOST_TEST(writer.drain());
    BOOST_TEST(writer.logged_batches() == 0u);
    BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == kThreads * kBatches * kEvents);
  }
  BOOST_TEST(failures == 0);
  BOOST_TEST(logged(dir) == 0);  // folded entries are removed, at the latest by the stop
  BOOST_TEST(count(dir, "SELECT count(*) FROM quarantine") == kThreads * kBatches);
  // Each broken document is kept under the batch it came in, at its position there.
  BOOST_TEST(count(dir, "SELECT count(*) FROM quarantine WHERE record LIKE '%' || substr(source, 10) AND line = 31") ==
             kThreads * kBatches);
  // Findings packed with the dictionary a fold trained read back.
  BOOST_TEST(count(dir, "SELECT count(*) FROM finding_raw WHERE dict > 0") > 0);
  BOOST_TEST(check_raw_json(dir) == kThreads * kBatches * kEvents);
}

BOOST_AUTO_TEST_CASE(an_acknowledged_batch_waits_in_the_log_until_a_fold_stores_it) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  BatchWriter writer(dir.path(), folds_when_asked());
  const auto r = writer.log(events("firehose one", 1, 2));
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(logged(dir) == 1);  // committed: another connection sees it
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 0);
  BOOST_TEST(writer.logged_batches() == 1u);
  BOOST_TEST(writer.drain());
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 2);
  BOOST_TEST(writer.logged_batches() == 0u);
}

BOOST_AUTO_TEST_CASE(ndjson_is_committed_alone_after_what_was_logged_before_it) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  BatchWriter writer(dir.path(), folds_when_asked());
  BOOST_REQUIRE(writer.log(events("firehose first", 1, 2)).status.ok());
  PendingBatch ndjson{"http ingest", {event(1), event(3), "garbage"}, {}};
  const auto r = writer.write(ndjson);
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.events == 3u);
  BOOST_TEST(r.counts.findings_new == 1u);  // finding 3
  BOOST_TEST(r.counts.stale == 1u);         // finding 1: the logged batch was stored first
  BOOST_TEST(r.counts.quarantined == 1u);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 3);
}

// Finding `id` as updated at `updated_at`, titled `title` (by default, after that time).
std::string version(const std::string& id, const std::string& updated_at, std::string title = {}) {
  json e = json::parse(event(0));
  auto& f = e["detail"]["findings"][0];
  f["Id"] = id;
  f["UpdatedAt"] = updated_at;
  f["Title"] = title.empty() ? "as of " + updated_at : title;
  return e.dump();
}

BOOST_AUTO_TEST_CASE(logged_versions_a_newer_one_supersedes_drop_their_bodies_and_all_are_counted) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  BatchWriter writer(dir.path(), folds_when_asked());
  const std::vector<std::string> times = {"2026-11-20T10:00:00Z", "2026-11-22T10:00:00Z", "2026-11-21T10:00:00Z",
                                          "2026-11-22T10:00:00Z"};
  for (std::size_t b = 0; b < times.size(); ++b)
    BOOST_REQUIRE(writer.log({"firehose v" + std::to_string(b),
                              {version("finding-x", times[b], "batch " + std::to_string(b)), event(100 + int(b))}, {}})
                      .status.ok());
  BOOST_TEST(writer.logged_batches() == 4u);
  BOOST_TEST(writer.held_findings() == 5u);  // finding-x once (the last of the tie), and four others
  BOOST_TEST(writer.drain());
  BOOST_TEST(writer.held_findings() == 0u);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 5);
  BOOST_TEST(count(dir, "SELECT events FROM finding_states WHERE finding_id = 'finding-x'") == 4);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings WHERE finding_id = 'finding-x' AND title = 'batch 3'") == 1);
  BOOST_TEST(count(dir, "SELECT count(*) FROM observations o JOIN findings f ON o.finding = f.row "
                        "WHERE f.finding_id = 'finding-x'") == 3);  // one per distinct UpdatedAt
  BOOST_TEST(check_raw_json(dir) == 5);
}

// Threads log versions of the same findings while folds run (each takes the open segment,
// and segments close at max_fold_findings): every finding ends at its newest version, and
// every version is counted.
BOOST_AUTO_TEST_CASE(versions_of_the_same_findings_logged_from_many_threads_while_folding_end_at_the_newest) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  constexpr int kThreads = 4, kBatches = 12, kFindings = 20;
  std::atomic<int> failures{0};
  {
    BatchWriterOptions o;
    o.fold_findings = 60;
    o.max_fold_findings = 50;  // a segment closes every few batches
    o.fold_delay = std::chrono::milliseconds{1};
    BatchWriter writer(dir.path(), o);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int b = 0; b < kBatches; ++b) {
          // Minute b * kThreads + t: each (thread, batch) its own time; the last batches newest.
          const int minute = b * kThreads + t;
          char at[32];
          std::snprintf(at, sizeof at, "2026-11-20T%02d:%02d:00Z", minute / 60, minute % 60);
          PendingBatch batch{"firehose t" + std::to_string(t) + "-b" + std::to_string(b), {}, {}};
          for (int f = 0; f < kFindings; ++f) batch.documents.push_back(version("shared-" + std::to_string(f), at, at));
          if (!writer.log(batch).status.ok()) ++failures;
        }
      });
    for (auto& t : threads) t.join();
    BOOST_TEST(writer.drain());
    BOOST_TEST(writer.held_findings() == 0u);
  }
  BOOST_TEST(failures == 0);
  const int last = (kBatches - 1) * kThreads + kThreads - 1;
  char newest[32];
  std::snprintf(newest, sizeof newest, "2026-11-20T%02d:%02d:00Z", last / 60, last % 60);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == kFindings);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings WHERE title = '" + std::string{newest} + "'") == kFindings);
  BOOST_TEST(count(dir, "SELECT min(events) FROM finding_states") == kThreads * kBatches);
  BOOST_TEST(count(dir, "SELECT count(*) FROM observations") == kFindings * kThreads * kBatches);
  BOOST_TEST(check_raw_json(dir) == kFindings);
}

// max_logged_findings bounds bodies held, not versions: a finding sent again and again
// holds one body however often it is logged.
BOOST_AUTO_TEST_CASE(logging_waits_for_bodies_held_not_for_versions, *boost::unit_test::timeout(60)) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  BatchWriterOptions o = folds_when_asked();
  o.max_logged_findings = 2;
  BatchWriter writer(dir.path(), o);
  for (int day = 10; day < 20; ++day)
    BOOST_REQUIRE(writer.log({"firehose day " + std::to_string(day),
                              {version("finding-x", "2026-11-" + std::to_string(day) + "T10:00:00Z")}, {}})
                      .status.ok());
  BOOST_TEST(writer.logged_batches() == 10u);
  BOOST_TEST(writer.held_findings() == 1u);
  BOOST_TEST(writer.drain());
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings WHERE title = 'as of 2026-11-19T10:00:00Z'") == 1);
}

// What a crash left logged holds versions of the same finding: the start keeps one body
// and stores the newest.
BOOST_AUTO_TEST_CASE(versions_left_in_the_log_by_a_crash_are_stored_newest_last) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  const int code = in_a_crashing_child(dir, [](BatchWriter& writer) {
    for (int day = 10; day < 15; ++day)
      if (!writer.log({"firehose day " + std::to_string(day),
                       {version("finding-x", "2026-11-" + std::to_string(day) + "T10:00:00Z"), event(day)}, {}})
               .status.ok())
        return 1;
    return 0;
  });
  BOOST_REQUIRE_EQUAL(code, 0);
  BOOST_TEST(logged(dir) == 5);
  BatchWriter writer(dir.path(), folds_when_asked());
  BOOST_TEST(writer.drain());
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 6);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings WHERE title = 'as of 2026-11-14T10:00:00Z'") == 1);
  BOOST_TEST(count(dir, "SELECT events FROM finding_states WHERE finding_id = 'finding-x'") == 5);
  BOOST_TEST(check_raw_json(dir) == 6);
}

BOOST_AUTO_TEST_CASE(batches_acknowledged_before_a_crash_are_stored_by_the_next_start) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  // The child acknowledges 1,500 events, 300 of them not folded yet, then dies at once.
  const int code = in_a_crashing_child(dir, [](BatchWriter& writer) {
    int failed = 0;
    for (int b = 0; b < 12; ++b)
      if (!writer.log(events("firehose early-" + std::to_string(b), b * 100, 100)).status.ok()) failed = 1;
    if (!writer.drain()) failed = 2;  // trains the dictionary the later batches are packed with
    for (int b = 12; b < 15; ++b)
      if (!writer.log(events("firehose late-" + std::to_string(b), b * 100, 100)).status.ok()) failed = 3;
    return failed;
  });
  BOOST_REQUIRE_EQUAL(code, 0);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 1200);
  BOOST_TEST(logged(dir) == 3);
  {  // the receiving threads packed the late batches with the trained dictionary: small entries
    store::Database log(store::ingest_log_file(dir.path()).string(), store::Database::Mode::read_only);
    auto stmt = log.prepare("SELECT max(length(entry)) FROM ingest_log");
    BOOST_REQUIRE(stmt.step());
    const auto text_bytes = static_cast<std::int64_t>(100 * json::parse(event(1300))["detail"]["findings"][0].dump().size());
    BOOST_TEST(stmt.integer(0) * 3 < text_bytes);
  }
  {
    BatchWriter writer(dir.path(), folds_when_asked());
    BOOST_TEST(writer.drain());  // waits for what the crash left, then folds it
    BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 1500);
  }
  BOOST_TEST(logged(dir) == 0);
  BOOST_TEST(count(dir, "SELECT count(*) FROM finding_raw WHERE finding IN (SELECT row FROM findings "
                        "WHERE finding_id >= 'finding-1200' AND length(finding_id) = 12) AND dict > 0") == 300);
  BOOST_TEST(check_raw_json(dir) == 1500);
}

BOOST_AUTO_TEST_CASE(a_fold_the_store_refuses_keeps_the_batch_logged_and_is_retried) {
  test::TempDir dir;
  {
    store::SqliteStore init(dir.path());
    init.database().exec("CREATE TRIGGER refuse BEFORE INSERT ON finding_states "
                         "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  }
  std::mutex m;
  std::vector<std::string> errors;
  BatchWriterOptions o = folds_when_asked();
  o.retry_delay = std::chrono::milliseconds{1};
  o.on_error = [&](const std::string& e) {
    const std::lock_guard lock{m};
    errors.push_back(e);
  };
  BatchWriter writer(dir.path(), o);
  BOOST_REQUIRE(writer.log(events("firehose refused", 1, 2)).status.ok());  // logging is not the store's
  BOOST_TEST(!writer.drain());
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 0);
  BOOST_TEST(writer.logged_batches() == 1u);
  BOOST_TEST(logged(dir) == 1);
  {
    const std::lock_guard lock{m};
    BOOST_REQUIRE(!errors.empty());
    BOOST_TEST(errors.front().find("refused by the test") != std::string::npos, errors.front());
    BOOST_TEST(errors.front().find("firehose refused") != std::string::npos, errors.front());
  }
  store::SqliteStore(dir.path()).database().exec("DROP TRIGGER refuse");  // the store takes findings again
  // A retry begun before the drop may still fail once after this drain began.
  bool drained = writer.drain();
  if (!drained) drained = writer.drain();
  BOOST_TEST(drained);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 2);
}

// The store refuses one batch's findings (a trigger on their ids), not the others.
void refuse_poison(const test::TempDir& dir) {
  store::SqliteStore s(dir.path());
  s.database().exec("CREATE TRIGGER refuse BEFORE INSERT ON finding_states WHEN NEW.finding_id LIKE 'poison%' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
}

PendingBatch poison(const std::string& source) {
  json e = json::parse(event(0));
  e["detail"]["findings"][0]["Id"] = "poison-1";
  return {source, {e.dump()}, {}};
}

BOOST_AUTO_TEST_CASE(ndjson_behind_a_batch_the_store_refuses_is_still_answered, *boost::unit_test::timeout(60)) {
  test::TempDir dir;
  refuse_poison(dir);
  BatchWriterOptions o = folds_when_asked();
  o.retry_delay = std::chrono::hours{1};  // a backoff the test does not outlast
  BatchWriter writer(dir.path(), o);
  BOOST_REQUIRE(writer.log(poison("firehose poison")).status.ok());
  BOOST_TEST(!writer.drain());
  BOOST_REQUIRE(writer.log(events("firehose good", 7, 1)).status.ok());  // logged after the refused one
  const auto r = writer.write(events("http ingest", 7, 2));
  BOOST_REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  BOOST_TEST(r.counts.findings_new == 1u);  // finding 8
  BOOST_TEST(r.counts.stale == 1u);         // finding 7: the good batch logged before it went first
  BOOST_TEST(writer.logged_batches() == 1u);  // the refused one stays logged
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 2);
}

// A batch that lost a body to a newer version in another batch of its fold, then refused
// by the store, folds alone: it is read again from the log, whole.
BOOST_AUTO_TEST_CASE(a_refused_batch_that_lost_bodies_is_read_again_to_fold_alone, *boost::unit_test::timeout(60)) {
  test::TempDir dir;
  refuse_poison(dir);
  BatchWriterOptions o = folds_when_asked();
  o.retry_delay = std::chrono::milliseconds{1};
  BatchWriter writer(dir.path(), o);
  BOOST_REQUIRE(writer.log({"firehose newer", {version("finding-x", "2026-11-22T10:00:00Z")}, {}}).status.ok());
  json poisoned = json::parse(poison("p").documents[0]);
  BOOST_REQUIRE(writer.log({"firehose older", {poisoned.dump(), version("finding-x", "2026-11-21T10:00:00Z")}, {}})
                    .status.ok());
  BOOST_TEST(writer.held_findings() == 2u);  // the older finding-x dropped its body
  BOOST_TEST(!writer.drain());               // the fold of both fails; alone, the newer one is stored
  BOOST_TEST(writer.logged_batches() == 1u);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings WHERE title = 'as of 2026-11-22T10:00:00Z'") == 1);
  BOOST_TEST(writer.held_findings() == 2u);  // the refused batch, whole again
  store::SqliteStore(dir.path()).database().exec("DROP TRIGGER refuse");
  bool drained = writer.drain();
  if (!drained) drained = writer.drain();  // a retry begun before the drop may fail once more
  BOOST_TEST(drained);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 2);
  BOOST_TEST(count(dir, "SELECT events FROM finding_states WHERE finding_id = 'finding-x'") == 2);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings WHERE title = 'as of 2026-11-22T10:00:00Z'") == 1);
  BOOST_TEST(check_raw_json(dir) == 2);
}

BOOST_AUTO_TEST_CASE(closing_while_the_store_refuses_answers_waiting_callers_and_keeps_the_log, *boost::unit_test::timeout(60)) {
  test::TempDir dir;
  refuse_poison(dir);
  BatchWriterOptions o = folds_when_asked();
  o.max_logged_findings = 1;  // after one logged batch, logging waits for a fold
  o.retry_delay = std::chrono::seconds{1};
  {
    BatchWriter writer(dir.path(), o);
    BOOST_REQUIRE(writer.log(poison("firehose poison")).status.ok());
    store::IngestResult waiting;
    std::thread caller([&] { waiting = writer.log(events("firehose waiting", 1, 2)); });
    BOOST_TEST(!writer.close());  // folds fail: nothing hangs, and the log keeps what it has
    caller.join();
    BOOST_TEST(!waiting.status.ok());  // not acknowledged: Firehose sends it again
    BOOST_TEST(!writer.log(events("firehose late", 3, 1)).status.ok());
    BOOST_TEST(!writer.write(events("http ingest", 4, 1)).status.ok());
  }
  BOOST_TEST(logged(dir) == 1);
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings") == 0);
  store::SqliteStore(dir.path()).database().exec("DROP TRIGGER refuse");
  BatchWriter again(dir.path(), folds_when_asked());
  BOOST_TEST(again.drain());
  BOOST_TEST(count(dir, "SELECT count(*) FROM findings WHERE finding_id = 'poison-1'") == 1);
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_opened_fails_every_batch) {
  test::TempDir dir;
  test::write_file(dir.path() / "a-file", "x");
  BatchWriter writer(dir.path() / "a-file");  // no store or log can live under a file
  BOOST_TEST(!writer.log(events("firehose x", 1, 1)).status.ok());
  BOOST_TEST(!writer.write(events("http ingest", 1, 1)).status.ok());
}
