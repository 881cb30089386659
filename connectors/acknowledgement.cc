#include "connectors/acknowledgement.h"

#include <capnp/message.h>
#include <kj/exception.h>

#include "gateway/protocol/frames.h"

namespace regline::connector {

Result<OriginalMessage> ReadOriginal(std::string_view envelope, size_t max_bytes) {
  Result<protocol::DecodedEnvelope> decoded = protocol::DecodedEnvelope::Parse(envelope, max_bytes);
  if (!decoded.ok()) return decoded.status();
  OriginalMessage out;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    schema::Envelope::Reader e = decoded->get();
    out.sender = e.getSender().cStr();
    out.kind = e.getKind();
  });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("unreadable envelope: ") + e->getDescription().cStr());
  }
  if (out.sender.empty()) return InvalidArgument("the envelope names no sender");
  return out;
}

Result<std::string> BuildSignedAcknowledgement(const identity::Signer& signer, const OriginalMessage& original,
                                               const AcknowledgementFacts& facts, int64_t now_ms) {
  capnp::MallocMessageBuilder statement;
  auto a = statement.initRoot<schema::Acknowledgement>();
  protocol::ToWire(facts.message_id, a.initMessageId());
  a.setOriginalSender(original.sender);
  a.setOriginalKind(original.kind);
  a.setStage(facts.stage);
  a.setAtMs(facts.at_ms);
  if (facts.stage == schema::AckStage::REJECTED) a.setReasonCode(facts.reason_code);
  if (!facts.reason.empty()) a.setReason(facts.reason);
  const std::string payload = protocol::Encode(statement);

  Result<identity::SignatureClaim> signature = signer.Sign(payload);
  if (!signature.ok()) return signature.status();

  capnp::MallocMessageBuilder message;
  auto e = message.initRoot<schema::Envelope>();
  protocol::ToWire(MessageId::Generate(now_ms), e.initId());
  e.setSender(signer.identity());
  e.initRecipients(1).set(0, original.sender);
  e.setKind(schema::MessageKind::ACKNOWLEDGEMENT);
  e.setCreatedMs(now_ms);
  protocol::ToWire(facts.message_id, e.initCorrelationId());
  e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
  protocol::ToWire(*signature, e.initSignature());
  e.setSchemaVersion(schema::CURRENT_SCHEMA_VERSION);
  return protocol::Encode(message);
}

}  // namespace regline::connector
