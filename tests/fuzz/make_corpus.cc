// Writes frame_fuzzer's seed corpus: one valid frame or envelope per file,
// named for what it holds, into the directory given as the only argument
// (existing files of the same name are replaced).
//
// Every kind of frame a client sends, with real envelopes built from
// schemas/schema_samples.h, a few frames the gateway sends, and bare
// envelopes of several kinds. The SUBMIT envelopes name "samr-console" and
// the ACK's envelope names "douyin" as sender: the identities frame_fuzzer
// checks them as, so the seeds reach past the sender check.
//
// Usage: frame_fuzz_make_corpus tests/fuzz/corpus   (see README.md)

#include <capnp/message.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "gateway/protocol/frames.h"
#include "schemas/schema_samples.h"
#include "schemas/session.capnp.h"

namespace regline::fuzz {
namespace {

namespace samples = schema::samples;

constexpr char kConsole[] = "samr-console";
constexpr char kPlatform[] = "douyin";
const MessageId kDirectiveId{0xd1, 0x1};  // the id BuildDirectiveCompleted acknowledges

std::string Bytes(capnp::MessageBuilder& message) { return protocol::Encode(message); }

kj::ArrayPtr<const kj::byte> AsData(std::string_view bytes) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size());
}

// `payload` of `kind` as `sender` sends it in envelope `id`.
std::string Envelope(schema::MessageKind kind, std::string_view payload, const char* sender, MessageId id) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Envelope>();
  samples::BuildEnvelope(e, kind, AsData(payload));
  e.setSender(sender);
  protocol::ToWire(id, e.initId());
  return Bytes(m);
}

// The sample payload of one family, serialized.
template <typename Family, typename Build>
std::string Payload(Build build) {
  capnp::MallocMessageBuilder m;
  build(m.initRoot<Family>());
  return Bytes(m);
}

std::string DirectiveEnvelope() {
  return Envelope(schema::MessageKind::DIRECTIVE, Payload<schema::Directive>(samples::BuildSuspendBroadcastDirective),
                  kConsole, kDirectiveId);
}

std::string AcknowledgementEnvelope() {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Envelope>();
  samples::BuildEnvelope(e, schema::MessageKind::ACKNOWLEDGEMENT,
                         AsData(Payload<schema::Acknowledgement>(samples::BuildDirectiveCompleted)));
  e.setSender(kPlatform);
  protocol::ToWire(MessageId{0xa1, 0x1}, e.initId());
  protocol::ToWire(kDirectiveId, e.initCorrelationId());
  auto to = e.initRecipients(1);
  to.set(0, "samr-310000");
  return Bytes(m);
}

// A frame whose one member `fill` sets.
template <typename Fill>
std::string Frame(Fill fill) {
  capnp::MallocMessageBuilder m;
  fill(m.initRoot<schema::Frame>());
  return Bytes(m);
}

std::string Hello(const char* identity, schema::Role role, uint64_t resume_from, uint32_t credit) {
  return Frame([&](schema::Frame::Builder f) {
    auto h = f.initHello();
    h.setProtocolVersion(schema::CURRENT_PROTOCOL_VERSION);
    h.setIdentity(identity);
    h.setRole(role);
    h.setResumeFrom(resume_from);
    h.setInitialCredit(credit);
    h.setClientName("regline-fuzz-seed");
    h.setClientVersion("0.1.0");
    h.setHeartbeatIntervalMs(5000);
  });
}

std::string Submit(uint64_t tag, std::string_view envelope) {
  return Frame([&](schema::Frame::Builder f) {
    auto s = f.initSubmit();
    s.setRequestTag(tag);
    s.setEnvelope(AsData(envelope));
  });
}

std::string Ack(schema::AckStage stage, std::string_view signed_ack) {
  return Frame([&](schema::Frame::Builder f) {
    auto a = f.initAck();
    a.setRequestTag(9);
    a.setDeliverySeq(17);
    protocol::ToWire(kDirectiveId, a.initMessageId());
    a.setStage(stage);
    a.setAtMs(samples::kIssuedMs + samples::kHourMs);
    a.setAcknowledgement(AsData(signed_ack));
  });
}

template <typename Fill>
std::string Query(Fill fill) {
  return Frame([&](schema::Frame::Builder f) {
    auto q = f.initQuery();
    q.setRequestTag(5);
    fill(q);
  });
}

// A seed envelope must pass envelope validation as `sender`, or the fuzzer
// would start from a refusal.
bool Valid(const char* what, const std::string& envelope, const char* sender) {
  Result<protocol::SignedSubmission> checked = protocol::ToSignedSubmission(envelope, sender, 1 << 20);
  if (!checked.ok())
    std::fprintf(stderr, "make_corpus: the %s envelope is refused: %s\n", what, checked.status().ToString().c_str());
  return checked.ok();
}

bool Write(const std::string& dir, const char* name, const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) std::fprintf(stderr, "make_corpus: cannot write %s/%s\n", dir.c_str(), name);
  return static_cast<bool>(out);
}

