// The SQLite store on real files: latest-state rules, counts, quarantine, runs, migrations.
#define BOOST_TEST_MODULE sqlite_store
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "store/schema.hpp"
#include "store/sqlite_store.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::store;

namespace {

constexpr Timestamp kDay = 86'400'000;
constexpr Timestamp kT0 = 1'764'000'000'000;  // 2025-11-24

Version version_of(const Finding& f, std::uint64_t position = 0) { return {f.updated_at, content_hash(f), 0, position}; }

// Puts each finding as its own batch entry (one identity per put), in one transaction.
IngestCounts put_all(Store& s, const std::vector<Finding>& findings, Timestamp received = kT0) {
  IngestCounts counts;
  auto w = s.begin_write(received, 0);
  for (const Finding& f : findings) {
    const Version v = version_of(f);
    const std::string raw = "{\"Id\":\"" + std::string{f.id} + "\"}";
    w->put(f, PackedRaw{raw}, std::span<const Version>{&v, 1}, counts);
  }
  w->commit();
  return counts;
}

// Puts `f` in a transaction that is never committed: as if the process died.
void put_uncommitted(Store& s, const Finding& f) {
  IngestCounts c;
  auto w = s.begin_write(kT0, 0);
  const Version v = version_of(f);
  w->put(f, PackedRaw{"{}"}, std::span<const Version>{&v, 1}, c);
}

std::int64_t scalar(SqliteStore& s, const std::string& sql) {
  auto stmt = s.database().prepare(sql);
  BOOST_REQUIRE(stmt.step());
  return stmt.integer(0);
}

std::vector<const Finding*> select_all(Store& s, StoredFindings& table, Timestamp since = 0) {
  StoreSelection sel;
  sel.observed_since = since;
  s.select(sel, std::nullopt, table);
  return table.pointers();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sqlite_store_test)

BOOST_AUTO_TEST_CASE(an_older_version_never_replaces_a_newer_one) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  test::FindingFactory ff;
  Finding newer = ff.make("a", kT0 + 2 * kDay);
  newer.compliance_status = "PASSED";
  const Finding older = ff.make("a", kT0 + kDay);

  const auto first = put_all(s, {newer});
  BOOST_TEST(first.findings_new == 1u);
  const auto second = put_all(s, {older});  // arrives late
  BOOST_TEST(second.stale == 1u);
  BOOST_TEST(second.findings_updated == 0u);

  StoredFindings table;
  const auto stored = select_all(s, table);
  BOOST_REQUIRE(stored.size() == 1u);
  BOOST_TEST(stored[0]->updated_at == newer.updated_at);
  BOOST_TEST(stored[0]->compliance_status == "PASSED");
  BOOST_TEST(scalar(s, "SELECT events FROM findings") == 2);         // both were received
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 2);  // and observed
}

BOOST_AUTO_TEST_CASE(versions_are_classified_as_an_event_by_event_load_would) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  test::FindingFactory ff;
  const Finding v1 = ff.make("a", kT0), v3 = ff.make("a", kT0 + 3), v2 = ff.make("a", kT0 + 2);
  Finding v3b = ff.make("a", kT0 + 3);
  v3b.workflow_status = "NOTIFIED";  // same time, other content: a correction
  const std::vector<Version> versions{version_of(v1, 1), version_of(v3, 2), version_of(v2, 3), version_of(v3b, 4)};
  IngestCounts c;
  auto w = s.begin_write(kT0, 0);
  w->put(v3b, PackedRaw{"{}"}, versions, c);
  w->commit();
  BOOST_TEST(c.findings == 4u);
  BOOST_TEST(c.findings_new == 1u);      // v1
  BOOST_TEST(c.findings_updated == 2u);  // v3, v3b
  BOOST_TEST(c.stale == 1u);             // v2 came after v3
  StoredFindings table;
  BOOST_TEST(select_all(s, table).front()->workflow_status == "NOTIFIED");
}

BOOST_AUTO_TEST_CASE(an_equal_updated_at_replaces_only_later_in_the_same_ingest) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  test::FindingFactory ff;
  Finding a = ff.make("x", kT0), b = ff.make("x", kT0);
  b.workflow_status = "NOTIFIED";
  const auto put = [&](const Finding& f, std::int64_t ingest, std::uint64_t position) {
    IngestCounts c;
    auto w = s.begin_write(kT0, ingest);
    const Version v = version_of(f, position);
    w->put(f, PackedRaw{"{}"}, std::span<const Version>{&v, 1}, c);
    w->commit();
    return c;
  };
  put(a, 7, 100);
  BOOST_TEST(put(b, 7, 50).stale == 1u);             // earlier in the same input: not a correction
  BOOST_TEST(put(b, 7, 200).findings_updated == 1u);  // later in it: it is
  BOOST_TEST(put(a, 8, 999).stale == 1u);             // another ingest never replaces on a tie
  StoredFindings table;
  BOOST_TEST(select_all(s, table).front()->workflow_status == "NOTIFIED");
}

