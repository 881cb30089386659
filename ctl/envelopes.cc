#include "ctl/envelopes.h"

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstring>

#include "ctl/json_input.h"
#include "ctl/parse.h"
#include "gateway/protocol/frames.h"
#include "schemas/agreement.capnp.h"
#include "schemas/attestation.capnp.h"
#include "schemas/complaints.capnp.h"
#include "schemas/escalation.capnp.h"

namespace regline::ctl {
namespace {

using schema::MessageKind;

capnp::Data::Reader AsData(std::string_view bytes) {
  return capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(bytes.data()), bytes.size());
}

// kInvalidArgument unless `payload` reads as one `schema` message.
Status CheckPayload(std::string_view source, std::string_view payload, capnp::StructSchema schema) {
  if (payload.empty() || payload.size() % sizeof(capnp::word) != 0) {
    return InvalidArgument(std::string(source) + ": payload is not a serialized " + schema.getUnqualifiedName().cStr());
  }
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.data(), payload.size());
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    capnp::FlatArrayMessageReader reader(words.asPtr());
    (void)reader.getRoot<capnp::DynamicStruct>(schema).totalSize();
  });
  KJ_IF_MAYBE(e, failure) {
    return InvalidArgument(std::string(source) + ": payload is not a serialized " + schema.getUnqualifiedName().cStr() +
                           ": " + e->getDescription().cStr());
  }
  return Status::Ok();
}

// Reads a payload of `schema` from JSON and serializes it.
Result<std::string> PayloadFromJson(std::string_view source, std::string_view text, capnp::StructSchema schema) {
  capnp::MallocMessageBuilder message;
  REGLINE_RETURN_IF_ERROR(DecodeJson(source, text, message.initRoot<capnp::DynamicStruct>(schema)));
  return protocol::Encode(message);
}

Result<SealedEnvelope> EnvelopeFromEnvelopeJson(const std::string& path, const std::string& text, std::string_view kind,
                                                const SendFlags& flags, std::string_view sender, int64_t now_ms) {
  capnp::MallocMessageBuilder message;
  auto envelope = message.initRoot<schema::Envelope>();
  REGLINE_RETURN_IF_ERROR(DecodeJson(path, text, envelope));
  if (!kind.empty()) {
    Result<MessageKind> k = ParseEnum<MessageKind>("--kind", kind);
    if (!k.ok()) return k.status();
    if (envelope.getKind() == MessageKind::UNSPECIFIED) envelope.setKind(*k);
    if (envelope.getKind() != *k) {
      return InvalidArgument(path + ": kind is " + EnumName(envelope.getKind()) + " but --kind says " + EnumName(*k));
    }
  }
  if (envelope.getKind() == MessageKind::UNSPECIFIED) return InvalidArgument(path + ": kind: not set (or give --kind)");
  Result<capnp::StructSchema> schema = PayloadSchema(envelope.getKind());
  if (!schema.ok()) return InvalidArgument(path + ": kind: " + schema.status().message());
  auto payload = envelope.getPayload();
  REGLINE_RETURN_IF_ERROR(
      CheckPayload(path, std::string_view(reinterpret_cast<const char*>(payload.begin()), payload.size()), *schema));
  if (envelope.getSender().size() == 0) envelope.setSender(capnp::Text::Reader(sender.data(), sender.size()));
  if (envelope.getSender() != capnp::Text::Reader(sender.data(), sender.size())) {
    return InvalidArgument(path + ": sender is '" + envelope.getSender().cStr() + "' but --identity is '" +
                           std::string(sender) + "'");
  }
  if (!flags.to.empty()) {
    auto recipients = envelope.initRecipients(static_cast<unsigned>(flags.to.size()));
    for (unsigned i = 0; i < flags.to.size(); ++i) recipients.set(i, flags.to[i]);
  }
  if (envelope.getRecipients().size() == 0) return InvalidArgument(path + ": recipients: none (or give --to)");
  MessageId id = protocol::FromWire(envelope.getId());
  if (id.IsZero()) {
    id = MessageId::Generate(now_ms);
    protocol::ToWire(id, envelope.initId());
  }
  if (envelope.getCreatedMs() == 0) envelope.setCreatedMs(now_ms);
  if (envelope.getSchemaVersion() == 0) envelope.setSchemaVersion(schema::CURRENT_SCHEMA_VERSION);
  return SealedEnvelope{id, envelope.getKind(), protocol::Encode(message)};
}

}  // namespace

