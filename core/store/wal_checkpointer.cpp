// WalCheckpointer: a WAL hook on the writer's connection wakes a thread that checkpoints
// through its own connection (PASSIVE: it never blocks the writer or readers).
#include "wal_checkpointer.hpp"

#include <memory>

#include <sqlite3.h>

namespace cspm::store {

WalCheckpointer::WalCheckpointer(Database& writer, int every_frames, int limit_frames)
    : writer_(writer), every_(every_frames), limit_(limit_frames), thread_([this] { run(); }) {
  if (auto stmt = writer_.prepare("PRAGMA wal_autocheckpoint"); stmt.step()) automatic_ = static_cast<int>(stmt.integer(0));
  sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::on_commit, this);  // replaces the automatic checkpoint
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), automatic_);
  {
    const std::lock_guard lock{mutex_};
    stop_ = true;
    if (running_) sqlite3_interrupt(running_);  // a checkpoint may copy hundreds of MB: stop it
  }
  wake_.notify_all();
  thread_.join();
}

bool WalCheckpointer::checkpoint_here(sqlite3* db, const char* schema) {
  return sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK;
}

void WalCheckpointer::wait_idle() {
  std::unique_lock lock{mutex_};
  idle_.wait(lock, [&] { return !asked_ && !busy_; });
}

// On the writer's thread, after each commit; `frames` is the WAL's size in pages.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  auto& c = *static_cast<WalCheckpointer*>(self);
  if (frames < c.copied_at_) c.copied_at_ = 0;  // the WAL was restarted from its beginning
  if (frames >= c.limit_) {
    if (c.checkpoint_here(db, schema)) {  // else busy: the thread is copying; the next commit retries
      c.copied_at_ = frames;
      ++c.by_writer_;
    }
  } else if (c.caught_up_.exchange(false)) {
    // The thread copied all but what was committed while it ran. Copying that here leaves
    // nothing uncopied, so the next transaction starts the WAL over instead of growing it.
    if (c.checkpoint_here(db, schema)) ++c.by_writer_;
  } else if (frames - c.copied_at_ >= c.every_) {
    c.copied_at_ = frames;
    {
      const std::lock_guard lock{c.mutex_};
      c.asked_ = true;
    }
    c.wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_ptr<Database> own;  // opened on first use: the writer may not have created the file yet
  std::unique_lock lock{mutex_};
  for (;;) {
    wake_.wait(lock, [&] { return asked_ || stop_; });
    if (stop_) break;
    asked_ = false;
    busy_ = true;
    lock.unlock();
    try {
      if (!own) {
        own = std::make_unique<Database>(writer_.path(), Database::Mode::read_write_create);
        own->exec("PRAGMA journal_mode = WAL");  // a connection that has read nothing has no WAL to checkpoint
      }
      lock.lock();
      running_ = stop_ ? nullptr : own->handle();
      lock.unlock();
      // Busy (another checkpoint, a writer's RESTART), interrupted or failed: the next
      // commit asks again, and the writer's limit bounds the WAL meanwhile.
      if (running_ && checkpoint_here(own->handle(), nullptr)) {
        ++background_;
        caught_up_ = true;
      }
    } catch (const std::exception&) {  // cannot open: the writer's limit takes over
    }
    lock.lock();
    running_ = nullptr;
    busy_ = false;
    if (!asked_) idle_.notify_all();
  }
  busy_ = false;
  idle_.notify_all();
}

}  // namespace cspm::store