int Main(const std::string& dir) {
  const std::string directive = DirectiveEnvelope();
  const std::string ack_envelope = AcknowledgementEnvelope();
  const std::string catalog_update =
      Envelope(schema::MessageKind::CATALOG_UPDATE, Payload<schema::CatalogUpdate>(samples::BuildCatalogUpdateV2),
               kConsole, MessageId{0xca, 0x2});
  if (!Valid("directive", directive, kConsole) || !Valid("acknowledgement", ack_envelope, kPlatform) ||
      !Valid("catalog update", catalog_update, kConsole)) {
    return 1;
  }
  struct Seed {
    const char* name;
    std::string bytes;
  };
  const Seed seeds[] = {
      {"hello_console.bin", Hello(kConsole, schema::Role::REGULATOR, 0, 0)},
      {"hello_platform_resume.bin", Hello(kPlatform, schema::Role::PLATFORM, 42, 16)},
      {"submit_directive.bin", Submit(1, directive)},
      {"submit_catalog_update.bin", Submit(2, catalog_update)},
      {"submit_tax_request.bin",
       Submit(3, Envelope(schema::MessageKind::TAX_ASSISTANCE_REQUEST,
                          Payload<schema::TaxAssistanceRequest>(samples::BuildTaxAssistanceRequest), kConsole,
                          MessageId{0x7a, 0x2}))},
      {"ack_received.bin", Ack(schema::AckStage::RECEIVED, "")},
      {"ack_completed_signed.bin", Ack(schema::AckStage::COMPLETED, ack_envelope)},
      {"credit.bin", Frame([](schema::Frame::Builder f) { f.initCredit().setGrant(32); })},
      {"heartbeat.bin", protocol::HeartbeatFrame(samples::kIssuedMs)},
      {"bye.bin", protocol::ByeFrame("shutdown")},
      {"query_message_status.bin",
       Query([](schema::Query::Builder q) { protocol::ToWire(kDirectiveId, q.initMessageStatus()); })},
      {"query_queue_depths.bin", Query([](schema::Query::Builder q) {
         auto r = q.initQueueDepths().initRecipients(2);
         r.set(0, "douyin");
         r.set(1, "kuaishou");
       })},
      {"query_dead_letters.bin", Query([](schema::Query::Builder q) {
         auto d = q.initDeadLetters();
         d.setRecipient("douyin");
         d.setLimit(50);
       })},
      {"query_replay.bin", Query([](schema::Query::Builder q) {
         auto r = q.initReplay();
         protocol::ToWire(kDirectiveId, r.initMessageId());
         r.setRecipient("douyin");
       })},
      {"query_catalog_snapshot.bin", Query([](schema::Query::Builder q) {
         auto r = q.initCatalogSnapshot();
         r.setHaveVersion(1);
         r.setReason("received catalog update v3 on base v2 while holding v1");
       })},
      {"query_overdue.bin", Query([](schema::Query::Builder q) {
         auto o = q.initOverdue();
         o.setPlatform("douyin");
         o.setDepartment("SAMR");
         o.setLimit(20);
       })},
      {"query_catalog_show.bin", Query([](schema::Query::Builder q) { q.setCatalogShow(2); })},
      {"query_catalog_status.bin", Query([](schema::Query::Builder q) { q.setCatalogStatus(); })},
      {"query_legal_hold.bin", Query([](schema::Query::Builder q) {
         auto h = q.initLegalHold();
         h.setAction(schema::LegalHoldAction::ADD);
         h.setSubject("douyin");
         h.setReason("case 2026-17");
       })},
      {"query_reports_due.bin", Query([](schema::Query::Builder q) {
         auto r = q.initReportsDue();
         r.setPlatform("douyin");
         r.setKind(schema::MessageKind::COMPLAINT_STATISTICS);
         r.setAll(true);
       })},
      {"gateway_deliver.bin",
       protocol::DeliverFrame(17, 1, kDirectiveId, static_cast<int>(schema::MessageKind::DIRECTIVE), directive)},
      {"gateway_confirm.bin", protocol::ConfirmFrame(1, kDirectiveId, 1001, samples::kIssuedMs, false, {"douyin"})},
      {"gateway_error.bin", protocol::ErrorFrame(2, Overloaded("queue for 'douyin' is full"))},
      {"envelope_directive.bin", directive},
      {"envelope_catalog_update.bin", catalog_update},
      {"envelope_catalog_snapshot.bin",
       Envelope(schema::MessageKind::CATALOG_SNAPSHOT,
                Payload<schema::CatalogSnapshot>(samples::BuildCatalogSnapshotV2), kConsole, MessageId{0xcb, 0x2})},
      {"envelope_complaint_statistics.bin",
       Envelope(schema::MessageKind::COMPLAINT_STATISTICS,
                Payload<schema::ComplaintStatistics>(samples::BuildComplaintStatistics), kPlatform,
                MessageId{0xc5, 0x4})},
      {"envelope_signed_agreement.bin",
       Envelope(schema::MessageKind::SIGNED_AGREEMENT, Payload<schema::SignedAgreement>(samples::BuildSignedAgreement),
                "mcn-agency", MessageId{0xa9, 0x31})},
      {"envelope_acknowledgement.bin", ack_envelope},
  };
  for (const Seed& seed : seeds) {
    if (!Write(dir, seed.name, seed.bytes)) return 1;
  }
  std::printf("make_corpus: wrote %zu seeds to %s\n", std::size(seeds), dir.c_str());
  return 0;
}

}  // namespace
}  // namespace regline::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  return regline::fuzz::Main(argv[1]);
}
