#include "connectors/message_json.h"

#include <capnp/compat/json.h>
#include <capnp/serialize.h>
#include <kj/encoding.h>
#include <kj/exception.h>

#include <cstring>
#include <memory>

#include "gateway/protocol/frames.h"
#include "schemas/acknowledgement.capnp.h"
#include "schemas/agreement.capnp.h"
#include "schemas/attestation.capnp.h"
#include "schemas/catalog.capnp.h"
#include "schemas/complaints.capnp.h"
#include "schemas/directive.capnp.h"
#include "schemas/envelope.capnp.h"
#include "schemas/escalation.capnp.h"
#include "schemas/tax.capnp.h"

namespace regline::connector {
namespace {

using schema::MessageKind;

// Envelopes are at most a frame; this bounds the work a hostile one costs.
constexpr size_t kMaxEnvelopeBytes = 256u << 20;

template <typename Enum>
std::string EnumName(Enum value, std::string_view fallback_prefix) {
  auto ordinal = static_cast<uint16_t>(value);
  for (auto e : capnp::Schema::from<Enum>().getEnumerants()) {
    if (e.getOrdinal() == ordinal) return e.getProto().getName().cStr();
  }
  return std::string(fallback_prefix) + std::to_string(ordinal);
}

// Renders `payload` as the JSON of family struct T.
template <typename T>
std::string RenderAs(kj::ArrayPtr<const capnp::word> words) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = words.size() + 1;
  options.nestingLimit = 64;
  capnp::FlatArrayMessageReader reader(words, options);
  // Set up once per family and thread: building a codec's annotation
  // handlers cost as much as the rendering itself (webhook_bench).
  thread_local std::unique_ptr<capnp::JsonCodec> codec;
  if (codec == nullptr) {
    codec = std::make_unique<capnp::JsonCodec>();
    codec->handleByAnnotation<T>();
  }
  return codec->encode(reader.getRoot<T>()).cStr();
}

// The payload's JSON text, or an exception's description via `error`.
std::string RenderPayload(MessageKind kind, capnp::Data::Reader payload, std::string& error) {
  if (payload.size() == 0 || payload.size() % sizeof(capnp::word) != 0) {
    error = "payload of " + std::to_string(payload.size()) + " bytes is not a serialized Cap'n Proto message";
    return {};
  }
  auto words = kj::heapArray<capnp::word>(payload.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), payload.begin(), payload.size());
  std::string json;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    switch (kind) {
      case MessageKind::DIRECTIVE:
        json = RenderAs<schema::Directive>(words);
        return;
      case MessageKind::CATALOG_UPDATE:
        json = RenderAs<schema::CatalogUpdate>(words);
        return;
      case MessageKind::CATALOG_SNAPSHOT:
        json = RenderAs<schema::CatalogSnapshot>(words);
        return;
      case MessageKind::TAX_ASSISTANCE_REQUEST:
        json = RenderAs<schema::TaxAssistanceRequest>(words);
        return;
      case MessageKind::TAX_ASSISTANCE_RESPONSE:
        json = RenderAs<schema::TaxAssistanceResponse>(words);
        return;
      case MessageKind::ACKNOWLEDGEMENT:
        json = RenderAs<schema::Acknowledgement>(words);
        return;
      case MessageKind::COMPLAINT_STATISTICS:
        json = RenderAs<schema::ComplaintStatistics>(words);
        return;
      case MessageKind::COMPLIANCE_ATTESTATION:
        json = RenderAs<schema::ComplianceAttestation>(words);
        return;
      case MessageKind::SIGNED_AGREEMENT:
        json = RenderAs<schema::SignedAgreement>(words);
        return;
      case MessageKind::ESCALATION:
        json = RenderAs<schema::Escalation>(words);
        return;
      default:
        error = "no payload type is known for kind " + MessageKindName(static_cast<int>(kind));
        return;
    }
  });
  KJ_IF_MAYBE (e, failure) {
    error = std::string("payload does not decode as its kind: ") + e->getDescription().cStr();
    return {};
  }
  return json;
}

nlohmann::ordered_json HexOrNull(const MessageId& id) {
  return id.IsZero() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(id.ToHex());
}

}  // namespace

std::string MessageKindName(int kind) { return EnumName(static_cast<MessageKind>(kind), "kind"); }

nlohmann::ordered_json MessageJson(const InboxMessage& message) {
  nlohmann::ordered_json j;
  j["id"] = message.id.ToHex();
  std::string payload_json;
  std::string payload_error;
  Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(message.envelope, kMaxEnvelopeBytes);
  if (!env.ok()) {
    payload_error = "envelope does not decode: " + env.status().message();
  } else {
    // Header fields in the documented order; a field that fails to decode
    // stops the header there and is reported as payloadError.
    kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
      auto e = env->get();
      j["sender"] = std::string(e.getSender().cStr());
      j["kind"] = MessageKindName(message.kind);
      nlohmann::ordered_json recipients = nlohmann::ordered_json::array();
      for (auto r : e.getRecipients()) recipients.push_back(std::string(r.cStr()));
      j["recipients"] = std::move(recipients);
      j["createdMs"] = e.getCreatedMs();
      j["expiresMs"] = e.getExpiresMs();
      j["priority"] = EnumName(e.getPriority(), "priority");
      j["correlationId"] = HexOrNull(protocol::FromWire(e.getCorrelationId()));
      payload_json = RenderPayload(static_cast<MessageKind>(message.kind), e.getPayload(), payload_error);
    });
    KJ_IF_MAYBE (e, failure) {
      payload_error = std::string("envelope does not decode: ") + e->getDescription().cStr();
      payload_json.clear();
    }
  }
  if (!j.contains("kind")) j["kind"] = MessageKindName(message.kind);
  j["deliverySeq"] = message.delivery_seq;
  j["attempt"] = message.attempt;
  j["envelopeBase64"] = kj::encodeBase64(kj::arrayPtr(reinterpret_cast<const kj::byte*>(message.envelope.data()),
                                                      message.envelope.size()))
                            .cStr();
  if (!payload_json.empty()) {
    auto payload = nlohmann::ordered_json::parse(payload_json, nullptr, /*allow_exceptions=*/false);
    if (!payload.is_discarded()) {
      j["payload"] = std::move(payload);
      return j;
    }
    payload_error = "the payload's JSON rendering could not be read back";
  }
  j["payload"] = nullptr;
  j["payloadError"] = payload_error;
  return j;
}

std::string MessageJsonText(const InboxMessage& message) {
  // Text from the wire may hold invalid UTF-8: replaced, never thrown on.
  return MessageJson(message).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace regline::connector
