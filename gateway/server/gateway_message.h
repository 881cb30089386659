// Messages the gateway itself originates (escalations, catalog snapshots
// for a platform that found a gap): a payload wrapped in an envelope from
// the gateway's own identity ([gateway] identity), signed with its signing
// key when it has one, ready for Store::Submit or Store::Escalate. Pure;
// any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/identity/signature_check.h"
#include "schemas/envelope.capnp.h"

namespace regline::server {

struct GatewayMessage {
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
  std::string payload;    // the encoded payload struct
  std::string recipient;  // one identity
  schema::Priority priority = schema::Priority::NORMAL;
  MessageId correlation_id;                       // zero: none
  int64_t now_ms = 0;                             // id, createdMs
  const std::string* gateway_identity = nullptr;  // the sender
  const identity::Signer* signer = nullptr;       // null: unsigned (development mode)
};

// The Submission (envelope included) for `m`; fails only when signing does,
// with `what` named in the error.
Result<Submission> MakeGatewayMessage(const GatewayMessage& m, std::string_view what);

}  // namespace regline::server
