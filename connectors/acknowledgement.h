// The platform's signed acknowledgements: Envelope{kind = acknowledgement}
// around an Acknowledgement (schemas/acknowledgement.capnp), the statement
// the gateway keeps as evidence of how far the platform got with a
// message. With CURVE on, the gateway requires one with every ACK beyond
// stage received (Gateway::CheckAcknowledgement): same message id and
// stage, correlationId the acknowledged message, signed by the platform.
//
// Each call builds a new envelope with a fresh random id, so an ACK sent
// again after a reconnect carries a newly built (equally valid) one; the
// gateway keeps the first per stage. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/identity/signature_check.h"
#include "schemas/acknowledgement.capnp.h"
#include "schemas/envelope.capnp.h"

namespace regline::connector {

// Who sent the acknowledged message and what it was, from its envelope.
struct OriginalMessage {
  std::string sender;
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
};

// Reads the sender and kind of a stored envelope. kInvalidArgument when
// `envelope` is not a readable Envelope within `max_bytes` or names no
// sender.
Result<OriginalMessage> ReadOriginal(std::string_view envelope, size_t max_bytes);

// What the platform states about the message.
struct AcknowledgementFacts {
  MessageId message_id;
  schema::AckStage stage = schema::AckStage::UNSPECIFIED;
  int64_t at_ms = 0;  // when the stage was reached
  schema::RejectReason reason_code = schema::RejectReason::UNSPECIFIED;  // rejected only
  std::string reason;
};

// The serialized envelope: id MessageId::Generate(now_ms), sender
// signer.identity(), recipients [original.sender], kind acknowledgement,
// correlationId facts.message_id, createdMs now_ms, the current schema
// version, and the signer's signature over the Acknowledgement payload.
// kInternal only if signing fails.
Result<std::string> BuildSignedAcknowledgement(const identity::Signer& signer, const OriginalMessage& original,
                                               const AcknowledgementFacts& facts, int64_t now_ms);

}  // namespace regline::connector
