// The buffered-WAL VFS: a shim whose files wrap the default VFS's, after SQLite's own
// "vfstrace" and "multiplex" shims.
#include "wal_write_buffer.hpp"

#include <cstring>
#include <mutex>
#include <vector>

#include <sqlite3.h>

namespace cspm::store {
namespace {

// The unix VFS writes at most 128 KiB per call (it masks larger sizes and reports SQLITE_FULL).
constexpr int kBufferBytes = 120 << 10;

struct BufferedFile {
  sqlite3_file base;
  sqlite3_file* real;  // the default VFS's file, placed right after this struct
  bool wal;
  char* buffer;        // of a WAL, allocated on its first write
  sqlite3_int64 buffer_at;
  int buffered;
  const char* name;    // of a main database file
  BufferedFile* pair;  // a main database's WAL, or a WAL's main database
  bool commit_page;    // the next write is the page of a commit frame
};

// The WAL format: a 32-byte file header, then frames of a 24-byte header and a page. A
// commit frame's header holds the database size after the commit at bytes 4-7, else 0.
constexpr int kWalHeader = 32, kFrameHeader = 24;
bool commit_frame_header(const void* data, int n, sqlite3_int64 at) {
  if (n != kFrameHeader || at < kWalHeader) return false;
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

// Open main database files, for their WAL to find: SQLite calls the shm barrier on the
// database's file, and the WAL's buffer must be written by then.
std::mutex databases_mutex;
std::vector<BufferedFile*> databases;
constexpr int kHeader = (sizeof(BufferedFile) + 7) & ~7;

sqlite3_vfs* below_vfs = nullptr;  // the default VFS when this one was registered
sqlite3_vfs* real_vfs() { return below_vfs; }
BufferedFile& of(sqlite3_file* f) { return *reinterpret_cast<BufferedFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return of(f).real; }

int flush(BufferedFile& f) {
  if (!f.buffered) return SQLITE_OK;
  const int rc = f.real->pMethods->xWrite(f.real, f.buffer, f.buffered, f.buffer_at);
  f.buffered = 0;
  return rc;
}
int flush(sqlite3_file* f) { return flush(of(f)); }

int x_close(sqlite3_file* file) {
  BufferedFile& f = of(file);
  {
    const std::lock_guard lock{databases_mutex};
    if (f.pair) f.pair->pair = nullptr;
    std::erase(databases, &f);
  }
  int rc = flush(f);
  const int closed = f.real->pMethods->xClose(f.real);
  sqlite3_free(f.buffer);
  f.buffer = nullptr;
  return rc != SQLITE_OK ? rc : closed;
}
int x_read(sqlite3_file* file, void* out, int n, sqlite3_int64 at) {
  BufferedFile& f = of(file);
  if (f.buffered && at < f.buffer_at + f.buffered && f.buffer_at < at + n)
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return f.real->pMethods->xRead(f.real, out, n, at);
}
int buffer_write(BufferedFile& f, const void* data, int n, sqlite3_int64 at) {
  if (f.buffered && at == f.buffer_at + f.buffered && f.buffered + n <= kBufferBytes) {
    std::memcpy(f.buffer + f.buffered, data, static_cast<std::size_t>(n));
    f.buffered += n;
    return SQLITE_OK;
  }
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  if (n >= kBufferBytes) return f.real->pMethods->xWrite(f.real, data, n, at);
  if (!f.buffer && !(f.buffer = static_cast<char*>(sqlite3_malloc(kBufferBytes))))
    return f.real->pMethods->xWrite(f.real, data, n, at);
  std::memcpy(f.buffer, data, static_cast<std::size_t>(n));
  f.buffer_at = at;
  f.buffered = n;
  return SQLITE_OK;
}
int x_write(sqlite3_file* file, const void* data, int n, sqlite3_int64 at) {
  BufferedFile& f = of(file);
  if (!f.wal) return f.real->pMethods->xWrite(f.real, data, n, at);
  const bool commit_header = commit_frame_header(data, n, at);
  if (const int rc = buffer_write(f, data, n, at); rc != SQLITE_OK || commit_header) {
    f.commit_page = commit_header && rc == SQLITE_OK;
    return rc;
  }
  // A commit is written through before SQLite goes on: a write that fails then fails the
  // commit, whatever the synchronous setting (without a sync nothing else would report it).
  if (f.commit_page) {
    f.commit_page = false;
    return flush(f);
  }
  return SQLITE_OK;
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) {
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
// Releasing the WAL's write lock (shm lock 0) ends a write transaction. A committed one was
// written through by then; what is left is a rolled-back one's frames, which must never
// reach the file: another connection may commit frames at the same offsets next.
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  if ((flags & SQLITE_SHM_UNLOCK) && offset == 0)
    if (BufferedFile* wal = of(f).pair) wal->buffered = 0, wal->commit_page = false;
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
// SQLite publishes new WAL frames to readers after a barrier: they must be written by then.
void x_shm_barrier(sqlite3_file* f) {
  if (BufferedFile* wal = of(f).pair) flush(*wal);
  real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int remove) { return real(f)->pMethods->xShmUnmap(real(f), remove); }
int x_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
  if (real(f)->pMethods->iVersion < 3) return *out = nullptr, SQLITE_OK;
  return real(f)->pMethods->xFetch(real(f), at, n, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  if (real(f)->pMethods->iVersion < 3) return SQLITE_OK;
  return real(f)->pMethods->xUnfetch(real(f), at, p);
}

const sqlite3_io_methods kMethods = {3, x_close, x_read, x_write, x_truncate, x_sync, x_file_size, x_lock, x_unlock,
                                     x_check_reserved, x_file_control, x_sector_size, x_device, x_shm_map, x_shm_lock,
                                     x_shm_barrier, x_shm_unmap, x_fetch, x_unfetch};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  BufferedFile& f = of(file);
  f = BufferedFile{};
  f.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kHeader);
  f.real->pMethods = nullptr;
  sqlite3_vfs* below = real_vfs();
  const int rc = below->xOpen(below, name, f.real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (f.real->pMethods) f.real->pMethods->xClose(f.real);
    return rc;  // base.pMethods stays null: SQLite will not call xClose
  }
  if (f.real->pMethods->iVersion < 2) {  // no shared memory, so no WAL; never the unix VFS
    f.real->pMethods->xClose(f.real);
    return SQLITE_CANTOPEN;
  }
  f.base.pMethods = &kMethods;
  f.wal = (flags & SQLITE_OPEN_WAL) != 0;
  if (flags & SQLITE_OPEN_MAIN_DB) {
    f.name = name;
    const std::lock_guard lock{databases_mutex};
    databases.push_back(&f);
  } else if (f.wal) {
    const char* database = sqlite3_filename_database(name);
    const std::lock_guard lock{databases_mutex};
    // SQLite derives the WAL's name from its database's, in one allocation: the pointer
    // tells two connections to one file apart.
    for (BufferedFile* d : databases)
      if (!d->pair && d->name == database) {
        d->pair = &f;
        f.pair = d;
        break;
      }
  }
  return SQLITE_OK;
}
int x_delete(sqlite3_vfs*, const char* name, int sync) { return real_vfs()->xDelete(real_vfs(), name, sync); }
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) { return real_vfs()->xAccess(real_vfs(), name, flags, out); }
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs()->xFullPathname(real_vfs(), name, n, out);
}

}  // namespace

const char* buffered_wal_vfs() {
  static constexpr const char* kName = "cspm-buffered-wal";
  static std::once_flag once;
  static sqlite3_vfs vfs;
  std::call_once(once, [] {
    sqlite3_vfs* below = below_vfs = sqlite3_vfs_find(nullptr);
    vfs = *below;  // time, randomness, sleep, dlopen: the default VFS's, which ignore their vfs argument
    vfs.pNext = nullptr;
    vfs.zName = kName;
    vfs.pAppData = below;
    vfs.szOsFile = kHeader + below->szOsFile;
    vfs.xOpen = x_open;
    vfs.xDelete = x_delete;
    vfs.xAccess = x_access;
    vfs.xFullPathname = x_full_pathname;
    sqlite3_vfs_register(&vfs, 0);
  });
  return kName;
}

}  // namespace cspm::store
