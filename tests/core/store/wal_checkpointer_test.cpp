// The WAL of a real store is copied into its database by the checkpointer's thread, or by
// the writer once the WAL reaches its limit, and the automatic checkpoint comes back after.
#define BOOST_TEST_MODULE wal_checkpointer
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "store/sqlite_store.hpp"
#include "store/wal_checkpointer.hpp"
#include "support.hpp"

using namespace cspm;
using namespace cspm::store;

namespace {

// `n` transactions of 16 pages each.
void write_pages(Database& db, int n) {
  for (int i = 0; i < n; ++i)
    db.exec("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 16) "
            "INSERT INTO filler SELECT randomblob(4000) FROM k");
}

std::uintmax_t wal_bytes(const std::filesystem::path& db_file) {
  return std::filesystem::file_size(db_file.string() + "-wal");
}

// Frames of the WAL not yet copied into the database, as a PASSIVE checkpoint through another
// connection finds them (it copies them too: only for the end of a test).
int uncopied_frames(const std::filesystem::path& db_file) {
  Database other(db_file.string(), Database::Mode::read_write_create);
  auto stmt = other.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  BOOST_REQUIRE(stmt.step());
  return static_cast<int>(stmt.integer(1) - stmt.integer(2));
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_thread_copies_the_wal_once_it_has_grown_by_its_step) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  Database& db = s.database();
  db.exec("CREATE TABLE filler (b BLOB)");
  const auto file = store_file(dir.path());
  const auto before = std::filesystem::file_size(file);
  {
    WalCheckpointer checkpointer(db, 100, 1'000'000);
    write_pages(db, 3);  // about 50 pages: under the step
    checkpointer.wait_idle();
    BOOST_TEST(checkpointer.background_checkpoints() == 0u);
    BOOST_TEST(std::filesystem::file_size(file) == before);  // nothing copied: the automatic checkpoint is off too
    write_pages(db, 10);
    checkpointer.wait_idle();
    BOOST_TEST(checkpointer.background_checkpoints() >= 1u);
    BOOST_TEST(checkpointer.writer_checkpoints() == 0u);
    BOOST_TEST(std::filesystem::file_size(file) > before + 100 * 4000);  // the filler reached the database
  }
  // Afterwards the writer checkpoints automatically again, at the checkpointer's step (100 frames).
  const auto after = std::filesystem::file_size(file);
  write_pages(db, 20);
  BOOST_TEST(std::filesystem::file_size(file) > after);
}

BOOST_AUTO_TEST_CASE(at_its_limit_the_writer_copies_the_wal_itself_and_it_stops_growing) {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  Database& db = s.database();
  db.exec("CREATE TABLE filler (b BLOB)");
  const auto file = store_file(dir.path());
  WalCheckpointer checkpointer(db, 1'000'000, 200);  // the thread is never asked
  write_pages(db, 60);  // about 1,000 pages
  checkpointer.wait_idle();
  BOOST_TEST(checkpointer.background_checkpoints() == 0u);
  BOOST_TEST(checkpointer.writer_checkpoints() >= 3u);
  // The WAL was restarted after each copy, so it holds little more than the limit.
  BOOST_TEST(wal_bytes(file) < 400u * 4120);
  BOOST_TEST(uncopied_frames(file) < 220);
}
