#include "connectors/inbox_schema.h"

#include <string>

#include "connectors/inbox.h"

namespace regline::connector::inbox_schema {
namespace {

// Append only: a released migration never changes. The meaning of every
// column is in connectors/README.md ("The inbox").
constexpr const char* kMigrations[] = {
    // 1: one row per message, the resume point and the numbers held above it.
    R"sql(
    CREATE TABLE inbox(
      row_id        INTEGER PRIMARY KEY,
      message_id    BLOB    NOT NULL UNIQUE,        -- 16 bytes, big-endian; held once
      delivery_seq  INTEGER NOT NULL,               -- number of the first arrival: sink order
      ack_seq       INTEGER NOT NULL,               -- number of the latest arrival: what ACK names
      attempt       INTEGER NOT NULL,               -- Deliver.attempt of the first arrival
      kind          INTEGER NOT NULL,               -- schema MessageKind ordinal
      envelope      BLOB    NOT NULL,               -- the envelope bytes as delivered
      received_ms   INTEGER NOT NULL,               -- first arrival, connector's clock
      deliveries    INTEGER NOT NULL DEFAULT 1,     -- arrivals, redeliveries included
      sink_state    INTEGER NOT NULL DEFAULT 0,     -- 0 waiting, 1 accepted, 2 completed, 3 rejected
      sink_reason   TEXT    NOT NULL DEFAULT '',
      sink_ms       INTEGER NOT NULL DEFAULT 0,     -- when the sink decided
      stage_wanted  INTEGER NOT NULL DEFAULT 1,     -- schema AckStage the gateway is to hear
      stage_sent    INTEGER NOT NULL DEFAULT 0,     -- schema AckStage it confirmed; 0 none
      stage_ms      INTEGER NOT NULL,               -- when stage_wanted was reached
      reason_code   INTEGER NOT NULL DEFAULT 0,     -- schema RejectReason, for rejected
      reason        TEXT    NOT NULL DEFAULT '',    -- rejection reason in words
      ack_error     TEXT    NOT NULL DEFAULT ''     -- why the gateway refused an ACK for good
    );
    CREATE INDEX inbox_sink_queue ON inbox(delivery_seq) WHERE sink_state = 0;
    CREATE INDEX inbox_acks_due ON inbox(ack_seq) WHERE stage_wanted <> stage_sent;

    -- Every delivery numbered <= held_upto is held (Hello.resumeFrom).
    CREATE TABLE resume(
      id        INTEGER PRIMARY KEY CHECK (id = 1),
      held_upto INTEGER NOT NULL
    );
    INSERT INTO resume(id, held_upto) VALUES (1, 0);
    -- Numbers held above a gap, until the gap fills.
    CREATE TABLE held_above(delivery_seq INTEGER PRIMARY KEY);
    )sql",
};

constexpr int kLatest = static_cast<int>(sizeof kMigrations / sizeof kMigrations[0]);

Status CheckIdentity(Database& db) {
  Result<int64_t> app = db.QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.status();
  if (*app == kInboxApplicationId) return Status::Ok();
  Result<int64_t> objects = db.QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!objects.ok()) return objects.status();
  if (*app == 0 && *objects == 0) return Status::Ok();  // a new, empty file
  return Corruption("the file is an SQLite database but not a connector inbox (application_id " + std::to_string(*app) +
                    ")");
}

Status Migrate(Database& db) {
  Result<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kLatest) {
    return FailedPrecondition("the inbox has schema version " + std::to_string(*version) +
                              ", newer than this build's " + std::to_string(kLatest) +
                              "; run the Regline release that wrote it, or a newer one");
  }
  for (int v = static_cast<int>(*version) + 1; v <= kLatest; ++v) {
    std::string sql = "BEGIN IMMEDIATE;";
    sql += kMigrations[v - 1];
    sql += "PRAGMA application_id = " + std::to_string(kInboxApplicationId) + ";";
    sql += "PRAGMA user_version = " + std::to_string(v) + ";";
    sql += "COMMIT;";
    Status s = db.Exec(sql);
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s.WithContext("migrating the inbox to schema version " + std::to_string(v));
    }
  }
  return Status::Ok();
}

}  // namespace

int LatestVersion() { return kLatest; }

Status PrepareDatabase(Database& db, bool full_sync) {
  REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = 5000"));
  REGLINE_RETURN_IF_ERROR(CheckIdentity(db));
  Result<Statement> wal = db.Prepare("PRAGMA journal_mode = WAL");
  if (!wal.ok()) return wal.status();
  Result<bool> row = wal->Step();
  if (!row.ok()) return row.status();
  if (!*row || wal->ColumnText(0) != "wal")
    return IOError("the inbox's file system does not support SQLite's WAL mode");
  wal->Reset();
  REGLINE_RETURN_IF_ERROR(db.Exec(full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  REGLINE_RETURN_IF_ERROR(db.Exec("PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = 67108864"));
  return Migrate(db);
}

}  // namespace regline::connector::inbox_schema
