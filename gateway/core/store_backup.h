// Backups of the gateway's store and their restore (docs/operations.md,
// "Backups and restore").
//
// BackupStore copies a store file while the gateway keeps writing it: a
// read-only connection runs SQLite's online backup in one step
// (sqlite3_backup_step(-1)), which holds one read transaction from the first
// page to the last, so the copy is the store as of one commit: every message
// confirmed before that commit with its deliveries, delivery numbers and
// audit entries, nothing of a later one. In WAL mode the gateway's writer is
// not blocked meanwhile (only its checkpoints cannot pass the snapshot).
// The copy is a stand-alone file (rollback journal, no -wal beside it),
// written to PATH.tmp, checked (PRAGMA integrity_check, application_id,
// schema version), fsynced, then renamed to PATH and the directory fsynced:
// PATH is either absent or a whole, checked backup.
//
// RestoreStore puts such a file in place of <data_dir>/gateway.db while no
// gateway runs there (it holds <data_dir>/gateway.lock, as a running
// gateway does).
//
// Everything else in a data directory is rebuilt by the gateway at start
// (gateway.endpoint, admin.url, space-reserve): the store holds all state.
//
// Functions of values; any thread. They open their own SQLite connections.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/core/status.h"

namespace regline {

// What a store file holds, as a backup or restore reports it.
struct StoreFileSummary {
  int64_t bytes = 0;              // the file's size
  int schema_version = 0;         // PRAGMA user_version
  int64_t messages = 0;           // rows in messages
  uint64_t last_message_seq = 0;  // the newest message's sequence number; 0: none
  int64_t pending = 0;            // deliveries queued or in flight: what a restored gateway sends
  int64_t dead_lettered = 0;      // deliveries in the dead-letter queue
  int64_t recipients = 0;         // recipients with delivery numbers given out (their resume points)
  uint64_t audit_head_seq = 0;    // the newest audit entry; 0: none (or a store before version 2)
};

struct BackupOptions {
  // Replace a file already at the destination (otherwise kAlreadyExists and
  // nothing is written).
  bool overwrite = false;
  // How long to retry while SQLite reports the source busy or locked (a
  // checkpoint resetting the log, a recovery), in ms.
  int busy_retry_ms = 30'000;
};

// Copies a consistent snapshot of the store at `source` (read-only; the
// gateway may be running) to `dest`. On success `dest` is a checked,
// stand-alone store file and the summary describes it. Failures, with
// nothing left at `dest` (and an existing `dest` unchanged):
// kAlreadyExists when `dest` exists and !overwrite; kIOError when `source`
// cannot be read or `dest` not written (kNoSpace for a full disk);
// kCorruption when `source` is not a Regline store or the copy fails its
// integrity check.
Result<StoreFileSummary> BackupStore(const std::string& source, const std::string& dest,
                                     const BackupOptions& options = {});

// Checks a store file (a backup) read-only: a Regline store
// (kCorruption otherwise), of a schema version this build can open
// (kFailedPrecondition for a newer one), that passes PRAGMA
// integrity_check (kCorruption, naming the first problems).
Result<StoreFileSummary> CheckStoreFile(const std::string& path);

struct RestoreOptions {
  // Set aside a store already in the data directory (see RestoreStore);
  // otherwise kAlreadyExists and nothing changes.
  bool replace = false;
};

// Restores `backup` as `data_dir`/gateway.db (creating `data_dir` when
// absent). Checks it first (CheckStoreFile), then takes
// `data_dir`/gateway.lock, which a running gateway holds
// (kFailedPrecondition: stop the gateway first), copies the backup to
// gateway.db.restoring and fsyncs it. An old store (gateway.db and its
// -wal and -shm) is renamed to gateway.db.replaced (and its -wal, -shm, so
// that it stays openable as it was; kAlreadyExists when such a file is
// there from an earlier restore), so that no old log is applied to the
// restored file; then the copy is renamed to gateway.db and the directory
// fsynced. When run as root the new file gets the data directory's owner.
// A failure before the renames changes nothing; one between them leaves
// every old file under its own name or its .replaced name (the message
// says which step failed).
Result<StoreFileSummary> RestoreStore(const std::string& backup, const std::string& data_dir,
                                      const RestoreOptions& options = {});

}  // namespace regline