BOOST_AUTO_TEST_CASE(storing_the_same_versions_again_changes_only_bookkeeping) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  test::FindingFactory ff;
  const std::vector<Finding> day{ff.make("a", kT0), ff.make("b", kT0 + 1)};
  put_all(s, day, kT0);
  const auto seq = scalar(s, "SELECT max(change_seq) FROM findings");
  const auto again = put_all(s, day, kT0 + kDay);
  BOOST_TEST(again.stale == 2u);
  BOOST_TEST(again.findings_new + again.findings_updated == 0u);
  BOOST_TEST(scalar(s, "SELECT max(change_seq) FROM findings") == seq);  // no state changed
  BOOST_TEST(scalar(s, "SELECT count(*) FROM observations") == 2);
  BOOST_TEST(scalar(s, "SELECT min(last_seen) FROM findings") == kT0 + kDay);
  BOOST_TEST(scalar(s, "SELECT min(first_seen) FROM findings") == kT0);
}

BOOST_AUTO_TEST_CASE(quarantine_keeps_each_bad_record_once_with_where_and_why) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  IngestCounts c;
  for (int round = 0; round < 2; ++round) {
    auto w = s.begin_write(kT0 + round, 0);
    w->quarantine({"day.ndjson", 7, "invalid JSON: unclosed string", "{\"Id\": \"x", 9}, c);
    w->quarantine({"day.ndjson", 9, "record exceeds 1024 bytes (5000)", "", 5000}, c);
    w->commit();
  }
  BOOST_TEST(c.quarantined == 4u);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM quarantine") == 2);
  BOOST_TEST(scalar(s, "SELECT times FROM quarantine WHERE line = 7") == 2);
  auto row = s.database().prepare("SELECT source, reason, record FROM quarantine WHERE line = 7");
  BOOST_REQUIRE(row.step());
  BOOST_TEST(row.text(0) == "day.ndjson");
  BOOST_TEST(row.text(1) == "invalid JSON: unclosed string");
  BOOST_TEST(row.text(2) == "{\"Id\": \"x");
}

BOOST_AUTO_TEST_CASE(uncommitted_writes_are_rolled_back) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  test::FindingFactory ff;
  put_uncommitted(s, ff.make("a", kT0));  // no commit: as if the process died
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings") == 0);
}

BOOST_AUTO_TEST_CASE(shared_texts_stay_right_across_rollbacks_and_other_connections) {
  // One connection keeps its text ids across transactions: a rolled-back id must be
  // forgotten (SQLite hands it out again) and ids another connection added must be learnt.
  test::TempDir dir;
  SqliteStore s{dir.path()}, other{dir.path()};
  test::FindingFactory ff;
  const auto titled = [&](const std::string& id, const std::string& title) {
    Finding f = ff.make(id, kT0);
    f.title = ff.keep(title);
    return f;
  };
  put_uncommitted(s, titled("a", "rolled back title"));  // rolled back: its text id is free again
  put_all(other, {titled("b", "title from the other connection")});
  put_all(s, {titled("c", "rolled back title"), titled("d", "title from the other connection")});
  StoredFindings table;
  std::map<std::string, std::string> titles;
  for (const Finding* f : select_all(s, table)) titles[std::string{f->id}] = std::string{f->title};
  BOOST_TEST(titles["b"] == "title from the other connection");
  BOOST_TEST(titles["c"] == "rolled back title");
  BOOST_TEST(titles["d"] == "title from the other connection");
  BOOST_TEST(scalar(s, "SELECT count(*) FROM texts WHERE text LIKE '%title%'") == 2);
}

