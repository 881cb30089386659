#include "gateway/server/escalations.h"

#include <capnp/message.h>

#include "gateway/protocol/frames.h"
#include "gateway/server/gateway_message.h"
#include "schemas/envelope.capnp.h"
#include "schemas/escalation.capnp.h"

namespace regline::server {

Result<Submission> MakeEscalation(const OverdueItem& item, int level, int64_t now_ms,
                                  const std::string& gateway_identity, const identity::Signer* signer) {
  capnp::MallocMessageBuilder payload_message;
  auto e = payload_message.initRoot<schema::Escalation>();
  protocol::ToWire(item.directive, e.initDirectiveId());
  e.setPlatformId(item.recipient);
  const bool accept = item.missing == DeadlineStage::kAccept;
  e.setMissingStage(accept ? schema::AckStage::ACCEPTED : schema::AckStage::COMPLETED);
  // Delivery states 2..4 are the stages received, accepted, completed.
  switch (item.last_state) {
    case static_cast<int>(DeliveryState::kDelivered):
      e.setLastStage(schema::AckStage::RECEIVED);
      break;
    case static_cast<int>(DeliveryState::kAccepted):
      e.setLastStage(schema::AckStage::ACCEPTED);
      break;
    default:
      e.setLastStage(schema::AckStage::UNSPECIFIED);
      break;
  }
  e.setDeadlineMs(item.deadline_ms);
  e.setOverdueByMs(now_ms - item.deadline_ms);
  e.setDetectedMs(now_ms);
  e.setLevel(static_cast<uint32_t>(level));
  e.setAction(static_cast<schema::DirectiveAction>(item.action));
  e.setSeverity(static_cast<schema::Severity>(item.severity));
  e.initIssuer().setDepartment(protocol::DepartmentFromCode(item.department));
  GatewayMessage m;
  m.kind = schema::MessageKind::ESCALATION;
  m.payload = protocol::Encode(payload_message);
  m.recipient = item.issuer;
  m.priority = schema::Priority::HIGH;  // ahead of routine traffic to the console
  m.correlation_id = item.directive;
  m.now_ms = now_ms;
  m.gateway_identity = &gateway_identity;
  m.signer = signer;
  return MakeGatewayMessage(m, "an escalation");
}

}  // namespace regline::server
