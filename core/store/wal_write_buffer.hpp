// A SQLite VFS over the default one that gathers a WAL's appends into few large writes.
#pragma once

namespace cspm::store {

/// SQLite writes each WAL frame as two writes (its header, then the page), so a busy
/// daemon's commits made two million system calls per day of findings, each expensive on
/// a virtual machine. Through this VFS a WAL's consecutive appends are kept in a 120 KiB
/// buffer and written when it is full, and always before the WAL is synced, read, resized
/// or its index published (shm barrier): nothing a reader, a checkpoint or a crash could
/// see differs from writing at once. Other files pass straight through.
/// Registers the VFS on first use (thread-safe) and returns its name for sqlite3_open_v2.
const char* buffered_wal_vfs();

}  // namespace cspm::store
