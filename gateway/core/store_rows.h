// Row readers shared by the Store (store.cc) and the read-only evidence
// reader (store_evidence.cc), so that both read a delivery row the same way.
// Internal to gateway/core; pure functions.
#pragma once

#include "gateway/core/sqlite.h"
#include "gateway/core/store.h"

namespace regline {

// The columns (and FROM clause) of a delivery with its message's id, sender
// and kind: "SELECT " + kDeliveryColumns + " WHERE ..." yields rows that
// ReadDeliveryStatus reads.
extern const char* const kDeliveryColumns;

DeliveryStatus ReadDeliveryStatus(const Statement& st);

}  // namespace regline
