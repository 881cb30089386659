#include "connectors/inbox_schema.h"

#include <iterator>
#include <span>
#include <string>

#include "connectors/inbox.h"
#include "gateway/core/versioned_db.h"

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
    // 2: the negative catalog's version the sink holds (catalog_order.h);
    // inbox.sink_state 4 = a catalog update parked above a gap.
    R"sql(
    CREATE TABLE catalog(
      id             INTEGER PRIMARY KEY CHECK (id = 1),
      held_version   INTEGER NOT NULL,              -- last version the sink took; 0 none
      held_ms        INTEGER NOT NULL               -- when it took it
    );
    INSERT INTO catalog(id, held_version, held_ms) VALUES (1, 0, 0);
    CREATE INDEX inbox_parked ON inbox(delivery_seq) WHERE sink_state = 4;
    )sql",
    // 3: the envelopes in a table of their own, so that a row's updates
    // (the sink's outcome, the acknowledgement marks) rewrite a small row
    // instead of one carrying the envelope; a deleted row takes its
    // envelope with it.
    R"sql(
    CREATE TABLE envelopes(
      row_id   INTEGER PRIMARY KEY,                 -- inbox.row_id
      envelope BLOB    NOT NULL                     -- the envelope bytes as delivered
    );
    INSERT INTO envelopes(row_id, envelope) SELECT row_id, envelope FROM inbox;
    ALTER TABLE inbox DROP COLUMN envelope;
    CREATE TRIGGER inbox_envelope_gone AFTER DELETE ON inbox
      BEGIN DELETE FROM envelopes WHERE row_id = old.row_id; END;
    )sql",
};

}  // namespace

int LatestVersion() { return static_cast<int>(std::size(kMigrations)); }

Status PrepareDatabase(Database& db, bool full_sync) {
  return PrepareVersionedDatabase(db, VersionedSchema{kInboxApplicationId, "connector inbox", kMigrations, 0},
                                  full_sync);
}

Status PrepareDatabaseAtVersion(Database& db, int version) {
  if (version < 1 || version > LatestVersion()) {
    return InvalidArgument("no connector inbox schema version " + std::to_string(version));
  }
  std::span<const char* const> first(kMigrations, static_cast<size_t>(version));
  return PrepareVersionedDatabase(db, VersionedSchema{kInboxApplicationId, "connector inbox", first, 0}, true);
}

}  // namespace regline::connector::inbox_schema
