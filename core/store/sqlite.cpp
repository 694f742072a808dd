// SQLite wrapper: every error carries SQLite's message and the database path.
#include "sqlite.hpp"

#include "wal_write_buffer.hpp"

#include <sqlite3.h>

namespace cspm::store {

Database::Database(const std::string& path, Mode mode) : path_(path) {
  // Before SQLite initializes (the first open): without memory statistics, which nothing
  // reads, its allocations take no process-wide mutex.
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  const int flags = mode == Mode::read_only ? SQLITE_OPEN_READONLY
                                            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  // Writers append to the WAL through a buffer (wal_write_buffer.hpp); readers write nothing.
  const char* vfs = mode == Mode::read_only ? nullptr : buffered_wal_vfs();
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, path + ": cannot open the store: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Another process (an ingest, the daemon) may hold the write lock for a batch: a default
  // batch of a busy day takes seconds; two minutes leaves room for a slow disk.
  sqlite3_busy_timeout(db_, 120000);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(int code, std::string_view what) const {
  std::string message = path_ + ": " + std::string{what} + ": " + sqlite3_errmsg(db_);
  if ((code & 0xff) == SQLITE_FULL) message += " (the disk is full)";
  if ((code & 0xff) == SQLITE_READONLY || (code & 0xff) == SQLITE_CANTOPEN ||
      (code & 0xff) == SQLITE_PERM)
    message += " (check that the data directory is writable)";
  throw SqliteError(code, message);
}

void Database::exec(std::string_view sql) {
  const std::string text{sql};
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    sqlite3_free(error);
    fail(rc, "SQL failed");
  }
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, "cannot prepare \"" + std::string{sql.substr(0, 60)} + "\"");
  return Statement{*this, stmt};
}

Statement Database::prepare_one(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
  if (rc != SQLITE_OK) fail(rc, "cannot prepare \"" + std::string{sql.substr(0, 60)} + "\"");
  Statement out{*this, stmt};
  const std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos)
    throw SqliteError(SQLITE_ERROR, "one SQL statement at a time (found more after \";\")");
  return out;
}

std::int64_t Database::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const noexcept { return sqlite3_changes(db_); }
std::int64_t Database::total_changes() const noexcept { return sqlite3_total_changes64(db_); }

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  if (const int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (text.empty()) return bind_null(index);
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (const int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, "SQL failed");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::columns() const noexcept { return sqlite3_column_count(stmt_); }
std::string_view Statement::column_name(int index) const { return sqlite3_column_name(stmt_, index); }
bool Statement::is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }
bool Statement::is_integer(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_INTEGER; }
bool Statement::is_real(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_FLOAT; }
std::int64_t Statement::integer(int index) const { return sqlite3_column_int64(stmt_, index); }
double Statement::real(int index) const { return sqlite3_column_double(stmt_, index); }
bool Statement::read_only() const noexcept { return sqlite3_stmt_readonly(stmt_) != 0; }

std::string_view Statement::text(int index) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::string_view Statement::blob(int index) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace cspm::store
