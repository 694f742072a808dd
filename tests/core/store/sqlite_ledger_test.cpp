// The ticket ledger on real SQLite files: round trips, claims between two connections, cache.
#define BOOST_TEST_MODULE sqlite_ledger
#include <boost/test/unit_test.hpp>

#include "../../../core/store/schema.hpp"
#include "../../../core/store/sqlite_store.hpp"
#include "support.hpp"

using namespace cspm;

namespace {

LedgerEntry intent(std::string fingerprint) {
  LedgerEntry e;
  e.tracker = "jira http://t PROJ";
  e.fingerprint = std::move(fingerprint);
  e.state = "creating";
  e.attempt = "a1";
  e.created_at = e.updated_at = 1000;
  return e;
}

}  // namespace

BOOST_AUTO_TEST_CASE(entries_round_trip_and_survive_reopening) {
  test::TempDir dir;
  LedgerEntry e = intent("fp1");
  e.state = "open";
  e.issue_key = "PROJ-7";
  e.issue_id = "10007";
  e.content_hash = "h";
  e.previous_key = "PROJ-1";
  e.resolution = "";
  e.closed_at = 0;
  e.last_planned = 5000;
  e.reopened = 2;
  {
    store::SqliteStore db(dir.path());
    BOOST_REQUIRE(db.ledger().put(e).ok());
    BOOST_TEST(e.revision == 1u);
  }
  store::SqliteStore db(dir.path());
  std::optional<LedgerEntry> got;
  BOOST_REQUIRE(db.ledger().get(e.tracker, "fp1", got).ok());
  BOOST_REQUIRE(got);
  BOOST_TEST(got->issue_key == "PROJ-7");
  BOOST_TEST(got->issue_id == "10007");
  BOOST_TEST(got->previous_key == "PROJ-1");
  BOOST_TEST(got->last_planned == 5000);
  BOOST_TEST(got->reopened == 2u);
  BOOST_REQUIRE(db.ledger().get("other tracker", "fp1", got).ok());
  BOOST_TEST(!got);  // trackers do not share entries

  std::vector<LedgerEntry> all;
  LedgerEntry zero = intent("fp0");
  BOOST_REQUIRE(db.ledger().put(zero).ok());
  BOOST_REQUIRE(db.ledger().list(e.tracker, all).ok());
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].fingerprint == "fp0");
  BOOST_REQUIRE(db.ledger().remove(e.tracker, "fp0").ok());  // unclaimed: not ours to forget
  BOOST_REQUIRE(db.ledger().list(e.tracker, all).ok());
  BOOST_TEST(all.size() == 2u);
  ClaimResult claim = ClaimResult::held;
  BOOST_REQUIRE(db.ledger().claim(zero, 2000, 62000, claim).ok());
  BOOST_REQUIRE(db.ledger().remove(e.tracker, "fp0").ok());
  BOOST_REQUIRE(db.ledger().list(e.tracker, all).ok());
  BOOST_TEST(all.size() == 1u);
}

BOOST_AUTO_TEST_CASE(one_writer_per_fingerprint_until_the_lease_ends) {
  test::TempDir dir;
  store::SqliteStore first(dir.path()), second(dir.path());  // two connections, as two processes
  ClaimResult claim = ClaimResult::held;
  LedgerEntry mine = intent("fp");
  BOOST_REQUIRE(first.ledger().claim(mine, 1000, 61000, claim).ok());
  BOOST_TEST((claim == ClaimResult::taken));
  BOOST_TEST(mine.revision == 1u);
  LedgerEntry theirs = intent("fp");
  theirs.attempt = "b1";
  theirs.revision = 1;  // as read after our claim
  BOOST_REQUIRE(second.ledger().claim(theirs, 2000, 62000, claim).ok());
  BOOST_TEST((claim == ClaimResult::held));
  std::optional<LedgerEntry> got;
  BOOST_REQUIRE(second.ledger().get(theirs.tracker, "fp", got).ok());
  BOOST_TEST(got->attempt == "a1");  // the refused claim wrote nothing
  BOOST_TEST(!second.ledger().put(theirs).ok());  // nor may a put go past a live claim

  // The holder may renew; another owner gets it once the lease has run out (a crashed run).
  BOOST_REQUIRE(first.ledger().claim(mine, 3000, 63000, claim).ok());
  BOOST_TEST((claim == ClaimResult::taken));
  theirs.revision = mine.revision;
  BOOST_REQUIRE(second.ledger().claim(theirs, 63001, 123001, claim).ok());
  BOOST_TEST((claim == ClaimResult::taken));
  BOOST_REQUIRE(first.ledger().get(theirs.tracker, "fp", got).ok());
  BOOST_TEST(got->attempt == "b1");
  // The writer whose lease ran out may not overwrite the one that took over.
  const Status late = first.ledger().put(mine);
  BOOST_TEST(!late.ok());
  BOOST_TEST(late.message().find("taken over") != std::string::npos, late.message());
  BOOST_REQUIRE(first.ledger().get(theirs.tracker, "fp", got).ok());
  BOOST_TEST(got->attempt == "b1");

  // put() releases: the other owner may claim at once, on the revision it reads.
  BOOST_REQUIRE(second.ledger().put(theirs).ok());
  BOOST_REQUIRE(first.ledger().get(theirs.tracker, "fp", got).ok());
  BOOST_REQUIRE(first.ledger().claim(*got, 64000, 124000, claim).ok());
  BOOST_TEST((claim == ClaimResult::taken));
}

