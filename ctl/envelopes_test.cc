// Payloads and envelopes from flags and files.
#include "ctl/envelopes.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "gateway/protocol/frames.h"
#include "schemas/schema_samples.h"

namespace regline::ctl {
namespace {

using namespace regline::schema;

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

DirectiveFlags SuspendRoom() {
  DirectiveFlags f;
  f.to = {"douyin"};
  f.action = "suspend-broadcast";
  f.subject_kind = "live-room";
  f.subject_id = "8812";
  f.subject_name = "小杨好物";
  f.department = "SAMR";
  f.region = "310000";
  f.article = 18;
  f.clause = "第一款第（二）项";
  f.severity = "high";
  f.ack_within = "10m";
  f.complete_within = "4h";
  f.duration = "7d";
  f.rationale = "False claims about a health food during the broadcast.";
  return f;
}

// BuildDirective's error message for `f`, or "ok".
std::string DirectiveError(const DirectiveFlags& f) {
  capnp::MallocMessageBuilder m;
  Status s = BuildDirective(f, kNow, m.initRoot<Directive>());
  return s.ok() ? "ok" : s.message();
}

// A temporary file holding `text`, removed at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char path[] = "/tmp/ctl_envelopes_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    path_ = path;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads a sealed envelope back.
struct Opened {
  kj::Array<capnp::word> words;
  std::unique_ptr<capnp::FlatArrayMessageReader> reader;
  Envelope::Reader envelope;
};

Opened Open(const std::string& bytes) {
  Opened o;
  o.words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  memcpy(o.words.begin(), bytes.data(), bytes.size());
  o.reader = std::make_unique<capnp::FlatArrayMessageReader>(o.words.asPtr());
  o.envelope = o.reader->getRoot<Envelope>();
  return o;
}

TEST(CtlDirectiveFlagsTest, FlagsBecomeDirectiveFields) {
  capnp::MallocMessageBuilder m;
  Status s = BuildDirective(SuspendRoom(), kNow, m.initRoot<Directive>());
  ASSERT_TRUE(s.ok()) << s.ToString();
  Directive::Reader d = m.getRoot<Directive>();
  EXPECT_EQ(d.getIssuer().getDepartment(), Department::SAMR);
  EXPECT_EQ(std::string(d.getIssuer().getRegionCode().cStr()), "310000");
  ASSERT_EQ(d.getLegalBasis().size(), 1u);
  EXPECT_EQ(std::string(d.getLegalBasis()[0].getInstrument().cStr()), std::string(kMeasures));
  EXPECT_EQ(d.getLegalBasis()[0].getArticle(), 18);
  EXPECT_EQ(std::string(d.getPlatformId().cStr()), "douyin");
  ASSERT_TRUE(d.getSubject().isLiveRoom());
  EXPECT_EQ(std::string(d.getSubject().getLiveRoom().getRoomId().cStr()), "8812");
  EXPECT_EQ(d.getAction(), DirectiveAction::SUSPEND_BROADCAST);
  EXPECT_EQ(d.getParameters().getDurationMs(), 7 * 24 * kHour);
  EXPECT_EQ(d.getSeverity(), Severity::HIGH);
  EXPECT_EQ(d.getEffectiveFromMs(), 0);
  EXPECT_EQ(d.getAckDeadlineMs(), kNow + 10 * kMinute);
  EXPECT_EQ(d.getCompletionDeadlineMs(), kNow + 4 * kHour);
  EXPECT_NE(std::string(d.getRationale().cStr()).find("health food"), std::string::npos);
}

TEST(CtlDirectiveFlagsTest, SeveralPlatformsOrAGroupLeavePlatformIdEmpty) {
  for (std::vector<std::string> to :
       {std::vector<std::string>{"douyin", "kuaishou"}, std::vector<std::string>{"all-platforms"}}) {
    DirectiveFlags f = SuspendRoom();
    f.to = to;
    capnp::MallocMessageBuilder m;
    ASSERT_TRUE(BuildDirective(f, kNow, m.initRoot<Directive>()).ok());
    EXPECT_EQ(m.getRoot<Directive>().getPlatformId().size(), 0u);
  }
}

TEST(CtlDirectiveFlagsTest, EverySubjectKind) {
  const std::vector<std::pair<std::string, SubjectRef::Which>> cases = {{"whole-platform", SubjectRef::WHOLE_PLATFORM},
                                                                        {"live-room", SubjectRef::LIVE_ROOM},
                                                                        {"account", SubjectRef::ACCOUNT},
                                                                        {"marketer", SubjectRef::MARKETER},
                                                                        {"product", SubjectRef::PRODUCT},
                                                                        {"mcn-agency", SubjectRef::MCN_AGENCY}};
  for (const auto& [kind, which] : cases) {
    DirectiveFlags f = SuspendRoom();
    f.subject_kind = kind;
    if (kind == "whole-platform") f.subject_id.clear();
    capnp::MallocMessageBuilder m;
    Status s = BuildDirective(f, kNow, m.initRoot<Directive>());
    ASSERT_TRUE(s.ok()) << kind << ": " << s.ToString();
    EXPECT_EQ(m.getRoot<Directive>().getSubject().which(), which) << kind;
  }
  DirectiveFlags marketer = SuspendRoom();
  marketer.subject_kind = "marketer";
  capnp::MallocMessageBuilder m;
  ASSERT_TRUE(BuildDirective(marketer, kNow, m.initRoot<Directive>()).ok());
  auto ref = m.getRoot<Directive>().getSubject().getMarketer();
  EXPECT_EQ(ref.getRole(), MarketingRole::LIVE_MARKETER);
  EXPECT_EQ(std::string(ref.getAccounts()[0].getAccountId().cStr()), "8812");
}

struct FlagErrorCase {
  const char* name;
  void (*change)(DirectiveFlags&);
  const char* message;
};

std::ostream& operator<<(std::ostream& os, const FlagErrorCase& c) { return os << c.name; }

class CtlDirectiveFlagErrorTest : public ::testing::TestWithParam<FlagErrorCase> {};

TEST_P(CtlDirectiveFlagErrorTest, NamesTheFlag) {
  DirectiveFlags f = SuspendRoom();
  GetParam().change(f);
  EXPECT_EQ(DirectiveError(f), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, CtlDirectiveFlagErrorTest,
    ::testing::Values(FlagErrorCase{"NoAction", [](DirectiveFlags& f) { f.action.clear(); },
                                    "--action is required (e.g. suspend-broadcast)"},
                      FlagErrorCase{"NoSeverity", [](DirectiveFlags& f) { f.severity.clear(); },
                                    "--severity is required (low, medium, high or critical)"},
                      FlagErrorCase{"BadSeverity", [](DirectiveFlags& f) { f.severity = "severe"; },
                                    "--severity: 'severe' is not one of low, medium, high or critical"},
                      FlagErrorCase{"NoArticle", [](DirectiveFlags& f) { f.article = -1; },
                                    "--article is required (the article the directive rests on, e.g. 18)"},
                      FlagErrorCase{"NoDepartment", [](DirectiveFlags& f) { f.department.clear(); },
                                    "--department is required (e.g. SAMR)"},
                      FlagErrorCase{"BadRegion", [](DirectiveFlags& f) { f.region = "31"; },
                                    "--region: '31' is not a six-digit region code (GB/T 2260, e.g. 310000)"},
                      FlagErrorCase{"BadDeadline", [](DirectiveFlags& f) { f.ack_within = "10 minutes"; },
                                    "--ack-within: '10 minutes' is not a duration (e.g. 90s, 10m, 4h, 2d, 1w, 1h30m)"},
                      FlagErrorCase{"CompletionBeforeAck", [](DirectiveFlags& f) { f.complete_within = "5m"; },
                                    "--complete-within 5m ends before --ack-within 10m"},
                      FlagErrorCase{"NoSubjectId", [](DirectiveFlags& f) { f.subject_id.clear(); },
                                    "--subject-id is required for --subject-kind live-room"},
                      FlagErrorCase{
                          "BadSubjectKind", [](DirectiveFlags& f) { f.subject_kind = "room"; },
                          "--subject-kind: 'room' is not one of whole-platform, live-room, account, marketer, product "
                          "or mcn-agency"},
                      FlagErrorCase{"ParameterForAnotherAction", [](DirectiveFlags& f) { f.action = "close-account"; },
                                    "--duration does not apply to --action close-account"},
                      FlagErrorCase{"MissingUserText",
                                    [](DirectiveFlags& f) {
                                      f.action = "pop-up-warning";
                                      f.duration.clear();
                                    },
                                    "--user-text is required for --action pop-up-warning"},
                      FlagErrorCase{"NoRationale", [](DirectiveFlags& f) { f.rationale.clear(); },
                                    "--rationale is required (the facts found and the violation)"}),
    [](const ::testing::TestParamInfo<FlagErrorCase>& info) { return std::string(info.param.name); });

TEST(CtlEnvelopeTest, SealPutsThePayloadInAnEnvelopeFromTheSender) {
  SendFlags s;
  s.to = {"douyin", "kuaishou"};
  s.expires_in = "24h";
  s.priority = "urgent";
  Result<EnvelopeHeader> header = MakeHeader(s, MessageKind::DIRECTIVE, "samr-console", kNow);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  Result<SealedEnvelope> sealed = Seal(*header, std::string(16, 'p'));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  Opened o = Open(sealed->bytes);
  EXPECT_EQ(protocol::FromWire(o.envelope.getId()), sealed->id);
  EXPECT_FALSE(sealed->id.IsZero());
  EXPECT_EQ(sealed->id.hi >> 16, static_cast<uint64_t>(kNow));  // time-ordered: 48 bits of ms first
  EXPECT_EQ(std::string(o.envelope.getSender().cStr()), "samr-console");
  ASSERT_EQ(o.envelope.getRecipients().size(), 2u);
  EXPECT_EQ(std::string(o.envelope.getRecipients()[1].cStr()), "kuaishou");
  EXPECT_EQ(o.envelope.getKind(), MessageKind::DIRECTIVE);
  EXPECT_EQ(o.envelope.getCreatedMs(), kNow);
  EXPECT_EQ(o.envelope.getExpiresMs(), kNow + 24 * kHour);
  EXPECT_EQ(o.envelope.getPriority(), Priority::URGENT);
  EXPECT_EQ(o.envelope.getPayload().size(), 16u);
  EXPECT_EQ(o.envelope.getSchemaVersion(), CURRENT_SCHEMA_VERSION);
  // The gateway's own check accepts it.
  EXPECT_TRUE(protocol::ToSubmission(sealed->bytes, "samr-console", 1 << 20).ok());
}

TEST(CtlEnvelopeTest, HeaderNeedsRecipientsAndSealNeedsASender) {
  EXPECT_EQ(MakeHeader(SendFlags{}, MessageKind::DIRECTIVE, "x", kNow).status().message(),
            "--to is required (recipient identities or groups, comma-separated)");
  SendFlags s;
  s.to = {"douyin"};
  Result<EnvelopeHeader> header = MakeHeader(s, MessageKind::DIRECTIVE, "", kNow);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(Seal(*header, "").status().message(), "--identity is required (or set REGLINE_IDENTITY)");
}

TEST(CtlEnvelopeTest, SubmitFileWithAPayloadNeedsItsKind) {
  capnp::MallocMessageBuilder m;
  samples::BuildComplaintStatistics(m.initRoot<ComplaintStatistics>());
  capnp::JsonCodec codec;
  codec.handleByAnnotation<ComplaintStatistics>();
  TempFile file(codec.encode(m.getRoot<ComplaintStatistics>().asReader()).cStr());
  SendFlags s;
  s.to = {"samr"};
  EXPECT_EQ(EnvelopeFromFile(file.path(), "", s, "douyin", kNow).status().message(),
            "--kind is required when " + file.path() + " holds a payload, not an envelope");
  Result<SealedEnvelope> sealed = EnvelopeFromFile(file.path(), "complaint-statistics", s, "douyin", kNow);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(Open(sealed->bytes).envelope.getKind(), MessageKind::COMPLAINT_STATISTICS);
  // The wrong kind fails to decode, naming the file and the field.
  Result<SealedEnvelope> wrong = EnvelopeFromFile(file.path(), "directive", s, "douyin", kNow);
  EXPECT_TRUE(wrong.status().message().starts_with(file.path() + ": ")) << wrong.status().message();
  EXPECT_NE(wrong.status().message().find("unknown field"), std::string::npos);
}

TEST(CtlEnvelopeTest, SubmitFileWithAWholeEnvelopeFillsTheGaps) {
  capnp::MallocMessageBuilder payload;
  samples::BuildSuspendBroadcastDirective(payload.initRoot<Directive>());
  std::string payload_bytes = protocol::Encode(payload);
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<Envelope>();
  e.setKind(MessageKind::DIRECTIVE);
  e.setPayload(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(payload_bytes.data()), payload_bytes.size()));
  e.initRecipients(1).set(0, "douyin");
  capnp::JsonCodec codec;
  codec.handleByAnnotation<Envelope>();
  TempFile file(codec.encode(e.asReader()).cStr());

  Result<SealedEnvelope> sealed = EnvelopeFromFile(file.path(), "", SendFlags{}, "samr-console", kNow);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  Opened o = Open(sealed->bytes);
  EXPECT_FALSE(protocol::FromWire(o.envelope.getId()).IsZero());
  EXPECT_EQ(std::string(o.envelope.getSender().cStr()), "samr-console");
  EXPECT_EQ(o.envelope.getCreatedMs(), kNow);
  EXPECT_EQ(o.envelope.getPayload().size(), payload_bytes.size());

  EXPECT_EQ(EnvelopeFromFile(file.path(), "catalog-update", SendFlags{}, "samr-console", kNow).status().message(),
            file.path() + ": kind is directive but --kind says catalog-update");
}

TEST(CtlCatalogFlagsTest, BuildsAnUpdateFromEntryFiles) {
  TempFile added(R"([{"id":"NC-0102","category":"unsuitableForLiveMarketing","title":"第三类医疗器械"}])");
  CatalogFlags f;
  f.version = 3;
  f.add_file = added.path();
  f.withdraw = {"NC-0007"};
  capnp::MallocMessageBuilder m;
  Status s = BuildCatalogUpdate(f, kNow, m.initRoot<CatalogUpdate>());
  ASSERT_TRUE(s.ok()) << s.ToString();
  CatalogUpdate::Reader u = m.getRoot<CatalogUpdate>();
  EXPECT_EQ(u.getVersion(), 3u);
  EXPECT_EQ(u.getBaseVersion(), 2u);
  EXPECT_EQ(u.getPublishedMs(), kNow);
  EXPECT_EQ(u.getIssuer().getDepartment(), Department::SAMR);
  ASSERT_EQ(u.getAdded().size(), 1u);
  EXPECT_EQ(u.getAdded()[0].getCategory(), CatalogCategory::UNSUITABLE_FOR_LIVE_MARKETING);
  EXPECT_EQ(std::string(u.getWithdrawn()[0].cStr()), "NC-0007");

  f.base = 1;
  EXPECT_EQ(BuildCatalogUpdate(f, kNow, m.initRoot<CatalogUpdate>()).message(),
            "--version 3 must be --base + 1 (--base is 1)");
}

TEST(CtlTaxRequestFlagsTest, BuildsTheRequest) {
  TaxRequestFlags f;
  f.platform = "douyin";
  f.subject_name = "张某";
  f.accounts = {"acc-90210"};
  f.period = "2026-01-01..2026-06-30";
  f.fields = {"income", "gmv", "remuneration-account"};
  f.monthly = true;
  f.article = 57;
  capnp::MallocMessageBuilder m;
  Status s = BuildTaxRequest(f, kNow, m.initRoot<TaxAssistanceRequest>());
  ASSERT_TRUE(s.ok()) << s.ToString();
  TaxAssistanceRequest::Reader r = m.getRoot<TaxAssistanceRequest>();
  EXPECT_EQ(r.getOffice().getDepartment(), Department::STA);
  EXPECT_EQ(std::string(r.getPlatformId().cStr()), "douyin");
  EXPECT_EQ(r.getSubject().getRole(), MarketingRole::LIVE_MARKETER);
  EXPECT_EQ(std::string(r.getSubject().getAccounts()[0].getAccountId().cStr()), "acc-90210");
  EXPECT_GT(r.getPeriod().getEndMs(), r.getPeriod().getStartMs());
  ASSERT_EQ(r.getFields().size(), 3u);
  EXPECT_EQ(r.getFields()[2], TaxField::REMUNERATION_ACCOUNT);
  EXPECT_TRUE(r.getMonthlyBreakdown());
  EXPECT_EQ(r.getLegalBasis()[0].getArticle(), 57);
  EXPECT_EQ(r.getResponseDeadlineMs(), kNow + 15 * 24 * kHour);

  f.fields = {"income", "salary"};
  EXPECT_EQ(BuildTaxRequest(f, kNow, m.initRoot<TaxAssistanceRequest>()).message(),
            "--fields: 'salary' is not one of income, gmv, commission, payouts, remuneration-account, income-type "
            "or profit");
}

TEST(CtlAckFlagsTest, RejectionNeedsAReasonCode) {
  AckFlags f;
  f.message_id = "0190a1b2c3d4e5f61122334455667788";
  f.stage = "rejected";
  f.original_sender = "samr-console";
  capnp::MallocMessageBuilder m;
  EXPECT_EQ(BuildAcknowledgement(f, kNow, m.initRoot<Acknowledgement>()).message(),
            "--reason-code is required for --stage rejected");
  f.reason_code = "subject-not-found";
  ASSERT_TRUE(BuildAcknowledgement(f, kNow, m.initRoot<Acknowledgement>()).ok());
  EXPECT_EQ(m.getRoot<Acknowledgement>().getReasonCode(), RejectReason::SUBJECT_NOT_FOUND);
  EXPECT_EQ(m.getRoot<Acknowledgement>().getOriginalKind(), MessageKind::DIRECTIVE);
}

}  // namespace
}  // namespace regline::ctl
