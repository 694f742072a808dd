// Checkpoints a store's WAL on a thread and connection of its own, so that the writer's
// commits never wait while the WAL is copied into the database.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "sqlite.hpp"

struct sqlite3;

namespace cspm::store {

/// For a writer that commits continually (the daemon's ingest): SQLite's own checkpoint
/// runs inside the commit that fills the WAL, and every sender waiting for that commit
/// waits for it too (a fifth of a busy daemon's commit time).
class WalCheckpointer {
 public:
  /// Takes over from `writer`'s automatic checkpoint. The thread copies the WAL once it has
  /// grown by `every_frames` pages since the last copy; the writer's next commit then copies
  /// what was committed meanwhile (little), so that the WAL starts over from its beginning.
  /// At `limit_frames` the writer copies it all itself, so a WAL that the thread cannot
  /// keep up with stays bounded.
  WalCheckpointer(Database& writer, int every_frames = 16384, int limit_frames = 65536);
  /// Interrupts a checkpoint in progress, stops the thread and gives `writer` its automatic
  /// checkpoint back.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  /// Blocks until no checkpoint is asked for or running (for tests and shutdown).
  void wait_idle();
  std::uint64_t background_checkpoints() const noexcept { return background_; }
  std::uint64_t writer_checkpoints() const noexcept { return by_writer_; }

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void run();

  bool checkpoint_here(sqlite3* db, const char* schema);

  Database& writer_;
  const int every_, limit_;
  int automatic_ = 1000;  // the writer's automatic checkpoint before, to give back
  int copied_at_ = 0;  // WAL frames at the last checkpoint asked for (writer's thread only)
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  bool asked_ = false, busy_ = false, stop_ = false;
  sqlite3* running_ = nullptr;  // the thread's connection while it checkpoints
  std::atomic<bool> caught_up_{false};  // the thread finished a checkpoint
  std::atomic<std::uint64_t> background_{0}, by_writer_{0};
  std::thread thread_;  // last: started once everything above is ready
};

}  // namespace cspm::store
