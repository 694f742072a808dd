// Stores written through the buffered-WAL VFS: fewer write calls, and every other
// connection, a checkpoint, a rollback and a reopen see exactly what was committed.
#define BOOST_TEST_MODULE wal_write_buffer
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <string>

#include <sqlite3.h>
#include <sys/resource.h>

#include "store/sqlite.hpp"
#include "store/wal_write_buffer.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::store;

namespace {

std::int64_t scalar(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  BOOST_REQUIRE(stmt.step());
  return stmt.integer(0);
}

// This process's write system calls so far (Linux /proc/self/io).
std::uint64_t write_calls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (io >> key >> value)
    if (key == "syscw:") return value;
  return 0;
}

void insert_rows(Database& db, int rows, int bytes) {
  db.exec("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < " + std::to_string(rows) +
          ") INSERT INTO t (b) SELECT randomblob(" + std::to_string(bytes) + ") FROM k");
}

struct Fixture {
  test::TempDir dir;
  std::string path = (dir.path() / "x.db").string();
  Database writer{path, Database::Mode::read_write_create};  // read-write: through the buffered VFS
  Fixture() {
    writer.exec("PRAGMA journal_mode = WAL");
    writer.exec("PRAGMA synchronous = FULL");
    writer.exec("PRAGMA wal_autocheckpoint = 0");
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)");
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_commit_of_many_pages_takes_few_write_calls, Fixture) {
  const std::uint64_t before = write_calls();
  insert_rows(writer, 800, 2000);  // about 400 pages: 800 frame writes unbuffered
  const std::uint64_t calls = write_calls() - before;
  BOOST_TEST(calls < 60u, calls << " write calls");
  BOOST_TEST(scalar(writer, "SELECT count(*) FROM t") == 800);
}

BOOST_FIXTURE_TEST_CASE(other_connections_see_each_commit_at_once_and_nothing_before, Fixture) {
  Database reader{path, Database::Mode::read_only};  // the default VFS, as cspmd query uses
  for (int round = 1; round <= 20; ++round) {
    // Without a sync at commit (NORMAL), the frames must still be written before SQLite
    // publishes them (the shm barrier).
    if (round == 11) writer.exec("PRAGMA synchronous = NORMAL");
    writer.exec("BEGIN");
    insert_rows(writer, 50, 3000);
    BOOST_TEST(scalar(reader, "SELECT count(*) FROM t") == (round - 1) * 50);
    writer.exec("COMMIT");
    BOOST_TEST(scalar(reader, "SELECT count(*) FROM t") == round * 50);
    BOOST_TEST(scalar(reader, "SELECT sum(length(b)) FROM t") == round * 50 * 3000);
  }
}

BOOST_FIXTURE_TEST_CASE(a_rolled_back_transaction_that_spilled_to_the_wal_leaves_nothing, Fixture) {
  insert_rows(writer, 100, 1000);
  writer.exec("PRAGMA cache_size = 10");  // a small cache spills pages to the WAL mid-transaction
  writer.exec("BEGIN");
  insert_rows(writer, 2000, 3000);
  writer.exec("UPDATE t SET b = randomblob(100) WHERE id <= 100");
  writer.exec("ROLLBACK");
  BOOST_TEST(scalar(writer, "SELECT count(*) FROM t") == 100);
  BOOST_TEST(scalar(writer, "SELECT sum(length(b)) FROM t") == 100 * 1000);
  insert_rows(writer, 10, 10);
  Database reader{path, Database::Mode::read_only};
  BOOST_TEST(scalar(reader, "SELECT count(*) FROM t") == 110);
}

BOOST_FIXTURE_TEST_CASE(checkpoints_and_a_reopen_without_the_buffer_find_every_committed_row, Fixture) {
  for (int round = 0; round < 10; ++round) {
    insert_rows(writer, 100, 2500);
    writer.exec("UPDATE t SET b = randomblob(2600) WHERE id % 7 = " + std::to_string(round % 7));
    if (round % 3 == 2) {  // through another connection, as the daemon's checkpointer does
      Database other{path, Database::Mode::read_write_create};
      other.exec("PRAGMA wal_checkpoint(PASSIVE)");
    }
  }
  const std::int64_t bytes = scalar(writer, "SELECT sum(length(b)) FROM t");
  sqlite3* plain = nullptr;
  BOOST_REQUIRE(sqlite3_open_v2(path.c_str(), &plain, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(plain, "SELECT count(*), sum(length(b)), (SELECT integrity_check FROM pragma_integrity_check) FROM t", -1,
                     &stmt, nullptr);
  BOOST_REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  BOOST_TEST(sqlite3_column_int64(stmt, 0) == 1000);
  BOOST_TEST(sqlite3_column_int64(stmt, 1) == bytes);
  BOOST_TEST(std::string{reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2))} == "ok");
  sqlite3_finalize(stmt);
  sqlite3_close(plain);
}

BOOST_FIXTURE_TEST_CASE(rolled_back_frames_never_overwrite_what_another_connection_commits_after, Fixture) {
  insert_rows(writer, 100, 1000);
  Database other{path, Database::Mode::read_write_create};  // a second writer, buffered too
  writer.exec("PRAGMA cache_size = 10");
  writer.exec("BEGIN");
  insert_rows(writer, 300, 3000);  // spilled to the WAL, partly still in the buffer
  writer.exec("ROLLBACK");
  other.exec("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 300) "
             "INSERT INTO t (b) SELECT zeroblob(3000) FROM k");  // the same WAL offsets
  insert_rows(writer, 1, 10);  // the first writer writes again
  Database reader{path, Database::Mode::read_only};
  BOOST_TEST(scalar(reader, "SELECT count(*) FROM t") == 401);
  BOOST_TEST(scalar(reader, "SELECT count(*) FROM t WHERE b = zeroblob(3000)") == 300);
  auto check = reader.prepare("PRAGMA integrity_check");
  BOOST_REQUIRE(check.step());
  BOOST_TEST(std::string{check.text(0)} == "ok");
}

BOOST_FIXTURE_TEST_CASE(a_commit_whose_buffered_write_fails_fails_and_stores_nothing, Fixture) {
  writer.exec("PRAGMA synchronous = NORMAL");  // no sync at commit: the failed write must still be seen
  insert_rows(writer, 5, 10);
  const auto wal = std::filesystem::file_size(path + "-wal");
  // Writes past this size fail (EFBIG); the commit's frames fit in the buffer.
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{}, limited{};
  getrlimit(RLIMIT_FSIZE, &old);
  limited = {static_cast<rlim_t>(wal + 20'000), old.rlim_max};
  setrlimit(RLIMIT_FSIZE, &limited);
  bool failed = false;
  try {
    insert_rows(writer, 20, 3000);
  } catch (const SqliteError&) {
    failed = true;
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  BOOST_TEST(failed);
  Database reader{path, Database::Mode::read_only};
  BOOST_TEST(scalar(reader, "SELECT count(*) FROM t") == 5);
  insert_rows(writer, 1, 10);  // and the writer goes on
  BOOST_TEST(scalar(reader, "SELECT count(*) FROM t") == 6);
}
