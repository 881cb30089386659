// Move-only RAII wrappers for SQLite's two handles, and the translation of
// SQLite result codes into Status.
//
// Database owns one sqlite3* connection; Statement owns one sqlite3_stmt*
// prepared on it and must not outlive it. Neither is thread-safe: the owner
// of a Database (in Regline, one writer thread) is the only caller of it and
// of its statements. These are the only places in the tree that call
// sqlite3_close or sqlite3_finalize.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline {

// kNoSpace for SQLITE_FULL, kIOError for I/O and busy failures, kCorruption
// for damaged or foreign files, kInternal for misuse; the message names
// `what` and SQLite's own explanation.
Status SqliteError(int rc, sqlite3* db, std::string_view what);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Statement(Statement&& o) noexcept;
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binders take 1-based parameter indexes, as SQLite does. A bind failure
  // (a wrong index) is a programming error and shows up at Step().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, const void* data, size_t size);
  Statement& BindNull(int index);

  // Runs one step: true when a row is ready to read, false when done.
  Result<bool> Step();
  // Runs to completion, for statements that return no rows.
  Status Run();
  // Makes the statement ready to run again and clears its bindings.
  void Reset();

  int64_t ColumnInt64(int col) const;
  std::string ColumnText(int col) const;
  std::span<const uint8_t> ColumnBlob(int col) const;  // valid until next Step/Reset
  bool ColumnIsNull(int col) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_rc_ = SQLITE_OK;
};

class Database {
 public:
  Database() = default;
  Database(Database&& o) noexcept;
  Database& operator=(Database&& o) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens (creating when absent) the file at `path` for reading and writing.
  static Result<Database> Open(const std::string& path);
  // Opens an existing file at `path` for reading only (a WAL file may be
  // read while another process writes it). kIOError when it is absent.
  static Result<Database> OpenReadOnly(const std::string& path);

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Runs a query that returns one integer (e.g. "PRAGMA user_version").
  Result<int64_t> QueryInt(std::string_view sql);

  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* get() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// One statement to prepare: where it goes and its SQL.
struct StatementSql {
  Statement* stmt;
  const char* sql;
};
// Prepares each of `all` on `db` (the ledgers' statement tables); the
// first failure is kInternal naming `owner`.
Status PrepareAll(Database& db, std::span<const StatementSql> all, std::string_view owner);

}  // namespace regline