// A connection remembers the rows it wrote (to skip looking them up again): what a rolled
// back transaction wrote, and what another connection changed since, must not be believed.
BOOST_AUTO_TEST_CASE(rows_a_connection_remembers_stay_right_across_rollbacks_and_other_connections) {
  test::TempDir dir;
  SqliteStore s{dir.path()}, other{dir.path()};
  test::FindingFactory ff;
  put_uncommitted(s, ff.make("a", kT0));  // rolled back: "a" has no row
  BOOST_TEST(put_all(s, {ff.make("a", kT0 + 1)}).findings_new == 1u);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings WHERE finding_id = 'a'") == 1);

  BOOST_TEST(put_all(other, {ff.make("a", kT0 + 3)}).findings_updated == 1u);  // newer, by another connection
  const auto late = put_all(s, {ff.make("a", kT0 + 2)});  // newer than what `s` wrote, older than the row
  BOOST_TEST(late.stale == 1u);
  BOOST_TEST(late.findings_updated == 0u);
  BOOST_TEST(scalar(s, "SELECT updated_at FROM findings WHERE finding_id = 'a'") == kT0 + 3);
  BOOST_TEST(scalar(s, "SELECT events FROM findings WHERE finding_id = 'a'") == 3);

  // Rows this connection changed outside a writer (a retention job, say) are not believed either.
  BOOST_TEST(put_all(s, {ff.make("b", kT0)}).findings_new == 1u);
  s.database().exec("DELETE FROM finding_states WHERE finding_id = 'b'");
  BOOST_TEST(put_all(s, {ff.make("b", kT0 + 1)}).findings_new == 1u);
  BOOST_TEST(scalar(s, "SELECT count(*) FROM findings WHERE finding_id = 'b'") == 1);
}

BOOST_AUTO_TEST_CASE(selection_by_window_and_by_watermark) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  test::FindingFactory ff;
  put_all(s, {ff.make("old", kT0), ff.make("recent", kT0 + 5 * kDay)});
  StoredFindings window;
  const auto recent = select_all(s, window, kT0 + 4 * kDay);
  BOOST_REQUIRE(recent.size() == 1u);
  BOOST_TEST(recent[0]->id == "recent");

  StoredFindings all;
  const std::uint64_t mark = s.select(StoreSelection{}, std::nullopt, all);
  BOOST_TEST(mark == 2u);
  put_all(s, {ff.make("old", kT0 + 6 * kDay)});  // changes after the mark
  StoredFindings changed;
  s.select(StoreSelection{}, mark, changed);
  BOOST_REQUIRE(changed.size() == 1u);
  BOOST_TEST(changed.pointers()[0]->id == "old");
}

BOOST_AUTO_TEST_CASE(runs_remember_the_watermark_of_the_last_real_success) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  BOOST_TEST(!s.last_success("daily"));
  const auto ok = s.begin_run("daily", kT0, kT0, false);
  s.finish_run(ok, true, kT0 + 1, 10, R"({"tickets":2})", "");
  const auto dry = s.begin_run("daily", kT0, kT0, true);
  s.finish_run(dry, true, kT0 + 1, 20, "{}", "");
  const auto failed = s.begin_run("daily", kT0, kT0, false);
  s.finish_run(failed, false, kT0 + 1, 30, "{}", "jira: 503");
  const auto other = s.begin_run("weekly", kT0, kT0, false);
  s.finish_run(other, true, kT0 + 1, 40, "{}", "");
  BOOST_TEST(s.last_success("daily").value_or(0) == 10u);
  const auto runs = s.runs("daily", 10);
  BOOST_REQUIRE(runs.size() == 3u);
  BOOST_TEST(runs[0].outcome == "failure");
  BOOST_TEST(runs[0].error == "jira: 503");
  BOOST_TEST(runs[2].counts_json == R"({"tickets":2})");
}

BOOST_AUTO_TEST_CASE(a_store_from_an_older_build_is_migrated_with_its_data) {
  test::TempDir dir;
  {
    Database db{store_file(dir.path()).string(), Database::Mode::read_write_create};
    migrate(db, 1);  // what the first release wrote
    BOOST_TEST(schema_version(db) == 1);
    db.exec("INSERT INTO quarantine (first_seen, last_seen, times, source, reason, record_bytes, record_hash) "
            "VALUES (1, 1, 1, 'old.ndjson', 'kept', 0, 42)");
  }
  SqliteStore s{dir.path()};
  BOOST_TEST(schema_version(s.database()) == current_schema_version());
  BOOST_TEST(scalar(s, "SELECT count(*) FROM quarantine WHERE reason = 'kept'") == 1);
  BOOST_TEST(s.begin_run("daily", kT0, kT0, false) > 0);  // the newer table is there
}

BOOST_AUTO_TEST_CASE(a_store_from_a_newer_build_is_refused) {
  test::TempDir dir;
  {
    Database db{store_file(dir.path()).string(), Database::Mode::read_write_create};
    db.exec("PRAGMA user_version = 99");
  }
  try {
    SqliteStore s{dir.path()};
    BOOST_FAIL("opened a store from the future");
  } catch (const SqliteError& e) {
    BOOST_TEST(std::string{e.what()}.find("newer than this cspmd") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(an_unusable_data_directory_is_a_clear_error) {
  test::TempDir dir;
  const auto file = dir.write("not-a-directory", "x");
  try {
    SqliteStore s{file / "data"};
    BOOST_FAIL("opened a store under a file");
  } catch (const SqliteError& e) {
    BOOST_TEST(std::string{e.what()}.find("cannot create the data directory") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