BOOST_AUTO_TEST_CASE(a_claim_on_a_stale_copy_is_refused_as_changed) {
  test::TempDir dir;
  store::SqliteStore first(dir.path()), second(dir.path());
  // Both find no entry; the first files the ticket and records it.
  std::optional<LedgerEntry> seen_by_second;
  BOOST_REQUIRE(second.ledger().get("jira http://t PROJ", "fp", seen_by_second).ok());
  BOOST_REQUIRE(!seen_by_second);
  LedgerEntry mine = intent("fp");
  ClaimResult claim = ClaimResult::held;
  BOOST_REQUIRE(first.ledger().claim(mine, 1000, 61000, claim).ok());
  mine.state = "open";
  mine.issue_key = "PROJ-1";
  BOOST_REQUIRE(first.ledger().put(mine).ok());

  // The second's intent was made from "no entry": it must not replace the open ticket.
  LedgerEntry theirs = intent("fp");
  BOOST_REQUIRE(second.ledger().claim(theirs, 2000, 62000, claim).ok());
  BOOST_TEST((claim == ClaimResult::changed));
  std::optional<LedgerEntry> got;
  BOOST_REQUIRE(second.ledger().get(theirs.tracker, "fp", got).ok());
  BOOST_TEST(got->issue_key == "PROJ-1");
  BOOST_TEST(got->state == "open");
  // Nor may an unclaimed put of a stale copy.
  theirs.revision = 0;
  BOOST_TEST(!second.ledger().put(theirs).ok());
  // Read again, it claims.
  BOOST_REQUIRE(second.ledger().claim(*got, 3000, 63000, claim).ok());
  BOOST_TEST((claim == ClaimResult::taken));
}

BOOST_AUTO_TEST_CASE(a_store_of_schema_3_gains_revisions) {
  test::TempDir dir;
  {
    store::Database db{store::store_file(dir.path()).string(), store::Database::Mode::read_write_create};
    store::migrate(db, 3);
    db.exec("INSERT INTO ledger (tracker, fingerprint, state, issue_key, created_at, updated_at) "
            "VALUES ('jira http://t', 'fp', 'open', 'PROJ-9', 1, 1)");
  }
  store::SqliteStore db(dir.path());
  std::optional<LedgerEntry> got;
  BOOST_REQUIRE(db.ledger().get("jira http://t", "fp", got).ok());
  BOOST_REQUIRE(got);
  BOOST_TEST(got->revision == 0u);
  ClaimResult claim = ClaimResult::held;
  BOOST_REQUIRE(db.ledger().claim(*got, 2, 600000, claim).ok());
  BOOST_TEST((claim == ClaimResult::taken));
  BOOST_TEST(got->revision == 1u);
}

BOOST_AUTO_TEST_CASE(cache_entries_expire) {
  test::TempDir dir;
  store::SqliteStore db(dir.path());
  std::optional<std::string> v;
  BOOST_REQUIRE(db.ledger().cache_put("t", "user:a@example.com", "5b10ac", 2000).ok());
  BOOST_REQUIRE(db.ledger().cache_get("t", "user:a@example.com", 1999, v).ok());
  BOOST_TEST(v.value_or("") == "5b10ac");
  BOOST_REQUIRE(db.ledger().cache_get("t", "user:a@example.com", 2000, v).ok());
  BOOST_TEST(!v);
}

BOOST_AUTO_TEST_CASE(a_read_only_store_gives_a_failed_status_not_an_exception) {
  test::TempDir dir;
  { store::SqliteStore db(dir.path()); }
  store::SqliteStore db(dir.path());
  db.database().exec("PRAGMA query_only = 1");
  LedgerEntry e = intent("fp");
  const Status s = db.ledger().put(e);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("ticket ledger") != std::string::npos, s.message());
}

BOOST_AUTO_TEST_CASE(a_claim_left_by_a_dead_process_is_taken_over_at_once) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  const pid_t child = fork();
  if (child == 0) {  // a cspmd that claims and dies (kill -9) without releasing
    store::SqliteStore db(dir.path());
    ClaimResult claim = ClaimResult::held;
    LedgerEntry e = intent("fp");
    const bool ok = db.ledger().claim(e, 1000, 600000, claim).ok() && claim == ClaimResult::taken;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  store::SqliteStore db(dir.path());
  std::optional<LedgerEntry> got;
  BOOST_REQUIRE(db.ledger().get("jira http://t PROJ", "fp", got).ok());
  ClaimResult claim = ClaimResult::held;
  BOOST_REQUIRE(db.ledger().claim(*got, 2000, 602000, claim).ok());
  BOOST_TEST((claim == ClaimResult::taken));  // well within the dead process's lease
}
