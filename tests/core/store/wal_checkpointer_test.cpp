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

// A store with a table to fill, its database file, and no checkpointer yet.
struct FillerStore {
  test::TempDir dir;
  SqliteStore s{dir.path()};
  Database& db = s.database();
  std::filesystem::path file = store_file(dir.path());
  FillerStore() { db.exec("CREATE TABLE filler (b BLOB)"); }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(the_thread_copies_the_wal_once_it_has_grown_by_its_step, FillerStore) {
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
    BOOST_TEST(std::filesystem::file_size(file) > before + 100 * 4000);  // the filler reached the database
  }
  // Afterwards the writer checkpoints automatically again, as the store had set it.
  auto automatic = db.prepare("PRAGMA wal_autocheckpoint");
  BOOST_REQUIRE(automatic.step());
  BOOST_TEST(automatic.integer(0) == 16384);
}

BOOST_FIXTURE_TEST_CASE(at_its_limit_the_writer_copies_the_wal_itself_and_it_stops_growing, FillerStore) {
  WalCheckpointer checkpointer(db, 1'000'000, 200);  // the thread is never asked
  write_pages(db, 60);  // about 1,000 pages
  checkpointer.wait_idle();
  BOOST_TEST(checkpointer.background_checkpoints() == 0u);
  BOOST_TEST(checkpointer.writer_checkpoints() >= 3u);
  // The WAL was started over after each copy, so the file holds little more than the limit
  // (1,000 frames without the copies).
  BOOST_TEST(wal_bytes(file) < 400u * 4120);
}

BOOST_FIXTURE_TEST_CASE(after_the_threads_copy_the_writer_finishes_it_so_the_wal_starts_over, FillerStore) {
  WalCheckpointer checkpointer(db, 100, 1'000'000);  // the writer's limit never applies
  for (int i = 0; i < 60; ++i) {  // about 1,000 pages in all
    write_pages(db, 1);
    checkpointer.wait_idle();
  }
  BOOST_TEST(checkpointer.background_checkpoints() >= 3u);
  BOOST_TEST(checkpointer.writer_checkpoints() >= 3u);  // each finishing a thread's copy
  BOOST_TEST(wal_bytes(file) < 300u * 4120);
}
