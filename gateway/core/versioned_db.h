// PrepareVersionedDatabase: the one way a Regline SQLite file is opened for
// writing: check that it is ours (PRAGMA application_id), switch to WAL with
// the chosen synchronous level, and run the migrations it lacks.
//
// Each migration takes the schema from version N-1 to N in one transaction;
// PRAGMA user_version records the version reached. Migrations are append
// only. kCorruption for a file that is someone else's SQLite database,
// kFailedPrecondition for one written by a newer Regline, kIOError when the
// file system cannot do WAL. The gateway's store and the connector's inbox
// both use it, each with its own application id and migrations.
#pragma once

#include <span>
#include <string>

#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline {

struct VersionedSchema {
  int application_id = 0;                  // marks the file as this kind
  std::string what;                        // "Regline store", "connector inbox": for errors
  std::span<const char* const> migrations; // migrations[v-1] takes version v-1 to v
  int page_size = 0;                       // for a new file; 0: SQLite's default
};

Status PrepareVersionedDatabase(Database& db, const VersionedSchema& schema, bool full_sync);

}  // namespace regline
