#include "gateway/core/store_schema.h"

#include <iterator>
#include <span>
#include <string>

#include "gateway/core/versioned_db.h"

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
    // 2: the audit chain (audit_chain.h). A store upgraded from version 1
    // starts its chain at the upgrade: what happened before is not in it.
    R"sql(
    CREATE TABLE audit_log(
      seq       INTEGER PRIMARY KEY,  -- 1, 2, 3, ... without gaps
      at_ms     INTEGER NOT NULL,     -- when the change was made (gateway clock)
      event     TEXT    NOT NULL,     -- submitted, sent, acknowledged, ... (docs/store.md)
      subject   TEXT    NOT NULL,     -- usually the message id, 32 hex digits
      detail    TEXT    NOT NULL,     -- key=value pairs separated by spaces
      prev_hash BLOB    NOT NULL,     -- the previous entry's hash; 32 zero bytes for entry 1
      hash      BLOB    NOT NULL      -- SHA-256 of this entry (audit_chain.h)
    );
    )sql",
    // 3: the recipients' signed acknowledgements, kept as evidence
    // (docs/evidence.md). A row only for an ACK that carried an envelope,
    // written when its stage is first recorded; kept as long as the message.
    R"sql(
    CREATE TABLE acknowledgements(
      message_seq INTEGER NOT NULL,   -- messages.seq
      recipient   TEXT    NOT NULL,
      stage       INTEGER NOT NULL,   -- AckStage ordinal: the stage the ACK stated
      recorded_ms INTEGER NOT NULL,   -- when that stage was first recorded (gateway clock)
      envelope    BLOB    NOT NULL,   -- the recipient's Acknowledgement envelope, as received
      PRIMARY KEY(message_seq, recipient, stage)
    ) WITHOUT ROWID;
    )sql",
    // 4: directives' deadlines and lineage, and the escalations of missed
    // deadlines (directive_ledger.h, docs/store.md).
    R"sql(
    CREATE TABLE directives(
      message_seq            INTEGER PRIMARY KEY,  -- messages.seq of the directive
      department             TEXT    NOT NULL,     -- issuing department code
      action                 INTEGER NOT NULL,     -- schema DirectiveAction ordinal
      severity               INTEGER NOT NULL,     -- schema Severity ordinal
      ack_deadline_ms        INTEGER NOT NULL,     -- accepted or rejected by then
      completion_deadline_ms INTEGER NOT NULL,     -- completed by then
      supersedes_seq         INTEGER NOT NULL DEFAULT 0,  -- the directive this one replaced; 0: none
      revokes_seq            INTEGER NOT NULL DEFAULT 0,  -- the directive this one revoked; 0: none
      closed_by_seq          INTEGER NOT NULL DEFAULT 0,  -- the directive that superseded or revoked this one
      closed_how             INTEGER NOT NULL DEFAULT 0,  -- 0 open, 1 superseded, 2 revoked
      closed_ms              INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX directives_open ON directives(ack_deadline_ms) WHERE closed_by_seq = 0;
    -- SHA-256 of the envelope as the sender submitted it, when the gateway
    -- stored a changed one (agreements with identity numbers redacted), so
    -- that a resubmission is still recognised as a duplicate; NULL otherwise.
    ALTER TABLE messages ADD COLUMN submitted_digest BLOB;
    CREATE TABLE escalations(
      message_seq    INTEGER NOT NULL,  -- the overdue directive
      recipient      TEXT    NOT NULL,  -- the overdue platform
      stage          INTEGER NOT NULL,  -- DeadlineStage: 1 accept, 2 complete
      level          INTEGER NOT NULL,  -- 1 for the first escalation of this miss
      escalated_ms   INTEGER NOT NULL,
      escalation_seq INTEGER NOT NULL,  -- messages.seq of the Escalation message
      PRIMARY KEY(message_seq, recipient, stage, level)
    ) WITHOUT ROWID;
    )sql",
    // 5: the negative catalog's version chain, and what each platform last
    // attested it applied (catalog_ledger.h, docs/store.md).
    R"sql(
    CREATE TABLE catalog_versions(
      version     INTEGER PRIMARY KEY,  -- 1, 2, 3, ...
      base        INTEGER NOT NULL,     -- the version it is on (version - 1)
      message_seq INTEGER NOT NULL,     -- messages.seq of the CatalogUpdate
      accepted_ms INTEGER NOT NULL
    );
    CREATE TABLE catalog_applied(
      platform    TEXT    PRIMARY KEY,  -- the attesting platform identity
      version     INTEGER NOT NULL,     -- the version its latest catalogApplied attestation names
      attested_ms INTEGER NOT NULL,     -- when the gateway accepted that attestation
      message_seq INTEGER NOT NULL,     -- messages.seq of the attestation
      stale       INTEGER NOT NULL      -- 1: older than the current version when accepted
    ) WITHOUT ROWID;
    )sql",
    // 6: scheduled reports (complaint statistics, tax-assistance responses):
    // the first report each platform sent per kind and period
    // (report_ledger.h, docs/store.md).
    R"sql(
    CREATE TABLE reports(
      platform        TEXT    NOT NULL,  -- the reporting platform identity
      kind            INTEGER NOT NULL,  -- schema MessageKind ordinal
      period_start_ms INTEGER NOT NULL,  -- the scheduled period [start, end), Unix ms
      period_end_ms   INTEGER NOT NULL,
      message_seq     INTEGER NOT NULL,  -- messages.seq of the report that counts (the first)
      received_ms     INTEGER NOT NULL,  -- when the gateway accepted it
      PRIMARY KEY(platform, kind, period_start_ms)
    ) WITHOUT ROWID;
    )sql",
    // 7: legal retention (retention_ledger.h, docs/store.md): legal holds,
    // and where the audit chain starts once its oldest entries are pruned.
    R"sql(
    CREATE TABLE legal_holds(
      subject TEXT    PRIMARY KEY,  -- an identity name, or a message id (32 hex digits)
      reason  TEXT    NOT NULL,
      set_by  TEXT    NOT NULL,     -- the identity that set it
      set_ms  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE audit_anchor(
      id        INTEGER PRIMARY KEY CHECK (id = 1),
      seq       INTEGER NOT NULL,  -- the last audit entry pruned; the log starts at seq + 1
      hash      BLOB    NOT NULL,  -- its hash: the prev_hash of entry seq + 1
      pruned_ms INTEGER NOT NULL
    );
    )sql",
};

}  // namespace

