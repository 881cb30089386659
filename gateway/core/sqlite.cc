#include "gateway/core/sqlite.h"

#include <mutex>
#include <utility>

#include "gateway/core/log_gather_vfs.h"

namespace regline {

Status SqliteError(int rc, sqlite3* db, std::string_view what) {
  std::string m(what);
  m += ": ";
  m += db != nullptr && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Status(StatusCode::kNoSpace, m + " (the disk holding the store is full)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corruption(m);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return IOError(m);
    case SQLITE_CONSTRAINT:
      return AlreadyExists(m);
    default:
      return Internal(m);
  }
}

Statement::Statement(Statement&& o) noexcept
    : stmt_(std::exchange(o.stmt_, nullptr)), db_(o.db_), bind_rc_(o.bind_rc_) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    db_ = o.db_;
    bind_rc_ = o.bind_rc_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, const void* data, size_t size) {
  // SQLITE_STATIC: callers keep the bytes alive until the statement has run,
  // which saves a copy of every envelope on the submit path.
  int rc = sqlite3_bind_blob64(stmt_, index, size == 0 ? "" : data, size, SQLITE_STATIC);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return SqliteError(bind_rc_, db_, "binding parameters");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteError(rc, db_, sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "statement");
  sqlite3_reset(stmt_);
  return s;
}

Status Statement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::ColumnText(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::span<const uint8_t> Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return {static_cast<const uint8_t*>(p), static_cast<size_t>(p == nullptr ? 0 : n)};
}

bool Statement::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Database::Database(Database&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}

Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

namespace {
// Process-wide settings, before SQLite initializes itself at the first
// open. Memory statistics off: with them on, every allocation SQLite makes
// takes a process-wide mutex to count it, and nothing here reads the
// counts. (If SQLite was already initialized, by a library, the call is
// refused and the default stays.) Then the VFS that writes each commit's
// log frames at once (log_gather_vfs.h) becomes SQLite's default.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)RegisterLogGatherVfs();  // initializes SQLite, so after sqlite3_config
  });
}
}  // namespace

Result<Database> Database::Open(const std::string& path) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database owned(db);  // closes even a half-opened handle
  if (rc != SQLITE_OK) return SqliteError(rc, db, "opening " + path);
  sqlite3_extended_result_codes(db, 1);
  return owned;
}

Result<Database> Database::OpenReadOnly(const std::string& path) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Database owned(db);
  if (rc != SQLITE_OK) return SqliteError(rc, db, "opening " + path + " read-only");
  sqlite3_extended_result_codes(db, 1);
  return owned;
}

Status Database::Exec(std::string_view sql) {
  std::string copy(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // the same text is still in sqlite3_errmsg(db_)
  if (rc != SQLITE_OK) return SqliteError(rc, db_, copy.substr(0, 80));
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) return SqliteError(rc, db_, "preparing " + std::string(sql.substr(0, 80)));
  return Statement(stmt, db_);
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  Result<Statement> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no row from " + std::string(sql));
  return stmt->ColumnInt64(0);
}

Status PrepareAll(Database& db, std::span<const StatementSql> all, std::string_view owner) {
  for (const StatementSql& one : all) {
    Result<Statement> st = db.Prepare(one.sql);
    if (!st.ok()) return Internal(std::string(owner) + ": " + st.status().ToString());
    *one.stmt = std::move(st).value();
  }
  return Status::Ok();
}

}  // namespace regline
