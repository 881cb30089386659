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

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // truncated
    for (size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Appends `text` as a JSON string (nlohmann's escaping, invalid UTF-8
// replaced as MessageJsonText does).
void AppendString(std::string& out, std::string_view text) {
  out += nlohmann::ordered_json(text).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
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

std::string MessageJsonCompact(const InboxMessage& message, int64_t* expires_ms) {
  if (expires_ms != nullptr) *expires_ms = 0;
  std::string out;
  Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(message.envelope, kMaxEnvelopeBytes);
  if (env.ok()) {
    kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
      auto e = env->get();
      std::string error;
      const std::string payload = RenderPayload(static_cast<MessageKind>(message.kind), e.getPayload(), error);
      if (payload.empty() || !IsUtf8(payload)) return;  // MessageJson says why
      const kj::String base64 = kj::encodeBase64(
          kj::arrayPtr(reinterpret_cast<const kj::byte*>(message.envelope.data()), message.envelope.size()));
      out.reserve(payload.size() + base64.size() + 512);
      out += R"({"id":")";
      out += message.id.ToHex();
      out += R"(","sender":)";
      AppendString(out, e.getSender().cStr());
      out += R"(,"kind":")";
      out += MessageKindName(message.kind);
      out += R"(","recipients":[)";
      bool first = true;
      for (auto r : e.getRecipients()) {
        if (!first) out += ',';
        first = false;
        AppendString(out, r.cStr());
      }
      out += R"(],"createdMs":)";
      out += std::to_string(e.getCreatedMs());
      out += R"(,"expiresMs":)";
      out += std::to_string(e.getExpiresMs());
      out += R"(,"priority":")";
      out += EnumName(e.getPriority(), "priority");
      out += R"(","correlationId":)";
      const MessageId correlation = protocol::FromWire(e.getCorrelationId());
      out += correlation.IsZero() ? std::string("null") : "\"" + correlation.ToHex() + "\"";
      out += R"(,"deliverySeq":)";
      out += std::to_string(message.delivery_seq);
      out += R"(,"attempt":)";
      out += std::to_string(message.attempt);
      out += R"(,"envelopeBase64":")";
      out.append(base64.begin(), base64.size());
      out += R"(","payload":)";
      out += payload;
      out += '}';
      if (expires_ms != nullptr) *expires_ms = static_cast<int64_t>(e.getExpiresMs());
    });
    if (failure != nullptr) out.clear();
  }
  if (!out.empty()) return out;
  // The rare paths (a payload or envelope that does not decode): the
  // object, with payloadError, serialized. (*expires_ms is still 0: the
  // splice sets it only once the body is whole.)
  nlohmann::ordered_json j = MessageJson(message);
  if (auto e = j.find("expiresMs"); expires_ms != nullptr && e != j.end() && e->is_number_integer()) {
    *expires_ms = e->get<int64_t>();
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string MessageJsonText(const InboxMessage& message) {
  // Text from the wire may hold invalid UTF-8: replaced, never thrown on.
  return MessageJson(message).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace regline::connector