int LatestVersion() { return static_cast<int>(std::size(kMigrations)); }

Status PrepareDatabase(Database& db, bool full_sync) {
  // 4 KiB pages for a new store. Every b-tree a commit touches costs the log
  // a whole page, and a commit at a steady rate touches about nine (the
  // message, its delivery, their indexes, the audit entry, the ledgers):
  // with 16 KiB pages the log took 66 KB per message at 5,000/s and the
  // commit was a third of the writer's time. 4 KiB pages cut the store's
  // writes to about a third and submit -> sink p99 by about 0.5 to 1 ms,
  // for about 7 % of the throughput at full speed (docs/performance.md,
  // "Smaller pages"). A store created with 16 KiB pages (before 2026-12) keeps them:
  // SQLite fixes the page size when the file is made.
  REGLINE_RETURN_IF_ERROR(
      PrepareVersionedDatabase(db, VersionedSchema{kApplicationId, "Regline store", kMigrations, 4096}, full_sync));
  // 16 MiB of page cache for the store's hot indexes; more costs more than
  // it saves. When a b-tree split takes pages from the free list out of
  // order, SQLite 3.40 swaps their numbers through the number of the page
  // at 1 GiB, and at the commit its page cache then walks every page it
  // holds to drop those past the end of the file. With 64 MiB (16,384
  // pages) that walk took about a seventh of the writer's time at full
  // speed (docs/performance.md, "The page cache's size").
  return db.Exec("PRAGMA cache_size = -16384");
}

Status PrepareDatabaseAtVersion(Database& db, int version) {
  if (version < 1 || version > LatestVersion()) {
    return InvalidArgument("no store schema version " + std::to_string(version));
  }
  std::span<const char* const> first(kMigrations, static_cast<size_t>(version));
  // 16 KiB pages, as every store made before 2026-12 has: the upgrade tests
  // then also show that such a store opens and works.
  return PrepareVersionedDatabase(db, VersionedSchema{kApplicationId, "Regline store", first, 16384}, true);
}

}  // namespace regline::store_schema
