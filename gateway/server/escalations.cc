#include "gateway/server/escalations.h"

#include <capnp/message.h>

#include "gateway/protocol/frames.h"
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
  const std::string payload = protocol::Encode(payload_message);

  Submission s;
  s.sender = gateway_identity;
  s.id = MessageId::Generate(now_ms);
  s.kind = static_cast<int>(schema::MessageKind::ESCALATION);
  s.priority = 2;  // ahead of routine traffic to the console
  s.created_ms = now_ms;
  s.correlation_id = item.directive;
  s.recipients = {item.issuer};

  capnp::MallocMessageBuilder message;
  auto env = message.initRoot<schema::Envelope>();
  protocol::ToWire(s.id, env.initId());
  env.setSender(gateway_identity);
  env.initRecipients(1).set(0, item.issuer);
  env.setKind(schema::MessageKind::ESCALATION);
  env.setCreatedMs(now_ms);
  env.setPriority(schema::Priority::HIGH);
  protocol::ToWire(item.directive, env.initCorrelationId());
  env.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
  if (signer != nullptr) {
    Result<identity::SignatureClaim> signature = signer->Sign(payload);
    if (!signature.ok()) return signature.status().WithContext("signing an escalation");
    protocol::ToWire(*signature, env.initSignature());
  }
  env.setSchemaVersion(schema::CURRENT_SCHEMA_VERSION);
  s.envelope = protocol::Encode(message);
  return s;
}

}  // namespace regline::server
