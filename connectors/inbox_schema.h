// The inbox's on-disk schema and its migrations (internal to Inbox).
//
// Each migration takes the schema from version N-1 to N in one transaction;
// PRAGMA user_version records the version reached and PRAGMA
// application_id (kInboxApplicationId) marks the file as a connector inbox.
// Migrations are append-only: a released one never changes.
#pragma once

#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline::connector::inbox_schema {

// The version this build migrates to.
int LatestVersion();

// Sets the connection's pragmas (WAL, synchronous FULL or NORMAL) and brings
// the schema to LatestVersion(). kFailedPrecondition for an inbox from a
// newer Regline, kCorruption for a file that is not a connector inbox.
Status PrepareDatabase(Database& db, bool full_sync);

// For tests of the upgrade path only: brings a new file to schema version
// `version` (1 .. LatestVersion()) with only the first `version`
// migrations, as the release that wrote that version left it.
// kInvalidArgument for a version out of range.
Status PrepareDatabaseAtVersion(Database& db, int version);

}  // namespace regline::connector::inbox_schema
