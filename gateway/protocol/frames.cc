#include "gateway/protocol/frames.h"

#include "schemas/attestation.capnp.h"
#include "schemas/escalation.capnp.h"

#include <kj/exception.h>

#include <cstring>
#include <set>

#include "schemas/acknowledgement.capnp.h"
#include "schemas/agreement.capnp.h"
#include "schemas/catalog.capnp.h"
#include "schemas/complaints.capnp.h"
#include "schemas/directive.capnp.h"
#include "schemas/tax.capnp.h"

namespace regline::protocol {

std::string Encode(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

template <typename T>
Result<Decoded<T>> Decoded<T>::Parse(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return InvalidArgument("malformed frame: " + std::to_string(bytes.size()) + " bytes, more than the limit of " +
                           std::to_string(max_bytes));
  }
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return InvalidArgument("malformed frame: " + std::to_string(bytes.size()) +
                           " bytes is not a whole number of 8-byte words");
  }
  Decoded d;
  d.words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(d.words_.begin(), bytes.data(), bytes.size());
  capnp::ReaderOptions options;
  // Readers look at some parts more than once (a signature check and a
  // redaction both read an agreement's document), and each look counts:
  // eight times the message's own size still stops amplification (a small
  // message pointing at one list many times) without refusing honest
  // readers.
  options.traversalLimitInWords = 8 * (bytes.size() / sizeof(capnp::word)) + 1;
  options.nestingLimit = 64;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    d.reader_ = std::make_unique<capnp::FlatArrayMessageReader>(d.words_.asPtr(), options);
    d.root_ = d.reader_->template getRoot<T>();
    // Touch the union tag / top-level pointers now, so that a frame whose
    // root is out of bounds fails here and not later in the caller.
    (void)d.root_.totalSize();
  });
  KJ_IF_MAYBE(e, failure) {
    return InvalidArgument(std::string("malformed frame: ") + e->getDescription().cStr());
  }
  return d;
}

template class Decoded<schema::Frame>;
template class Decoded<schema::Envelope>;
template class Decoded<schema::Acknowledgement>;
template class Decoded<schema::Directive>;
template class Decoded<schema::CatalogUpdate>;
template class Decoded<schema::CatalogSnapshot>;
template class Decoded<schema::TaxAssistanceRequest>;
template class Decoded<schema::SignedAgreement>;
template class Decoded<schema::Escalation>;
template class Decoded<schema::ComplianceAttestation>;
template class Decoded<schema::ComplaintStatistics>;
template class Decoded<schema::TaxAssistanceResponse>;

MessageId FromWire(schema::MessageId::Reader id) { return MessageId{id.getHi(), id.getLo()}; }

namespace {
// By schema::Department value; [0] is unspecified.
constexpr std::string_view kDepartmentCodes[] = {"", "CAC", "MPS", "MOFCOM", "MCT", "STA", "SAMR", "NRTA"};
}  // namespace

std::string_view DepartmentCode(schema::Department department) {
  auto i = static_cast<size_t>(department);
  return i < std::size(kDepartmentCodes) ? kDepartmentCodes[i] : "";
}

schema::Department DepartmentFromCode(std::string_view code) {
  for (size_t i = 1; i < std::size(kDepartmentCodes); ++i) {
    if (code == kDepartmentCodes[i]) return static_cast<schema::Department>(i);
  }
  return schema::Department::UNSPECIFIED;
}

void ToWire(const MessageId& id, schema::MessageId::Builder out) {
  out.setHi(id.hi);
  out.setLo(id.lo);
}

identity::SignatureClaim FromWire(schema::Signature::Reader sig) {
  identity::SignatureClaim c;
  c.algorithm = static_cast<int>(sig.getAlgorithm());
  c.signer = sig.getSigner().cStr();
  c.key_id = sig.getKeyId().cStr();
  auto b = sig.getBytes();
  c.bytes.assign(reinterpret_cast<const char*>(b.begin()), b.size());
  return c;
}

void ToWire(const identity::SignatureClaim& claim, schema::Signature::Builder out) {
  out.setAlgorithm(static_cast<schema::SignatureAlgorithm>(claim.algorithm));
  out.setSigner(claim.signer);
  out.setKeyId(claim.key_id);
  out.setBytes(kj::arrayPtr(reinterpret_cast<const kj::byte*>(claim.bytes.data()), claim.bytes.size()));
}

