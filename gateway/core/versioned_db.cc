#include "gateway/core/versioned_db.h"

namespace regline {
namespace {

Status CheckIdentity(Database& db, const VersionedSchema& schema) {
  Result<int64_t> app = db.QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.status();
  if (*app == schema.application_id) return Status::Ok();
  Result<int64_t> objects = db.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!objects.ok()) return objects.status();
  if (*app == 0 && *objects == 0) return Status::Ok();  // a new, empty file
  return Corruption("the file is an SQLite database but not a " + schema.what + " (application_id " +
                    std::to_string(*app) + ")");
}

Status Migrate(Database& db, const VersionedSchema& schema) {
  const int latest = static_cast<int>(schema.migrations.size());
  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > latest) {
    return FailedPrecondition("the " + schema.what + " has schema version " + std::to_string(*version) +
                              ", newer than this build's " + std::to_string(latest) +
                              "; run the Regline release that wrote it, or a newer one");
  }
  for (int v = static_cast<int>(*version) + 1; v <= latest; ++v) {
    std::string sql = "BEGIN IMMEDIATE;";
    sql += schema.migrations[static_cast<size_t>(v - 1)];
    sql += "PRAGMA application_id = " + std::to_string(schema.application_id) + ";";
    sql += "PRAGMA user_version = " + std::to_string(v) + ";";
    sql += "COMMIT;";
    Status s = db.Exec(sql);
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s.WithContext("migrating the " + schema.what + " to schema version " + std::to_string(v));
    }
  }
  return Status::Ok();
}

}  // namespace

Status PrepareVersionedDatabase(Database& db, const VersionedSchema& schema, bool full_sync) {
  // busy_timeout first: a backup or a console may hold a read lock briefly.
  REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = 5000"));
  REGLINE_RETURN_IF_ERROR(CheckIdentity(db, schema));
  if (schema.page_size > 0) {
    // Takes effect only on a new file (before the first table), as SQLite allows.
    REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA page_size = " + std::to_string(schema.page_size)));
  }
  Result<Statement> wal = db.Prepare("PRAGMA journal_mode = WAL");
  if (!wal.ok()) return wal.status();
  Result<bool> row = wal->Step();
  if (!row.ok()) return row.status();
  if (!*row || wal->ColumnText(0) != "wal") {
    return IOError("the " + schema.what + "'s file system does not support SQLite's WAL mode");
  }
  wal->Reset();  // a statement left mid-step would block the migrations' COMMIT
  REGLINE_RETURN_IF_ERROR(db.Exec(full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  // Temp tables in memory; cap the log file's size after checkpoints so a
  // burst does not leave a huge file behind.
  REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = 67108864"));
  // 32 MiB of page cache (SQLite's default is 2 MiB): the rows a busy queue
  // touches again (acknowledged, leased, updated) stay in memory.
  REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = -32768"));
  return Migrate(db, schema);
}

}  // namespace regline
