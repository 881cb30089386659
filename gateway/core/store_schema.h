// The store's on-disk schema and its migrations (internal to Store).
//
// Each migration takes the schema from version N-1 to N in one transaction;
// PRAGMA user_version records the version reached, and PRAGMA
// application_id marks the file as a Regline store. A new Regline opens a
// store of any earlier version by running the migrations it lacks; an older
// Regline refuses a store from a newer one.
#pragma once

#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline::store_schema {

// "RGLN" in ASCII: PRAGMA application_id of every Regline store.
inline constexpr int kApplicationId = 0x52474C4E;

// The version this build migrates to.
int LatestVersion();

// Sets the connection's pragmas (WAL, synchronous, cache) and brings the
// schema to LatestVersion(). kFailedPrecondition for a newer store,
// kCorruption for a file that is not a Regline store.
Status PrepareDatabase(Database& db, bool full_sync);

// For tests of the upgrade path only: brings a new file to schema version
// `version` (1 .. LatestVersion()) by running only the first `version`
// migrations, so that the file is what the release that wrote that version
// left behind. kInvalidArgument for a version out of range.
Status PrepareDatabaseAtVersion(Database& db, int version);

}  // namespace regline::store_schema
