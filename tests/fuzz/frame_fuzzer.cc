// libFuzzer target: bytes from the wire through the frame decoder and
// envelope validation, the way the gateway reads them.
//
// Each input is tried three ways:
//   1. as a ZeroMQ message body: DecodedFrame::Parse, then the frame walked
//      as Gateway::HandleMessage and its On* handlers walk it (SUBMIT and
//      ACK envelopes through ToSignedSubmission, QUERY through ReadQuery);
//   2. as a SUBMIT's envelope: ToSignedSubmission straight away;
//   3. as an envelope: DecodedEnvelope::Parse and every header field read.
//
// Refusals are expected and ignored. So is a kj::Exception thrown while
// walking a decoded frame (a pointer past the end, a list of the wrong
// element size): the gateway catches those at its edge and answers
// malformedFrame, and so does this target. What the fuzzer hunts is a
// crash, a sanitizer report, a leak, a hang, or an accepted submission that
// breaks what ToSignedSubmission promises (checked below; a broken promise
// aborts).
//
// See README.md beside this file for running it by hand.

#include <kj/exception.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/protocol/frames.h"
#include "gateway/server/queries.h"
#include "schemas/session.capnp.h"

namespace regline::fuzz {
namespace {

// Small, so that each run is cheap; frames above it are refused early.
constexpr size_t kMaxFrameBytes = 1 << 20;
// The session identities whose SUBMIT and ACK envelopes the fuzzer checks;
// the seed corpus names them as senders, so valid seeds get all the way.
constexpr std::string_view kSubmitter = "samr-console";
constexpr std::string_view kRecipient = "douyin";

// Aborts (a finding) when `holds` is false.
void Expect(bool holds, const char* promise) {
  if (holds) return;
  std::fprintf(stderr, "frame_fuzzer: broken promise: %s\n", promise);
  std::abort();
}

// Keeps a value that is read only to be read: the optimizer may not drop
// the read (and with it the sanitizers' check of it).
template <typename T>
void Keep(const T& value) {
  asm volatile("" : : "r"(&value) : "memory");
}

std::string_view AsView(capnp::Data::Reader bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// ToSignedSubmission's promises for what it accepts (frames.h).
void CheckSubmission(const Result<protocol::SignedSubmission>& checked, std::string_view bytes,
                     std::string_view sender) {
  if (!checked.ok()) {
    Expect(!checked.status().message().empty(), "a refused envelope says why");
    return;
  }
  const Submission& s = checked->submission;
  Expect(s.sender == sender, "an accepted envelope names the session's identity");
  Expect(!s.id.IsZero(), "an accepted envelope has a message id");
  Expect(s.kind > 0 && s.kind <= static_cast<int>(schema::MessageKind::ESCALATION),
         "an accepted envelope has a known kind");
  Expect(!s.recipients.empty(), "an accepted envelope names recipients");
  Expect(s.envelope == bytes, "an accepted envelope keeps its bytes");
}

void CheckEnvelope(std::string_view bytes, std::string_view sender) {
  CheckSubmission(protocol::ToSignedSubmission(bytes, sender, kMaxFrameBytes), bytes, sender);
}

// What Gateway::OnHello reads.
void WalkHello(schema::Hello::Reader hello) {
  Keep(std::string(hello.getIdentity().cStr()));
  Keep(std::string(hello.getClientName().cStr()) + "/" + hello.getClientVersion().cStr());
  Keep(hello.getProtocolVersion());
  Keep(hello.getRole());
  Keep(hello.getResumeFrom());
  Keep(hello.getInitialCredit());
  Keep(hello.getHeartbeatIntervalMs());
}

// What Gateway::OnAck and CheckAcknowledgement read.
void WalkAck(schema::Ack::Reader ack) {
  Keep(ack.getRequestTag());
  Keep(ack.getDeliverySeq());
  Keep(ack.getStage());
  Keep(ack.getReasonCode());
  Keep(ack.getAtMs());
  Keep(protocol::FromWire(ack.getMessageId()));
  Keep(std::string(ack.getReason().cStr()));
  auto signed_ack = ack.getAcknowledgement();
  if (signed_ack.size() > 0) CheckEnvelope(AsView(signed_ack), kRecipient);
}

// What Gateway::OnQuery reads (ReadQuery), and the tag it answers with.
void WalkQuery(schema::Query::Reader query) {
  Keep(query.getRequestTag());
  Result<server::QueryRequest> request = server::ReadQuery(query);
  // A kind it lacks, or an argument no answer can use (reportsDue of a kind
  // that has no schedule): nothing else.
  if (!request.ok()) {
    Expect(request.status().code() == StatusCode::kUnimplemented ||
               request.status().code() == StatusCode::kInvalidArgument,
           "ReadQuery refuses only kinds it lacks and arguments it cannot use");
  }
}

// What a client reads of the frames the gateway sends.
void WalkGatewayFrame(schema::Frame::Reader frame) {
  switch (frame.which()) {
    case schema::Frame::DELIVER: {
      auto deliver = frame.getDeliver();
      Keep(protocol::FromWire(deliver.getMessageId()));
      Keep(protocol::DecodedEnvelope::Parse(AsView(deliver.getEnvelope()), kMaxFrameBytes));
      return;
    }
    case schema::Frame::ERROR: {
      auto error = frame.getError();
      Keep(protocol::FromWireError(error.getCode()));
      Keep(std::string(error.getText().cStr()));
      return;
    }
    case schema::Frame::CONFIRM:
      for (auto r : frame.getConfirm().getRecipients()) Keep(std::string(r.cStr()));
      return;
    default:
      Keep(frame.totalSize());
  }
}

// Gateway::HandleMessage's switch, with every handler's field reads.
void WalkFrame(schema::Frame::Reader frame) {
  switch (frame.which()) {
    case schema::Frame::HELLO:
      WalkHello(frame.getHello());
      return;
    case schema::Frame::HEARTBEAT:
      Keep(frame.getHeartbeat().getSentMs());
      return;
    case schema::Frame::BYE: {
      Keep(std::string(frame.getBye().getReason().cStr()));
      Keep(frame.getBye().getReconnectAfterMs());
      return;
    }
    case schema::Frame::SUBMIT: {
      auto submit = frame.getSubmit();
      Keep(submit.getRequestTag());
      CheckEnvelope(AsView(submit.getEnvelope()), kSubmitter);
      return;
    }
    case schema::Frame::ACK:
      WalkAck(frame.getAck());
      return;
    case schema::Frame::ACKS:
      for (auto ack : frame.getAcks().getAcks()) WalkAck(ack);
      return;
    case schema::Frame::QUERY:
      WalkQuery(frame.getQuery());
      return;
    case schema::Frame::CREDIT:
      Keep(frame.getCredit().getGrant());
      return;
    default:
      WalkGatewayFrame(frame);
      return;
  }
}

// Every header field of an envelope that decoded.
void WalkEnvelope(schema::Envelope::Reader e) {
  Keep(protocol::FromWire(e.getId()));
  Keep(protocol::FromWire(e.getCorrelationId()));
  Keep(std::string(e.getSender().cStr()));
  for (auto r : e.getRecipients()) Keep(std::string(r.cStr()));
  Keep(e.getKind());
  Keep(e.getPriority());
  Keep(e.getCreatedMs());
  Keep(e.getExpiresMs());
  Keep(e.getSchemaVersion());
  Keep(e.getPayload().size());
  if (e.hasSignature()) Keep(protocol::FromWire(e.getSignature()));
}

// Runs `walk` the way the gateway runs a handler: a kj::Exception is the
// input's fault and ends the walk, nothing more.
template <typename Walk>
void CatchingKj(Walk&& walk) {
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions(kj::fwd<Walk>(walk));
  (void)failure;  // the gateway would answer S:ERROR{malformedFrame}
}

void TestOneInput(std::string_view bytes) {
  if (Result<protocol::DecodedFrame> frame = protocol::DecodedFrame::Parse(bytes, kMaxFrameBytes); frame.ok()) {
    CatchingKj([&] { WalkFrame(frame->get()); });
  }
  CheckEnvelope(bytes, kSubmitter);
  if (Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(bytes, kMaxFrameBytes); env.ok()) {
    CatchingKj([&] { WalkEnvelope(env->get()); });
  }
}

}  // namespace
}  // namespace regline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  regline::fuzz::TestOneInput(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