Result<std::string> SignEnvelope(std::string_view envelope, const identity::Signer& signer, size_t max_bytes) {
  Result<DecodedEnvelope> env = DecodedEnvelope::Parse(envelope, max_bytes);
  if (!env.ok()) return InvalidArgument("envelope: " + env.status().message());
  capnp::MallocMessageBuilder m;
  std::string payload;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    m.setRoot(env->get());
    auto p = env->get().getPayload();
    payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
  });
  KJ_IF_MAYBE(e, failure) { return InvalidArgument(std::string("envelope: ") + e->getDescription().cStr()); }
  auto root = m.getRoot<schema::Envelope>();
  if (std::string_view(root.getSender().cStr()) != signer.identity()) {
    return InvalidArgument("the envelope's sender is '" + std::string(root.getSender().cStr()) +
                           "' but the signing key is " + signer.identity() + "'s");
  }
  Result<identity::SignatureClaim> claim = signer.Sign(payload);
  if (!claim.ok()) return claim.status();
  ToWire(*claim, root.initSignature());
  return Encode(m);
}

Result<Submission> ToSubmission(std::string_view bytes, std::string_view sender, size_t max_bytes) {
  Result<SignedSubmission> s = ToSignedSubmission(bytes, sender, max_bytes);
  if (!s.ok()) return s.status();
  return std::move(s->submission);
}

Result<SignedSubmission> ToSignedSubmission(std::string_view bytes, std::string_view sender, size_t max_bytes) {
  Result<DecodedEnvelope> env = DecodedEnvelope::Parse(bytes, max_bytes);
  if (!env.ok()) return InvalidArgument("envelope: " + env.status().message());
  SignedSubmission out;
  Submission& s = out.submission;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    auto e = env->get();
    auto payload = e.getPayload();
    out.payload.assign(reinterpret_cast<const char*>(payload.begin()), payload.size());
    if (e.hasSignature()) out.signature = FromWire(e.getSignature());
    s.sender = e.getSender().cStr();
    s.id = FromWire(e.getId());
    s.kind = static_cast<int>(e.getKind());
    s.priority = static_cast<int>(e.getPriority());
    s.created_ms = e.getCreatedMs();
    s.expires_ms = e.getExpiresMs();
    s.correlation_id = FromWire(e.getCorrelationId());
    for (auto r : e.getRecipients()) s.recipients.emplace_back(r.cStr());
  });
  KJ_IF_MAYBE(e, failure) {
    return InvalidArgument(std::string("envelope: ") + e->getDescription().cStr());
  }
  if (s.sender != sender) {
    return PermissionDenied("envelope names sender '" + s.sender + "' but the session is '" + std::string(sender) +
                            "'");
  }
  if (s.id.IsZero()) return InvalidArgument("envelope has a zero message id");
  if (s.kind == static_cast<int>(schema::MessageKind::UNSPECIFIED)) {
    return InvalidArgument("envelope " + s.id.ToHex() + " has kind unspecified");
  }
  if (s.kind > static_cast<int>(schema::MessageKind::ESCALATION)) {
    return InvalidArgument("envelope " + s.id.ToHex() + " has an unknown kind " + std::to_string(s.kind) +
                           " (from a newer protocol?)");
  }
  if (s.recipients.empty()) return InvalidArgument("envelope " + s.id.ToHex() + " names no recipients");
  s.envelope.assign(bytes.data(), bytes.size());
  return out;
}

schema::ErrorCode ToWireError(StatusCode code) {
  using E = schema::ErrorCode;
  switch (code) {
    case StatusCode::kInvalidArgument: return E::INVALID_ARGUMENT;
    case StatusCode::kNotFound: return E::NOT_FOUND;
    case StatusCode::kAlreadyExists: return E::ALREADY_EXISTS;
    case StatusCode::kPermissionDenied: return E::PERMISSION_DENIED;
    case StatusCode::kUnauthenticated: return E::UNAUTHENTICATED;
    case StatusCode::kInvalidSignature: return E::INVALID_SIGNATURE;
    // Not allowed in the current state (replay of nothing dead-lettered, a
    // rejected delivery completed): the request is wrong as it stands.
    case StatusCode::kFailedPrecondition: return E::INVALID_ARGUMENT;
    case StatusCode::kOverloaded: return E::OVERLOADED;
    case StatusCode::kNoSpace: return E::OVERLOADED;
    case StatusCode::kIOError: return E::IO_ERROR;
    case StatusCode::kUnavailable: return E::UNAVAILABLE;
    case StatusCode::kDisconnected: return E::UNAVAILABLE;
    case StatusCode::kUnimplemented: return E::UNSUPPORTED_VERSION;
    default: return E::INTERNAL;
  }
}

