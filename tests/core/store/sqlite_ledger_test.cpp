// The ticket ledger on real SQLite files: round trips, claims between two connections, cache.
#define BOOST_TEST_MODULE sqlite_ledger
#include <boost/test/unit_test.hpp>

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
  BOOST_REQUIRE(db.ledger().put(intent("fp0")).ok());
  BOOST_REQUIRE(db.ledger().list(e.tracker, all).ok());
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].fingerprint == "fp0");
  BOOST_REQUIRE(db.ledger().remove(e.tracker, "fp0").ok());
  BOOST_REQUIRE(db.ledger().list(e.tracker, all).ok());
  BOOST_TEST(all.size() == 1u);
}

BOOST_AUTO_TEST_CASE(one_writer_per_fingerprint_until_the_lease_ends) {
  test::TempDir dir;
  store::SqliteStore first(dir.path()), second(dir.path());  // two connections, as two processes
  bool claimed = false;
  BOOST_REQUIRE(first.ledger().claim(intent("fp"), 1000, 61000, claimed).ok());
  BOOST_TEST(claimed);
  LedgerEntry theirs = intent("fp");
  theirs.attempt = "b1";
  BOOST_REQUIRE(second.ledger().claim(theirs, 2000, 62000, claimed).ok());
  BOOST_TEST(!claimed);
  std::optional<LedgerEntry> got;
  BOOST_REQUIRE(second.ledger().get(theirs.tracker, "fp", got).ok());
  BOOST_TEST(got->attempt == "a1");  // the refused claim wrote nothing

  // The holder may renew; another owner gets it once the lease has run out (a crashed run).
  BOOST_REQUIRE(first.ledger().claim(intent("fp"), 3000, 63000, claimed).ok());
  BOOST_TEST(claimed);
  BOOST_REQUIRE(second.ledger().claim(theirs, 63001, 123001, claimed).ok());
  BOOST_TEST(claimed);
  BOOST_REQUIRE(first.ledger().get(theirs.tracker, "fp", got).ok());
  BOOST_TEST(got->attempt == "b1");

  // put() releases: the other owner may claim at once.
  BOOST_REQUIRE(second.ledger().put(theirs).ok());
  BOOST_REQUIRE(first.ledger().claim(intent("fp"), 64000, 124000, claimed).ok());
  BOOST_TEST(claimed);
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
  const Status s = db.ledger().put(intent("fp"));
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.message().find("ticket ledger") != std::string::npos, s.message());
}

BOOST_AUTO_TEST_CASE(a_claim_left_by_a_dead_process_is_taken_over_at_once) {
  test::TempDir dir;
  { store::SqliteStore init(dir.path()); }
  const pid_t child = fork();
  if (child == 0) {  // a cspmd that claims and dies (kill -9) without releasing
    store::SqliteStore db(dir.path());
    bool claimed = false;
    const bool ok = db.ledger().claim(intent("fp"), 1000, 600000, claimed).ok() && claimed;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  store::SqliteStore db(dir.path());
  bool claimed = false;
  BOOST_REQUIRE(db.ledger().claim(intent("fp"), 2000, 602000, claimed).ok());
  BOOST_TEST(claimed);  // well within the dead process's lease
}
