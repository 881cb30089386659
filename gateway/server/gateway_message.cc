#include "gateway/server/gateway_message.h"

#include <capnp/message.h>

#include "gateway/protocol/frames.h"

namespace regline::server {

Result<Submission> MakeGatewayMessage(const GatewayMessage& m, std::string_view what) {
  Submission s;
  s.sender = *m.gateway_identity;
  s.id = MessageId::Generate(m.now_ms);
  s.kind = static_cast<int>(m.kind);
  s.priority = static_cast<int>(m.priority);
  s.created_ms = m.now_ms;
  s.correlation_id = m.correlation_id;
  s.recipients = {m.recipient};

  capnp::MallocMessageBuilder message;
  auto env = message.initRoot<schema::Envelope>();
  protocol::ToWire(s.id, env.initId());
  env.setSender(*m.gateway_identity);
  env.initRecipients(1).set(0, m.recipient);
  env.setKind(m.kind);
  env.setCreatedMs(m.now_ms);
  env.setPriority(m.priority);
  if (!m.correlation_id.IsZero()) protocol::ToWire(m.correlation_id, env.initCorrelationId());
  env.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(m.payload.data()), m.payload.size()));
  if (m.signer != nullptr) {
    Result<identity::SignatureClaim> signature = m.signer->Sign(m.payload);
    if (!signature.ok()) return signature.status().WithContext("signing " + std::string(what));
    protocol::ToWire(*signature, env.initSignature());
  }
  env.setSchemaVersion(schema::CURRENT_SCHEMA_VERSION);
  s.envelope = protocol::Encode(message);
  return s;
}

}  // namespace regline::server
