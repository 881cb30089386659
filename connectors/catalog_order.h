// The order in which the connector hands the negative catalog to the
// platform's sink (schemas/catalog.capnp, "Version chain").
//
// The inbox remembers the catalog version the sink holds (the last update
// or snapshot it took). Each catalog message is judged against it, in
// delivery order, before any hand-over:
//   - an update whose base is the version held: handed over; once the
//     sink takes it (accepted or completed) its version is held;
//   - a snapshot newer than the version held: handed over; likewise;
//   - an update or snapshot at or below the version held (a snapshot
//     already covered it): not handed over, acknowledged completed with
//     the reason "covered";
//   - an update whose base is above the version held: a gap. It is parked
//     (kept, not handed over, not acknowledged beyond received) and the
//     connector asks the gateway for a snapshot (Query.catalogSnapshot).
//     Parked updates are judged again each time the version held changes.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline::connector {

// Where one catalog message sits in the version chain.
struct CatalogPosition {
  bool snapshot = false;  // a CatalogSnapshot (else a CatalogUpdate)
  uint64_t version = 0;
  uint64_t base = 0;  // updates only
};

// For a catalogUpdate or catalogSnapshot envelope: its position, read from
// the payload; nullopt for every other kind. kInvalidArgument when the
// envelope or payload does not read, or names version 0.
Result<std::optional<CatalogPosition>> CatalogPositionOf(int kind, std::string_view envelope, size_t max_bytes);

enum class CatalogStep { kHandOver, kCovered, kGap };

// What to do with a catalog message at `p` when the sink holds `held`.
CatalogStep NextCatalogStep(const CatalogPosition& p, uint64_t held);

// The sink outcome reason for a covered message, and the log/request
// reason for a gap.
std::string CoveredReason(const CatalogPosition& p, uint64_t held);
std::string GapReason(const CatalogPosition& p, uint64_t held);

}  // namespace regline::connector
