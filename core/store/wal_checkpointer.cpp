// WalCheckpointer: a WAL hook on the writer's connection wakes a thread that checkpoints
// through its own connection (PASSIVE: it never blocks the writer or readers).
#include "wal_checkpointer.hpp"

#include <memory>

#include <sqlite3.h>

namespace cspm::store {

WalCheckpointer::WalCheckpointer(Database& writer, int every_frames, int limit_frames)
    : writer_(writer), every_(every_frames), limit_(limit_frames), thread_([this] { run(); }) {
  sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::on_commit, this);  // replaces the automatic checkpoint
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), every_);
  {
    const std::lock_guard lock{mutex_};
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
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
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    c.copied_at_ = frames;
    ++c.by_writer_;
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
      // Busy (another checkpoint, a writer's RESTART) or failed: the next commit asks again,
      // and the writer's limit bounds the WAL meanwhile.
      int log = 0, copied = 0;
      if (sqlite3_wal_checkpoint_v2(own->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK && copied > 0)
        ++background_;
    } catch (const std::exception&) {  // cannot open: the writer's limit takes over
    }
    lock.lock();
    busy_ = false;
    if (!asked_) idle_.notify_all();
  }
  busy_ = false;
  idle_.notify_all();
}

}  // namespace cspm::store
