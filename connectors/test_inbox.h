// Test-only helpers for the connector's unit tests that need an inbox: a
// delivery as the gateway link would store it, and an inbox opened in a
// test's directory. Header-only; never used by the daemon.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "connectors/inbox.h"
#include "gateway/core/clock.h"

namespace regline::connector::testing {

// Delivery number `seq` of a directive whose id is {0xabc, seq}.
inline Delivery DirectiveDelivery(uint64_t seq) {
  return Delivery{seq, 1, MessageId{0xabc, seq}, static_cast<int>(schema::MessageKind::DIRECTIVE), "envelope"};
}

// Opens (creating) an inbox at `path` with Durability::kFull into `out`;
// a fatal test failure when it cannot (call through ASSERT_NO_FATAL_FAILURE).
inline void OpenFullInbox(const std::string& path, const Clock& clock, std::unique_ptr<Inbox>& out) {
  Result<std::unique_ptr<Inbox>> inbox = Inbox::Open({path, Durability::kFull}, clock);
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  out = std::move(inbox).value();
}

}  // namespace regline::connector::testing