Result<EnvelopeHeader> MakeHeader(const SendFlags& flags, MessageKind kind, std::string_view sender, int64_t now_ms) {
  if (flags.to.empty()) return InvalidArgument("--to is required (recipient identities or groups, comma-separated)");
  EnvelopeHeader h;
  h.sender = std::string(sender);
  h.recipients = flags.to;
  h.kind = kind;
  h.created_ms = now_ms;
  if (!flags.expires_in.empty()) {
    Result<int64_t> d = ParseDuration("--expires-in", flags.expires_in);
    if (!d.ok()) return d.status();
    h.expires_ms = now_ms + *d;
  }
  if (!flags.priority.empty()) {
    Result<schema::Priority> p = ParseEnum<schema::Priority>("--priority", flags.priority);
    if (!p.ok()) return p.status();
    h.priority = *p;
  }
  if (!flags.correlation.empty()) {
    Result<MessageId> id = ParseMessageId("--correlation", flags.correlation);
    if (!id.ok()) return id.status();
    h.correlation_id = *id;
  }
  return h;
}

Result<SealedEnvelope> Seal(const EnvelopeHeader& h, std::string_view payload) {
  if (h.sender.empty()) return InvalidArgument("--identity is required (or set REGLINE_IDENTITY)");
  if (h.recipients.empty())
    return InvalidArgument("--to is required (recipient identities or groups, comma-separated)");
  if (h.kind == MessageKind::UNSPECIFIED) return InvalidArgument("the message kind is not set");
  const MessageId id = h.id.IsZero() ? MessageId::Generate(h.created_ms) : h.id;
  capnp::MallocMessageBuilder message;
  auto e = message.initRoot<schema::Envelope>();
  protocol::ToWire(id, e.initId());
  e.setSender(capnp::Text::Reader(h.sender.data(), h.sender.size()));
  auto recipients = e.initRecipients(static_cast<unsigned>(h.recipients.size()));
  for (unsigned i = 0; i < h.recipients.size(); ++i) recipients.set(i, h.recipients[i]);
  e.setKind(h.kind);
  e.setCreatedMs(h.created_ms);
  e.setExpiresMs(h.expires_ms);
  e.setPriority(h.priority);
  protocol::ToWire(h.correlation_id, e.initCorrelationId());
  e.setPayload(AsData(payload));
  e.setSchemaVersion(schema::CURRENT_SCHEMA_VERSION);
  return SealedEnvelope{id, h.kind, protocol::Encode(message)};
}

Result<capnp::StructSchema> PayloadSchema(MessageKind kind) {
  switch (kind) {
    case MessageKind::DIRECTIVE:
      return capnp::Schema::from<schema::Directive>();
    case MessageKind::CATALOG_UPDATE:
      return capnp::Schema::from<schema::CatalogUpdate>();
    case MessageKind::CATALOG_SNAPSHOT:
      return capnp::Schema::from<schema::CatalogSnapshot>();
    case MessageKind::TAX_ASSISTANCE_REQUEST:
      return capnp::Schema::from<schema::TaxAssistanceRequest>();
    case MessageKind::TAX_ASSISTANCE_RESPONSE:
      return capnp::Schema::from<schema::TaxAssistanceResponse>();
    case MessageKind::ACKNOWLEDGEMENT:
      return capnp::Schema::from<schema::Acknowledgement>();
    case MessageKind::COMPLAINT_STATISTICS:
      return capnp::Schema::from<schema::ComplaintStatistics>();
    case MessageKind::COMPLIANCE_ATTESTATION:
      return capnp::Schema::from<schema::ComplianceAttestation>();
    case MessageKind::SIGNED_AGREEMENT:
      return capnp::Schema::from<schema::SignedAgreement>();
    case MessageKind::ESCALATION:
      return capnp::Schema::from<schema::Escalation>();
    default:
      return InvalidArgument("'" + EnumName(kind) + "' is not a message kind with a payload");
  }
}

Result<SealedEnvelope> EnvelopeFromPayloadFile(const std::string& path, const EnvelopeHeader& header) {
  Result<capnp::StructSchema> schema = PayloadSchema(header.kind);
  if (!schema.ok()) return schema.status();
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  Result<std::string> payload = PayloadFromJson(path, *text, *schema);
  if (!payload.ok()) return payload.status();
  return Seal(header, *payload);
}

Result<SealedEnvelope> EnvelopeFromFile(const std::string& path, std::string_view kind, const SendFlags& flags,
                                        std::string_view sender, int64_t now_ms) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  if (JsonHasMember(*text, "payload")) return EnvelopeFromEnvelopeJson(path, *text, kind, flags, sender, now_ms);
  if (kind.empty()) return InvalidArgument("--kind is required when " + path + " holds a payload, not an envelope");
  Result<MessageKind> k = ParseEnum<MessageKind>("--kind", kind);
  if (!k.ok()) return k.status();
  Result<capnp::StructSchema> schema = PayloadSchema(*k);
  if (!schema.ok()) return InvalidArgument("--kind: " + schema.status().message());
  Result<EnvelopeHeader> header = MakeHeader(flags, *k, sender, now_ms);
  if (!header.ok()) return header.status();
  Result<std::string> payload = PayloadFromJson(path, *text, *schema);
  if (!payload.ok()) return payload.status();
  return Seal(*header, *payload);
}

}  // namespace regline::ctl
