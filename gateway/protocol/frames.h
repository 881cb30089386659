// Frame and envelope codec: the one place where bytes from the wire become
// Cap'n Proto readers, and where Cap'n Proto's exceptions become Status.
//
// A ZeroMQ message body holds one Frame in standard unpacked serialization
// (schemas/session.capnp). Decoding copies the bytes into word-aligned
// memory (ZeroMQ buffers need not be aligned) and reads them with
// traversal and nesting limits, so a hostile frame costs bounded work and
// yields kInvalidArgument ("malformed frame: ...") instead of a crash.
// Values only; safe on any thread.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/identity/signature_check.h"
#include "schemas/envelope.capnp.h"
#include "schemas/session.capnp.h"

namespace regline::protocol {

// Serializes `message` (unpacked) into bytes for one ZeroMQ message.
std::string Encode(capnp::MessageBuilder& message);

// A received message of type T, owning its bytes: a Frame, an Envelope, or
// a payload the gateway reads (Acknowledgement, SignedAgreement, Escalation, and the
// regulators' Directive, CatalogUpdate, CatalogSnapshot,
// TaxAssistanceRequest; frames.cc instantiates these).
template <typename T>
class Decoded {
 public:
  // kInvalidArgument when `bytes` is not one readable T within max_bytes.
  static Result<Decoded> Parse(std::string_view bytes, size_t max_bytes);

  typename T::Reader get() const { return root_; }
  Decoded(Decoded&&) = default;
  Decoded& operator=(Decoded&&) = default;

 private:
  Decoded() = default;
  kj::Array<capnp::word> words_;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
  typename T::Reader root_;
};

using DecodedFrame = Decoded<schema::Frame>;
using DecodedEnvelope = Decoded<schema::Envelope>;

MessageId FromWire(schema::MessageId::Reader id);
void ToWire(const MessageId& id, schema::MessageId::Builder out);

// A department as the identity registry and the store name it ("SAMR"),
// and back; "" and UNSPECIFIED for what is neither.
std::string_view DepartmentCode(schema::Department department);
schema::Department DepartmentFromCode(std::string_view code);

// Checks an envelope's header and turns it into a store Submission from
// `sender` (the session's authenticated identity, which the envelope must
// name), keeping `bytes` as the evidence. Groups are not expanded here.
Result<Submission> ToSubmission(std::string_view bytes, std::string_view sender, size_t max_bytes);

// An envelope checked as ToSubmission does, with what its signature needs:
// the payload bytes (the signed data) and the signature field.
struct SignedSubmission {
  Submission submission;
  std::string payload;
  identity::SignatureClaim signature;
};
Result<SignedSubmission> ToSignedSubmission(std::string_view bytes, std::string_view sender, size_t max_bytes);

// `envelope` with Envelope.signature set to `signer`'s signature over its
// payload (replacing any). kInvalidArgument for an unreadable envelope or
// one whose sender is not the signer.
Result<std::string> SignEnvelope(std::string_view envelope, const identity::Signer& signer, size_t max_bytes);

// The signature field as a claim, and back.
identity::SignatureClaim FromWire(schema::Signature::Reader sig);
void ToWire(const identity::SignatureClaim& claim, schema::Signature::Builder out);

// Maps a Status code to the wire's ErrorCode and back.
schema::ErrorCode ToWireError(StatusCode code);
StatusCode FromWireError(schema::ErrorCode code);

// Builders for the frames every party sends.
std::string ErrorFrame(uint64_t request_tag, const Status& status, const MessageId& id = {});
// An error whose wire code is not one a Status maps to (unauthenticated,
// malformedFrame, ...).
std::string ErrorFrame(uint64_t request_tag, schema::ErrorCode code, const std::string& text);
std::string HeartbeatFrame(int64_t now_ms);
// S:CONFIRM of a submission stored as gateway_seq at accepted_ms.
std::string ConfirmFrame(uint64_t request_tag, const MessageId& id, uint64_t gateway_seq, int64_t accepted_ms,
                         bool duplicate, const std::vector<std::string>& recipients);
// S:DELIVER of `envelope` (kind: schema MessageKind ordinal).
std::string DeliverFrame(uint64_t delivery_seq, uint32_t attempt, const MessageId& id, int kind,
                         std::string_view envelope);
std::string ByeFrame(std::string_view reason);

}  // namespace regline::protocol