StatusCode FromWireError(schema::ErrorCode code) {
  using E = schema::ErrorCode;
  switch (code) {
    case E::INVALID_ARGUMENT: return StatusCode::kInvalidArgument;
    case E::NOT_FOUND: return StatusCode::kNotFound;
    case E::ALREADY_EXISTS: return StatusCode::kAlreadyExists;
    case E::PERMISSION_DENIED: return StatusCode::kPermissionDenied;
    case E::UNAUTHENTICATED: return StatusCode::kUnauthenticated;
    case E::OVERLOADED: return StatusCode::kOverloaded;
    case E::INVALID_SIGNATURE: return StatusCode::kInvalidSignature;
    case E::UNSUPPORTED_VERSION: return StatusCode::kUnimplemented;
    case E::MALFORMED_FRAME: return StatusCode::kInvalidArgument;
    case E::PROTOCOL_VIOLATION: return StatusCode::kFailedPrecondition;
    case E::EXPIRED: return StatusCode::kInvalidArgument;
    case E::IO_ERROR: return StatusCode::kIOError;
    case E::UNAVAILABLE: return StatusCode::kUnavailable;
    default: return StatusCode::kInternal;
  }
}

std::string ErrorFrame(uint64_t request_tag, const Status& status, const MessageId& id) {
  capnp::MallocMessageBuilder m;
  auto err = m.initRoot<schema::Frame>().initError();
  err.setRequestTag(request_tag);
  err.setCode(ToWireError(status.code()));
  err.setText(status.ToString());
  ToWire(id, err.initMessageId());
  if (status.code() == StatusCode::kOverloaded || status.code() == StatusCode::kNoSpace) err.setRetryAfterMs(1000);
  return Encode(m);
}

std::string ErrorFrame(uint64_t request_tag, schema::ErrorCode code, const std::string& text) {
  capnp::MallocMessageBuilder m;
  auto err = m.initRoot<schema::Frame>().initError();
  err.setRequestTag(request_tag);
  err.setCode(code);
  err.setText(text);
  return Encode(m);
}

std::string HeartbeatFrame(int64_t now_ms) {
  capnp::MallocMessageBuilder m;
  m.initRoot<schema::Frame>().initHeartbeat().setSentMs(now_ms);
  return Encode(m);
}

std::string ConfirmFrame(uint64_t request_tag, const MessageId& id, uint64_t gateway_seq, int64_t accepted_ms,
                         bool duplicate, const std::vector<std::string>& recipients) {
  capnp::MallocMessageBuilder m;
  auto c = m.initRoot<schema::Frame>().initConfirm();
  c.setRequestTag(request_tag);
  ToWire(id, c.initMessageId());
  c.setGatewaySeq(gateway_seq);
  c.setAcceptedMs(accepted_ms);
  c.setDuplicate(duplicate);
  auto list = c.initRecipients(static_cast<unsigned>(recipients.size()));
  for (unsigned i = 0; i < recipients.size(); ++i) list.set(i, recipients[i]);
  return Encode(m);
}

std::string DeliverFrame(uint64_t delivery_seq, uint32_t attempt, const MessageId& id, int kind,
                         std::string_view envelope) {
  capnp::MallocMessageBuilder m;
  auto d = m.initRoot<schema::Frame>().initDeliver();
  d.setDeliverySeq(delivery_seq);
  d.setAttempt(attempt);
  ToWire(id, d.initMessageId());
  d.setKind(static_cast<schema::MessageKind>(kind));
  d.setEnvelope(kj::arrayPtr(reinterpret_cast<const kj::byte*>(envelope.data()), envelope.size()));
  return Encode(m);
}

std::string ByeFrame(std::string_view reason) {
  capnp::MallocMessageBuilder m;
  m.initRoot<schema::Frame>().initBye().setReason(capnp::Text::Reader(reason.data(), reason.size()));
  return Encode(m);
}

}  // namespace regline::protocol
