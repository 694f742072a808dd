// Thin RAII over the SQLite C API: a connection, prepared statements, errors as exceptions.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace cspm::store {

/// A SQLite failure, with SQLite's own message and the statement or file it concerns.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

class Statement;

/// One connection. Not thread-safe: one per thread (SQLite's WAL lets readers and one
/// writer work at once across connections and processes).
class Database {
 public:
  enum class Mode { read_write_create, read_only };

  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs statements without results (schema, pragmas, BEGIN/COMMIT).
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  /// Like prepare(), but text after the first statement is an error rather than ignored.
  Statement prepare_one(std::string_view sql);
  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;
  /// Rows this connection inserted, updated or deleted since it was opened.
  std::int64_t total_changes() const noexcept;
  sqlite3* handle() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }

  [[noreturn]] void fail(int code, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// A prepared statement; bind() is 1-based like SQLite; step() returns true while rows come.
class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);   ///< empty text binds NULL
  Statement& bind_null(int index);
  Statement& bind_blob(int index, std::string_view bytes);
  bool step();
  /// Runs a statement that returns no rows, then resets it for reuse.
  void run();
  void reset();

  int columns() const noexcept;
  std::string_view column_name(int index) const;
  bool is_null(int index) const;
  std::int64_t integer(int index) const;
  double real(int index) const;
  std::string_view text(int index) const;  ///< valid until the next step/reset
  std::string_view blob(int index) const;  ///< valid until the next step/reset
  bool is_integer(int index) const;
  bool is_real(int index) const;
  bool read_only() const noexcept;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
};

/// BEGIN IMMEDIATE … COMMIT, rolled back if not committed (exceptions included).
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace cspm::store
