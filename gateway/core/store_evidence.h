// Store evidence: everything a gateway's store holds about one message, read
// from the store file read-only, for `reglinectl evidence export`
// (docs/evidence.md).
//
// ReadMessageEvidence opens its own read-only connection and reads one
// snapshot in one read transaction, so it may run in another process while
// the gateway writes, and sees the message, its deliveries, the signed
// acknowledgements and the audit entries as of one instant. It never writes:
// a store of an older schema is read as it is (no acknowledgements before
// schema version 3, no audit log before version 2). Values and one free
// function; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/core/audit_chain.h"
#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"

namespace regline {

// One entry of the audit chain as stored.
struct AuditRecord {
  int64_t seq = 0;
  int64_t at_ms = 0;
  std::string event;
  std::string subject;
  std::string detail;
  AuditHash hash{};
};

struct MessageEvidence {
  uint64_t seq = 0;  // the gateway's sequence number
  MessageId id;
  std::string sender;
  int kind = 0;  // schema MessageKind ordinal
  int64_t created_ms = 0;   // the sender's clock
  int64_t accepted_ms = 0;  // when the gateway first made it durable
  std::string envelope;     // as received, byte for byte
  // One per recipient, by recipient; message_id, sender and kind filled in.
  std::vector<DeliveryStatus> deliveries;
  // The recipients' signed acknowledgements, by recipient, then stage.
  std::vector<StoredAcknowledgement> acknowledgements;
  // The audit entries whose subject is the message id, in chain order.
  std::vector<AuditRecord> audit;
  // The newest entry of the whole chain in the same snapshot (seq 0: none).
  AuditHead audit_head;
};

// What the store at `db_path` holds about message `id` (of any sender: ids
// are 128-bit random). kNotFound when it holds no such message; kIOError
// when the file cannot be opened or read; kCorruption when it is not a
// Regline store.
Result<MessageEvidence> ReadMessageEvidence(const std::string& db_path, const MessageId& id);

}  // namespace regline
