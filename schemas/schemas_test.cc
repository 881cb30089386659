// Tests of the Regline schemas as a contract: every message family survives
// the trip a client makes it take (payload -> Envelope -> Frame{submit} ->
// bytes -> reader) with its exact bytes, and renders to JSON and back to an
// equal message. Each check names specific values, so a renamed, renumbered
// or retyped field fails here.

#include <capnp/any.h>
#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "schemas/schema_samples.h"
#include "schemas/session.capnp.h"

namespace regline::schema {
namespace {

using samples::AlignedCopy;
using samples::kDayMs;
using samples::kHourMs;
using samples::kIssuedMs;
using samples::ToBytes;

std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

bool IdIs(MessageId::Reader id, uint64_t hi, uint64_t lo) {
  return id.getHi() == hi && id.getLo() == lo;
}

// ---------------------------------------------------------------------------
// What each family's sample must still say after any round trip.

void CheckDirective(Directive::Reader d) {
  EXPECT_EQ(d.getIssuer().getDepartment(), Department::SAMR);
  EXPECT_EQ(Str(d.getIssuer().getRegionCode()), "310000");
  ASSERT_EQ(d.getLegalBasis().size(), 1u);
  EXPECT_EQ(Str(d.getLegalBasis()[0].getInstrument()), "网络直播营销管理办法（试行）");
  EXPECT_EQ(d.getLegalBasis()[0].getArticle(), 18);
  EXPECT_EQ(Str(d.getLegalBasis()[0].getClause()), "第一款第（二）项");
  EXPECT_EQ(Str(d.getPlatformId()), "douyin");
  ASSERT_EQ(d.getSubject().which(), SubjectRef::LIVE_ROOM);
  EXPECT_EQ(Str(d.getSubject().getLiveRoom().getRoomId()), "8812");
  EXPECT_EQ(Str(d.getSubject().getLiveRoom().getAccount().getNickname()), "小杨好物");
  EXPECT_EQ(d.getAction(), DirectiveAction::SUSPEND_BROADCAST);
  EXPECT_EQ(d.getParameters().getDurationMs(), 7 * kDayMs);
  EXPECT_EQ(d.getSeverity(), Severity::HIGH);
  EXPECT_EQ(d.getAckDeadlineMs(), kIssuedMs + 2 * kHourMs);
  EXPECT_EQ(d.getCompletionDeadlineMs(), kIssuedMs + 24 * kHourMs);
  EXPECT_FALSE(d.hasSupersedes());
  ASSERT_EQ(d.getAttachments().size(), 1u);
  EXPECT_EQ(d.getAttachments()[0].getDigest().getAlgorithm(), DigestAlgorithm::SM3);
  EXPECT_EQ(d.getAttachments()[0].getDigest().getBytes()[31], 0x10 + 31);
}

void CheckCatalogUpdate(CatalogUpdate::Reader u) {
  EXPECT_EQ(u.getVersion(), 2u);
  EXPECT_EQ(u.getBaseVersion(), 1u);
  EXPECT_EQ(u.getIssuer().getDepartment(), Department::SAMR);
  ASSERT_EQ(u.getAdded().size(), 1u);
  auto added = u.getAdded()[0];
  EXPECT_EQ(Str(added.getId()), "NC-0102");
  EXPECT_EQ(added.getCategory(), CatalogCategory::UNSUITABLE_FOR_LIVE_MARKETING);
  ASSERT_EQ(added.getKeywords().size(), 3u);
  EXPECT_EQ(Str(added.getKeywords()[1]), "植入");
  EXPECT_EQ(added.getEffectiveUntilMs(), 0);
  ASSERT_EQ(u.getChanged().size(), 1u);
  EXPECT_EQ(u.getChanged()[0].getCategory(), CatalogCategory::PROHIBITED_ONLINE);
  ASSERT_EQ(u.getWithdrawn().size(), 1u);
  EXPECT_EQ(Str(u.getWithdrawn()[0]), "NC-0007");
}

void CheckCatalogSnapshot(CatalogSnapshot::Reader s) {
  EXPECT_EQ(s.getVersion(), 2u);
  ASSERT_EQ(s.getEntries().size(), 2u);
  EXPECT_EQ(Str(s.getEntries()[0].getId()), "NC-0042");
  EXPECT_EQ(Str(s.getEntries()[1].getId()), "NC-0102");
}

void CheckTaxRequest(TaxAssistanceRequest::Reader r) {
  EXPECT_EQ(r.getOffice().getDepartment(), Department::STA);
  EXPECT_EQ(r.getSubject().getRole(), MarketingRole::LIVE_MARKETER);
  EXPECT_EQ(r.getSubject().getIdentityDigest().getSalt().size(), 16u);
  EXPECT_EQ(r.getSubject().getIdentityDigest().getBytes().size(), 32u);
  ASSERT_EQ(r.getFields().size(), 3u);
  EXPECT_EQ(r.getFields()[0], TaxField::INCOME);
  EXPECT_EQ(r.getFields()[2], TaxField::REMUNERATION_ACCOUNT);
  EXPECT_TRUE(r.getMonthlyBreakdown());
  EXPECT_EQ(r.getPeriod().getEndMs() - r.getPeriod().getStartMs(), 184 * kDayMs);
  EXPECT_EQ(r.getResponseDeadlineMs(), kIssuedMs + 15 * kDayMs);
}

void CheckTaxResponse(TaxAssistanceResponse::Reader r) {
  EXPECT_TRUE(IdIs(r.getRequestId(), 0x7a, 0x2));
  ASSERT_EQ(r.getFigures().size(), 2u);
  EXPECT_EQ(r.getFigures()[0].getField(), TaxField::INCOME);
  EXPECT_EQ(r.getFigures()[0].getIncomeType(), IncomeType::LABOR_REMUNERATION);
  EXPECT_EQ(r.getFigures()[0].getAmountFen(), 1234567890);
  EXPECT_EQ(r.getFigures()[1].getAmountFen(), 200000000);
  ASSERT_EQ(r.getAccounts().size(), 1u);
  EXPECT_TRUE(r.getAccounts()[0].getHolderIsSubject());
  EXPECT_TRUE(r.getComplete());
}

void CheckAcknowledgement(Acknowledgement::Reader a) {
  EXPECT_TRUE(IdIs(a.getMessageId(), 0xd1, 0x1));
  EXPECT_EQ(a.getOriginalKind(), MessageKind::DIRECTIVE);
  EXPECT_EQ(a.getStage(), AckStage::COMPLETED);
  EXPECT_EQ(a.getReasonCode(), RejectReason::UNSPECIFIED);
  ASSERT_EQ(a.getEvidence().size(), 2u);
  EXPECT_EQ(a.getEvidence()[1].getAlgorithm(), DigestAlgorithm::SHA256);
  EXPECT_EQ(a.getEvidence()[1].getBytes()[0], 0x60);
}

void CheckComplaints(ComplaintStatistics::Reader s) {
  EXPECT_EQ(Str(s.getPlatform().getPlatformId()), "douyin");
  ASSERT_EQ(s.getCounts().size(), 3u);
  EXPECT_EQ(s.getCounts()[0].getCategory(), ComplaintCategory::FALSE_OR_MISLEADING);
  EXPECT_EQ(s.getCounts()[0].getReceived(), 1200u);
  EXPECT_EQ(s.getCounts()[0].getResolved(), 1100u);
  EXPECT_EQ(s.getCounts()[0].getResolvedInTime(), 990u);
  EXPECT_EQ(s.getCounts()[2].getCategory(), ComplaintCategory::MINORS);
  EXPECT_EQ(s.getCrossPlatformDisputesAssisted(), 17u);
  EXPECT_EQ(s.getMedianResolutionMs(), 2 * kDayMs);
}

void CheckAttestation(ComplianceAttestation::Reader a) {
  ASSERT_EQ(a.getItems().size(), 3u);
  EXPECT_EQ(a.getItems()[0].getKind(), AttestationKind::CATALOG_APPLIED);
  EXPECT_TRUE(a.getItems()[0].getSatisfied());
  EXPECT_EQ(a.getItems()[0].getCatalogVersion(), 2u);
  EXPECT_EQ(a.getItems()[2].getKind(), AttestationKind::TAX_REPORT_SUBMITTED);
  EXPECT_FALSE(a.getItems()[2].getSatisfied());
  EXPECT_EQ(Str(a.getSignatoryTitle()), "合规负责人");
}

void CheckAgreement(SignedAgreement::Reader a) {
  EXPECT_EQ(Str(a.getAgency().getUscc()), "91350100M000100Y43");
  ASSERT_EQ(a.getParties().size(), 2u);
  auto person = a.getParties()[0];
  EXPECT_EQ(person.getKind(), PartyKind::NATURAL_PERSON);
  EXPECT_EQ(person.getRole(), MarketingRole::LIVE_MARKETER);
  EXPECT_EQ(Str(person.getIdentityNumber()), "11010519491231002X");
  EXPECT_EQ(Str(person.getBirthDate()), "1949-12-31");
  EXPECT_EQ(person.getSignature().getBytes().size(), 64u);
  auto company = a.getParties()[1];
  EXPECT_EQ(company.getKind(), PartyKind::ORGANIZATION);
  EXPECT_EQ(Str(company.getUscc()), "91110000802100433B");
  ASSERT_EQ(a.getClauses().size(), 3u);
  EXPECT_EQ(a.getClauses()[1].getClause(), RequiredClause::PRODUCT_QUALITY_REVIEW);
  ASSERT_EQ(a.getPlatforms().size(), 2u);
  EXPECT_EQ(Str(a.getPlatforms()[1]), "kuaishou");
  EXPECT_EQ(a.getValidUntilMs() - a.getValidFromMs(), 365 * kDayMs);
  auto document = a.getDocument();
  EXPECT_EQ(std::string(document.asChars().begin(), document.size()), "%PDF-1.7\n%sample\n");
  EXPECT_FALSE(a.hasRedaction());
}

void CheckEscalation(Escalation::Reader e) {
  EXPECT_TRUE(IdIs(e.getDirectiveId(), 0xd1, 0x1));
  EXPECT_EQ(e.getMissingStage(), AckStage::COMPLETED);
  EXPECT_EQ(e.getLastStage(), AckStage::ACCEPTED);
  EXPECT_EQ(e.getOverdueByMs(), 3 * kHourMs);
  EXPECT_EQ(e.getAction(), DirectiveAction::SUSPEND_BROADCAST);
  EXPECT_EQ(e.getLevel(), 1u);
}

// ---------------------------------------------------------------------------
// The family table.

struct FamilyCase {
  std::string name;
  MessageKind kind;
  capnp::StructSchema schema;
  std::function<void(capnp::MessageBuilder&)> build;    // sets the root
  std::function<void(capnp::DynamicStruct::Reader)> check;
  std::vector<std::string> jsonFragments;  // must appear in the JSON
};

template <typename T>
FamilyCase Family(std::string name, MessageKind kind, void (*build)(typename T::Builder),
                  void (*check)(typename T::Reader), std::vector<std::string> jsonFragments) {
  return FamilyCase{
      std::move(name),
      kind,
      capnp::Schema::from<T>(),
      [build](capnp::MessageBuilder& message) { build(message.initRoot<T>()); },
      [check](capnp::DynamicStruct::Reader root) { check(root.as<T>()); },
      std::move(jsonFragments)};
}

std::vector<FamilyCase> Families() {
  using namespace samples;
  return {
      Family<Directive>("Directive", MessageKind::DIRECTIVE, BuildSuspendBroadcastDirective,
                        CheckDirective,
                        {R"("action":"suspendBroadcast")", R"("department":"samr")",
                         // Digest bytes render as hex.
                         R"("bytes":"101112131415161718191a1b1c1d1e1f)"}),
      Family<CatalogUpdate>("CatalogUpdate", MessageKind::CATALOG_UPDATE, BuildCatalogUpdateV2,
                            CheckCatalogUpdate,
                            {R"("version":"2")", R"("baseVersion":"1")",
                             R"("category":"unsuitableForLiveMarketing")",
                             R"("withdrawn":["NC-0007"])"}),
      Family<CatalogSnapshot>("CatalogSnapshot", MessageKind::CATALOG_SNAPSHOT,
                              BuildCatalogSnapshotV2, CheckCatalogSnapshot,
                              {R"("category":"prohibitedOnline")"}),
      Family<TaxAssistanceRequest>(
          "TaxAssistanceRequest", MessageKind::TAX_ASSISTANCE_REQUEST, BuildTaxAssistanceRequest,
          CheckTaxRequest,
          {R"("fields":["income","commission","remunerationAccount"])",
           // Salt renders as base64 of a0 a1 ... af.
           R"("salt":"oKGio6SlpqeoqaqrrK2urw==")"}),
      Family<TaxAssistanceResponse>("TaxAssistanceResponse", MessageKind::TAX_ASSISTANCE_RESPONSE,
                                    BuildTaxAssistanceResponse, CheckTaxResponse,
                                    {R"("amountFen":"1234567890")",
                                     R"("incomeType":"laborRemuneration")"}),
      Family<Acknowledgement>("Acknowledgement", MessageKind::ACKNOWLEDGEMENT,
                              BuildDirectiveCompleted, CheckAcknowledgement,
                              {R"("stage":"completed")", R"("originalKind":"directive")"}),
      Family<ComplaintStatistics>("ComplaintStatistics", MessageKind::COMPLAINT_STATISTICS,
                                  BuildComplaintStatistics, CheckComplaints,
                                  {R"("category":"refundRefusedOrDelayed")",
                                   R"("resolvedInTime":990)"}),
      Family<ComplianceAttestation>("ComplianceAttestation",
                                    MessageKind::COMPLIANCE_ATTESTATION,
                                    BuildComplianceAttestation, CheckAttestation,
                                    {R"("kind":"catalogApplied")", R"("catalogVersion":"2")"}),
      Family<SignedAgreement>("SignedAgreement", MessageKind::SIGNED_AGREEMENT,
                              BuildSignedAgreement, CheckAgreement,
                              {R"("kind":"naturalPerson")",
                               R"("clause":"consumerRightsProtection")",
                               // The document renders as base64.
                               R"("document":"JVBERi0xLjcKJXNhbXBsZQo=")"}),
      Family<Escalation>("Escalation", MessageKind::ESCALATION, BuildEscalation, CheckEscalation,
                         {R"("missingStage":"completed")", R"("lastStage":"accepted")"}),
  };
}

// Lets GoogleTest name a case instead of dumping its bytes.
void PrintTo(const FamilyCase& family, std::ostream* out) { *out << family.name; }

class FamilyTest : public testing::TestWithParam<FamilyCase> {};

TEST_P(FamilyTest, SurvivesEnvelopeInSubmitFrameWithExactPayloadBytes) {
  const FamilyCase& family = GetParam();
  capnp::MallocMessageBuilder payloadMessage;
  family.build(payloadMessage);
  kj::Array<kj::byte> payload = ToBytes(payloadMessage);

  capnp::MallocMessageBuilder envelopeMessage;
  samples::BuildEnvelope(envelopeMessage.initRoot<Envelope>(), family.kind, payload);
  kj::Array<kj::byte> envelopeBytes = ToBytes(envelopeMessage);

  capnp::MallocMessageBuilder frameMessage;
  auto submit = frameMessage.initRoot<Frame>().initSubmit();
  submit.setRequestTag(41);
  submit.setEnvelope(envelopeBytes);
  kj::Array<kj::byte> wire = ToBytes(frameMessage);

  // The receiving side: frame, then envelope, then payload, each from bytes.
  auto frameWords = AlignedCopy(wire);
  capnp::FlatArrayMessageReader frameReader(frameWords);
  auto frame = frameReader.getRoot<Frame>();
  ASSERT_EQ(frame.which(), Frame::SUBMIT);
  EXPECT_EQ(frame.getSubmit().getRequestTag(), 41u);
  ASSERT_EQ(frame.getSubmit().getEnvelope(), envelopeBytes.asPtr());

  auto envelopeWords = AlignedCopy(frame.getSubmit().getEnvelope());
  capnp::FlatArrayMessageReader envelopeReader(envelopeWords);
  auto envelope = envelopeReader.getRoot<Envelope>();
  EXPECT_TRUE(IdIs(envelope.getId(), 0xe1, 0x5));
  EXPECT_EQ(Str(envelope.getSender()), "samr-310000");
  ASSERT_EQ(envelope.getRecipients().size(), 2u);
  EXPECT_EQ(Str(envelope.getRecipients()[1]), "all-platforms");
  EXPECT_EQ(envelope.getKind(), family.kind);
  EXPECT_EQ(envelope.getExpiresMs(), kIssuedMs + 30 * kDayMs);
  EXPECT_EQ(envelope.getPriority(), Priority::HIGH);
  EXPECT_TRUE(IdIs(envelope.getCorrelationId(), 0xc0, 0x7));
  EXPECT_EQ(envelope.getSignature().getAlgorithm(), SignatureAlgorithm::ED25519);
  EXPECT_EQ(Str(envelope.getSignature().getKeyId()), "samr-310000-2024");
  EXPECT_EQ(envelope.getSchemaVersion(), CURRENT_SCHEMA_VERSION);
  // The signed bytes arrive unchanged.
  ASSERT_EQ(envelope.getPayload(), payload.asPtr());

  auto payloadWords = AlignedCopy(envelope.getPayload());
  capnp::FlatArrayMessageReader payloadReader(payloadWords);
  family.check(payloadReader.getRoot<capnp::DynamicStruct>(family.schema));
}

TEST_P(FamilyTest, RendersToJsonAndDecodesBackToAnEqualMessage) {
  const FamilyCase& family = GetParam();
  capnp::MallocMessageBuilder original;
  family.build(original);
  auto originalRoot = original.getRoot<capnp::DynamicStruct>(family.schema).asReader();

  capnp::JsonCodec codec;
  codec.handleByAnnotation(family.schema);
  kj::String json = codec.encode(originalRoot);
  for (const std::string& fragment : family.jsonFragments) {
    EXPECT_NE(std::string(json.cStr()).find(fragment), std::string::npos)
        << "missing " << fragment << " in " << json.cStr();
  }

  capnp::MallocMessageBuilder decoded;
  auto decodedRoot = decoded.initRoot<capnp::DynamicStruct>(family.schema);
  codec.decode(json, decodedRoot);
  family.check(decodedRoot.asReader());
  EXPECT_EQ(originalRoot.as<capnp::AnyStruct>().equals(decodedRoot.asReader().as<capnp::AnyStruct>()),
            capnp::Equality::EQUAL);
  EXPECT_EQ(std::string(codec.encode(decodedRoot.asReader()).cStr()), std::string(json.cStr()));
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, FamilyTest, testing::ValuesIn(Families()),
                         [](const testing::TestParamInfo<FamilyCase>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// Single behaviours of the contract.

TEST(SchemaDefaults, ForgottenFieldsReadAsUnspecifiedNotAsARealValue) {
  capnp::MallocMessageBuilder message;
  auto directive = message.initRoot<Directive>().asReader();
  EXPECT_EQ(directive.getAction(), DirectiveAction::UNSPECIFIED);
  EXPECT_EQ(directive.getSeverity(), Severity::UNSPECIFIED);
  EXPECT_EQ(directive.getIssuer().getDepartment(), Department::UNSPECIFIED);
  EXPECT_EQ(directive.getSubject().which(), SubjectRef::WHOLE_PLATFORM);
}

TEST(SchemaDefaults, EnvelopePriorityDefaultsToNormal) {
  capnp::MallocMessageBuilder message;
  EXPECT_EQ(message.initRoot<Envelope>().getPriority(), Priority::NORMAL);
}

TEST(EnvelopeJson, ShowsPayloadAsBase64EnumsByNameAndIdsAsStrings) {
  capnp::MallocMessageBuilder message;
  const kj::byte payload[] = {0x00, 0x01, 0x02, 0xff};
  samples::BuildEnvelope(message.initRoot<Envelope>(), MessageKind::DIRECTIVE, payload);
  capnp::JsonCodec codec;
  codec.handleByAnnotation<Envelope>();
  std::string json = codec.encode(message.getRoot<Envelope>().asReader()).cStr();
  EXPECT_NE(json.find(R"("payload":"AAEC/w==")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("kind":"directive")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("priority":"high")"), std::string::npos) << json;
  // 64-bit integers are strings in JSON, so no precision is lost.
  EXPECT_NE(json.find(R"("id":{"hi":"225","lo":"5"})"), std::string::npos) << json;
}

}  // namespace
}  // namespace regline::schema
