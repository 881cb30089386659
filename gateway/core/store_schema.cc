#include "gateway/core/store_schema.h"

#include <string>

namespace regline::store_schema {
namespace {

// Append only: a released migration never changes.
constexpr const char* kMigrations[] = {
    // 1: messages, and one delivery row per (message, recipient).
    R"sql(
    CREATE TABLE messages(
      seq            INTEGER PRIMARY KEY,   -- the gateway's sequence number
      sender         TEXT    NOT NULL,      -- sender identity
      message_id     BLOB    NOT NULL,      -- 16 bytes, big-endian
      kind           INTEGER NOT NULL,      -- schema MessageKind ordinal
      priority       INTEGER NOT NULL,
      created_ms     INTEGER NOT NULL,      -- sender's clock
      expires_ms     INTEGER NOT NULL,      -- 0: never
      correlation_id BLOB,                  -- 16 bytes or NULL
      accepted_ms    INTEGER NOT NULL,      -- when first made durable here
      envelope       BLOB    NOT NULL       -- the envelope as received
    );
    -- Id first: lookups by id alone (status queries) use it too, and
    -- time-ordered ids make inserts land at its right edge.
    CREATE UNIQUE INDEX messages_by_id_sender ON messages(message_id, sender);

    CREATE TABLE deliveries(
      message_seq      INTEGER NOT NULL,
      recipient        TEXT    NOT NULL,
      priority         INTEGER NOT NULL,    -- copied from the message, for the queue index
      state            INTEGER NOT NULL,    -- DeliveryState ordinal
      attempts         INTEGER NOT NULL DEFAULT 0,
      expires_ms       INTEGER NOT NULL,    -- copied from the message
      queued_ms        INTEGER NOT NULL,
      next_attempt_ms  INTEGER NOT NULL,
      lease_until_ms   INTEGER NOT NULL DEFAULT 0,
      received_ms      INTEGER NOT NULL DEFAULT 0,
      accepted_ms      INTEGER NOT NULL DEFAULT 0,
      completed_ms     INTEGER NOT NULL DEFAULT 0,
      rejected_ms      INTEGER NOT NULL DEFAULT 0,
      expired_ms       INTEGER NOT NULL DEFAULT 0,
      dead_lettered_ms INTEGER NOT NULL DEFAULT 0,
      reason           TEXT    NOT NULL DEFAULT '',
      delivery_seq     INTEGER NOT NULL DEFAULT 0,  -- per recipient, from first transmission; 0: never sent
      PRIMARY KEY(message_seq, recipient)
    ) WITHOUT ROWID;
    -- The last delivery_seq given out per recipient (dense: 1, 2, 3, ...).
    CREATE TABLE recipients(
      recipient         TEXT    PRIMARY KEY,
      last_delivery_seq INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- Partial indexes stay small: each holds only the rows of one state.
    CREATE INDEX deliveries_queue ON deliveries(recipient, priority DESC, message_seq) WHERE state = 0;
    CREATE INDEX deliveries_leases ON deliveries(lease_until_ms) WHERE state = 1;
    CREATE INDEX deliveries_expiry ON deliveries(expires_ms) WHERE state = 0 AND attempts = 0 AND expires_ms > 0;
    CREATE INDEX deliveries_dead ON deliveries(recipient, message_seq) WHERE state = 7;
    CREATE UNIQUE INDEX deliveries_by_number ON deliveries(recipient, delivery_seq) WHERE delivery_seq > 0;
    )sql",
};

constexpr int kLatest = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

Status CheckIdentity(Database& db) {
  Result<int64_t> app = db.QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.status();
  if (*app == kApplicationId) return Status::Ok();
  Result<int64_t> objects = db.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!objects.ok()) return objects.status();
  if (*app == 0 && *objects == 0) return Status::Ok();  // a new, empty file
  return Corruption("the file is an SQLite database but not a Regline store (application_id " +
                    std::to_string(*app) + ")");
}

Status Migrate(Database& db) {
  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kLatest) {
    return FailedPrecondition("the store has schema version " + std::to_string(*version) +
                              ", newer than this build's " + std::to_string(kLatest) +
                              "; run the Regline release that wrote it, or a newer one");
  }
  for (int v = static_cast<int>(*version) + 1; v <= kLatest; ++v) {
    std::string sql = "BEGIN IMMEDIATE;";
    sql += kMigrations[v - 1];
    sql += "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
    sql += "PRAGMA user_version = " + std::to_string(v) + ";";
    sql += "COMMIT;";
    Status s = db.Exec(sql);
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s.WithContext("migrating the store to schema version " + std::to_string(v));
    }
  }
  return Status::Ok();
}

}  // namespace

int LatestVersion() { return kLatest; }

Status PrepareDatabase(Database& db, bool full_sync) {
  // busy_timeout first: a backup or a console may hold a read lock briefly.
  REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = 5000"));
  REGLINE_RETURN_IF_ERROR(CheckIdentity(db));
  // 16 KiB pages hold a dozen 1 KiB envelopes each, which cuts per-page work
  // on the submit path by a third against the 4 KiB default. Takes effect
  // only on a new file (before the first table), as SQLite allows.
  REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA page_size = 16384"));
  Result<Statement> wal = db.Prepare("PRAGMA journal_mode = WAL");
  if (!wal.ok()) return wal.status();
  Result<bool> row = wal->Step();
  if (!row.ok()) return row.status();
  if (!*row || wal->ColumnText(0) != "wal") {
    return IOError("the store's file system does not support SQLite's WAL mode");
  }
  wal->Reset();  // a statement left mid-step would block the migrations' COMMIT
  REGLINE_RETURN_IF_ERROR(db.Exec(full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  // 64 MiB of page cache; temp tables in memory; cap the log file's size
  // after checkpoints so a burst does not leave a huge file behind.
  REGLINE_RETURN_IF_ERROR(db.Exec(
      "PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = 67108864"));
  return Migrate(db);
}

}  // namespace regline::store_schema
