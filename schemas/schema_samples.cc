#include "schemas/schema_samples.h"

#include <capnp/serialize.h>
#include <kj/debug.h>

#include <cstring>
#include <initializer_list>

namespace regline::schema::samples {
namespace {

constexpr const char* kMeasures = "网络直播营销管理办法（试行）";

// Calendar instants at UTC+8 used by the periods below.
constexpr int64_t k2023Jul1 = 1688140800000;
constexpr int64_t k2023Aug1 = 1690819200000;
constexpr int64_t k2024Jan1 = 1704038400000;
constexpr int64_t k2024Apr1 = 1711900800000;
constexpr int64_t k2024May1 = 1714492800000;
constexpr int64_t k2024Jul1 = 1719763200000;

void SetTexts(capnp::List<capnp::Text>::Builder list, std::initializer_list<const char*> texts) {
  unsigned i = 0;
  for (const char* text : texts) list.set(i++, text);
}

void SetBytes(capnp::Data::Builder bytes, uint8_t seed) {
  for (unsigned i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(seed + i);
}

void SetSignature(Signature::Builder signature, const char* signer, const char* keyId, uint8_t seed) {
  signature.setAlgorithm(SignatureAlgorithm::ED25519);
  signature.setSigner(signer);
  signature.setKeyId(keyId);
  SetBytes(signature.initBytes(64), seed);
}

void SetMeasures(LegalBasis::Builder basis, uint16_t article, const char* clause) {
  basis.setInstrument(kMeasures);
  basis.setArticle(article);
  basis.setClause(clause);
}

void SetSamrNational(IssuingOffice::Builder office) {
  office.setDepartment(Department::SAMR);
  office.setRegionCode("");
  office.setName("国家市场监督管理总局");
}

void SetDouyin(PlatformRef::Builder platform) {
  platform.setPlatformId("douyin");
  platform.setUscc("91110000802100433B");
  platform.setName("抖音");
}

void SetPeriod(Period::Builder period, int64_t startMs, int64_t endMs) {
  period.setStartMs(startMs);
  period.setEndMs(endMs);
}

void SetMedicalDeviceEntry(CatalogEntry::Builder entry) {
  entry.setId("NC-0102");
  entry.setCategory(CatalogCategory::UNSUITABLE_FOR_LIVE_MARKETING);
  entry.setTitle("第三类医疗器械");
  entry.setDescription("植入人体或用于支持、维持生命的第三类医疗器械；其广告须经审查。");
  SetTexts(entry.initKeywords(3), {"第三类医疗器械", "植入", "隐形眼镜"});
  auto basis = entry.initLegalBasis(1)[0];
  basis.setInstrument("医疗器械监督管理条例");
  basis.setArticle(6);
  entry.setEffectiveFromMs(k2024May1);
}

void SetTobaccoEntry(CatalogEntry::Builder entry) {
  entry.setId("NC-0042");
  entry.setCategory(CatalogCategory::PROHIBITED_ONLINE);
  entry.setTitle("烟草制品及电子烟");
  entry.setDescription("卷烟、雪茄烟、电子烟及其烟弹、烟具。");
  SetTexts(entry.initKeywords(2), {"电子烟", "烟弹"});
  SetMeasures(entry.initLegalBasis(1)[0], 18, "第一款第（八）项");
  entry.setEffectiveFromMs(k2024Jan1);
}

}  // namespace

void SetId(MessageId::Builder id, uint64_t hi, uint64_t lo) {
  id.setHi(hi);
  id.setLo(lo);
}

void SetDigest(Digest::Builder digest, DigestAlgorithm algorithm, uint8_t seed) {
  digest.setAlgorithm(algorithm);
  SetBytes(digest.initBytes(32), seed);
}

void BuildSuspendBroadcastDirectiveNow(Directive::Builder directive) {
  BuildSuspendBroadcastDirective(directive);
  directive.setEffectiveFromMs(0);
  directive.setAckDeadlineMs(0);
  directive.setCompletionDeadlineMs(0);
}

void BuildSuspendBroadcastDirective(Directive::Builder directive) {
  auto issuer = directive.initIssuer();
  issuer.setDepartment(Department::SAMR);
  issuer.setRegionCode("310000");
  issuer.setName("上海市市场监督管理局");
  directive.setReference("沪市监网监〔2024〕12号");
  SetMeasures(directive.initLegalBasis(1)[0], 18, "第一款第（二）项");
  directive.setPlatformId("douyin");
  auto room = directive.initSubject().initLiveRoom();
  room.setRoomId("8812");
  room.setTitle("五一特惠 正品保障");
  auto account = room.initAccount();
  account.setAccountId("acc-77001");
  account.setDisplayId("77001");
  account.setNickname("小杨好物");
  directive.setAction(DirectiveAction::SUSPEND_BROADCAST);
  directive.initParameters().setDurationMs(7 * kDayMs);
  directive.setSeverity(Severity::HIGH);
  directive.setEffectiveFromMs(kIssuedMs);
  directive.setAckDeadlineMs(kIssuedMs + 2 * kHourMs);
  directive.setCompletionDeadlineMs(kIssuedMs + 24 * kHourMs);
  directive.setRationale("直播中宣称普通食品具有治疗功效，发布虚假或者引人误解的信息。");
  auto notice = directive.initAttachments(1)[0];
  notice.setName("责令整改通知书.pdf");
  notice.setMediaType("application/pdf");
  SetDigest(notice.initDigest(), DigestAlgorithm::SM3, 0x10);
  directive.setCaseContact("陈某 021-00000000");
}

void BuildCatalogUpdateV2(CatalogUpdate::Builder update) {
  update.setVersion(2);
  update.setBaseVersion(1);
  update.setPublishedMs(kIssuedMs);
  SetSamrNational(update.initIssuer());
  SetMedicalDeviceEntry(update.initAdded(1)[0]);
  SetTobaccoEntry(update.initChanged(1)[0]);
  SetTexts(update.initWithdrawn(1), {"NC-0007"});
  update.setNotes("新增第三类医疗器械；烟草条目补充烟弹。");
}

void BuildCatalogSnapshotV2(CatalogSnapshot::Builder snapshot) {
  snapshot.setVersion(2);
  snapshot.setTakenMs(kIssuedMs);
  SetSamrNational(snapshot.initIssuer());
  auto entries = snapshot.initEntries(2);
  SetTobaccoEntry(entries[0]);
  SetMedicalDeviceEntry(entries[1]);
}

void BuildTaxAssistanceRequest(TaxAssistanceRequest::Builder request) {
  auto office = request.initOffice();
  office.setDepartment(Department::STA);
  office.setRegionCode("330000");
  office.setName("国家税务总局浙江省税务局");
  request.setReference("浙税协〔2024〕7号");
  request.setPlatformId("douyin");
  auto subject = request.initSubject();
  subject.setRole(MarketingRole::LIVE_MARKETER);
  subject.setName("张某");
  auto digest = subject.initIdentityDigest();
  digest.setAlgorithm(DigestAlgorithm::SM3);
  SetBytes(digest.initSalt(16), 0xa0);
  SetBytes(digest.initBytes(32), 0x30);
  auto account = subject.initAccounts(1)[0];
  account.setAccountId("acc-90210");
  account.setNickname("张老师选品");
  SetPeriod(request.initPeriod(), k2023Jul1, k2024Jan1);
  auto fields = request.initFields(3);
  fields.set(0, TaxField::INCOME);
  fields.set(1, TaxField::COMMISSION);
  fields.set(2, TaxField::REMUNERATION_ACCOUNT);
  request.setMonthlyBreakdown(true);
  auto basis = request.initLegalBasis(1)[0];
  basis.setInstrument("中华人民共和国税收征收管理法");
  basis.setArticle(57);
  request.setResponseDeadlineMs(kIssuedMs + 15 * kDayMs);
}

void BuildTaxAssistanceResponse(TaxAssistanceResponse::Builder response) {
  SetId(response.initRequestId(), 0x7a, 0x2);
  response.setPlatformId("douyin");
  response.setSubjectFound(true);
  auto matched = response.initMatchedAccounts(1)[0];
  matched.setAccountId("acc-90210");
  matched.setNickname("张老师选品");
  auto figures = response.initFigures(2);
  figures[0].setField(TaxField::INCOME);
  SetPeriod(figures[0].initPeriod(), k2023Jul1, k2023Aug1);
  figures[0].setAccountId("acc-90210");
  figures[0].setIncomeType(IncomeType::LABOR_REMUNERATION);
  figures[0].setAmountFen(1234567890);
  figures[1].setField(TaxField::COMMISSION);
  SetPeriod(figures[1].initPeriod(), k2023Jul1, k2023Aug1);
  figures[1].setAmountFen(200000000);
  figures[1].setNote("已扣除退款");
  auto account = response.initAccounts(1)[0];
  account.setInstitution("中国工商银行");
  account.setAccountNumber("6222000000000000000");
  account.setHolderName("张某");
  account.setHolderIsSubject(true);
  SetTexts(account.initLiveAccountIds(1), {"acc-90210"});
  response.setComplete(true);
  response.setCompiledMs(kIssuedMs + 3 * kDayMs);
}

void BuildDirectiveCompleted(Acknowledgement::Builder ack) {
  SetId(ack.initMessageId(), 0xd1, 0x1);
  ack.setOriginalSender("samr-310000");
  ack.setOriginalKind(MessageKind::DIRECTIVE);
  ack.setStage(AckStage::COMPLETED);
  ack.setAtMs(kIssuedMs + 40 * 60 * 1000);
  ack.setActionsTaken("直播间 8812 于 2024-05-01 20:53 暂停直播 7 日；已通知运营者。");
  auto evidence = ack.initEvidence(2);
  SetDigest(evidence[0], DigestAlgorithm::SHA256, 0x40);
  SetDigest(evidence[1], DigestAlgorithm::SHA256, 0x60);
}

void BuildComplaintStatistics(ComplaintStatistics::Builder statistics) {
  SetDouyin(statistics.initPlatform());
  SetPeriod(statistics.initPeriod(), k2024Apr1, k2024May1);
  auto counts = statistics.initCounts(3);
  auto setCount = [](CategoryCount::Builder count, ComplaintCategory category, uint32_t received,
                     uint32_t resolved, uint32_t inTime) {
    count.setCategory(category);
    count.setReceived(received);
    count.setResolved(resolved);
    count.setResolvedInTime(inTime);
  };
  setCount(counts[0], ComplaintCategory::FALSE_OR_MISLEADING, 1200, 1100, 990);
  setCount(counts[1], ComplaintCategory::REFUND_REFUSED_OR_DELAYED, 800, 790, 700);
  setCount(counts[2], ComplaintCategory::MINORS, 15, 15, 15);
  statistics.setCrossPlatformDisputesAssisted(17);
  statistics.setMedianResolutionMs(2 * kDayMs);
  statistics.setInTimeLimitMs(7 * kDayMs);
  statistics.setCompiledMs(k2024May1 + 2 * kDayMs);
}

void BuildComplianceAttestation(ComplianceAttestation::Builder attestation) {
  SetDouyin(attestation.initPlatform());
  SetPeriod(attestation.initPeriod(), k2024Jan1, k2024Jul1);
  auto items = attestation.initItems(3);
  items[0].setKind(AttestationKind::CATALOG_APPLIED);
  items[0].setSatisfied(true);
  items[0].setCatalogVersion(2);
  SetDigest(items[0].initEvidence(1)[0], DigestAlgorithm::SM3, 0x50);
  items[1].setKind(AttestationKind::KEY_ROOM_INSPECTION);
  items[1].setSatisfied(true);
  items[1].setDetail("12 个重点直播间，巡查 341 场");
  items[2].setKind(AttestationKind::TAX_REPORT_SUBMITTED);
  items[2].setSatisfied(false);
  items[2].setDetail("报送系统故障，延至 7 月 15 日");
  attestation.setAttestedMs(k2024Jul1 + 5 * kDayMs);
  attestation.setSignatoryName("王某");
  attestation.setSignatoryTitle("合规负责人");
}

void BuildSignedAgreement(SignedAgreement::Builder agreement) {
  agreement.setAgreementNumber("MCN-2024-0031");
  auto agency = agreement.initAgency();
  agency.setUscc("91350100M000100Y43");
  agency.setName("福州星光文化传媒有限公司");
  auto parties = agreement.initParties(2);
  auto person = parties[0];
  person.setKind(PartyKind::NATURAL_PERSON);
  person.setName("李某");
  person.setRole(MarketingRole::LIVE_MARKETER);
  person.setIdentityNumber("11010519491231002X");
  person.setBirthDate("1949-12-31");
  auto personAccount = person.initAccounts(1)[0];
  personAccount.setPlatformId("douyin");
  personAccount.setAccountId("acc-31415");
  SetSignature(person.initSignature(), "李某", "", 0x90);
  person.setSignedMs(kIssuedMs - kDayMs);
  auto company = parties[1];
  company.setKind(PartyKind::ORGANIZATION);
  company.setName("北京某某电子商务有限公司");
  company.setRole(MarketingRole::LIVE_ROOM_OPERATOR);
  company.setUscc("91110000802100433B");
  company.setRepresentative("赵某");
  SetSignature(company.initSignature(), "北京某某电子商务有限公司", "", 0xa0);
  company.setSignedMs(kIssuedMs - kDayMs);
  SetTexts(agreement.initPlatforms(2), {"douyin", "kuaishou"});
  auto clauses = agreement.initClauses(3);
  clauses[0].setClause(RequiredClause::INFORMATION_SECURITY_MANAGEMENT);
  clauses[0].setHeading("第五条 信息安全管理");
  clauses[0].setText("乙方应遵守平台信息内容管理规则……");
  clauses[1].setClause(RequiredClause::PRODUCT_QUALITY_REVIEW);
  clauses[1].setHeading("第六条 商品质量审核");
  clauses[1].setText("甲方应对推广商品的资质和质量进行审核……");
  clauses[2].setClause(RequiredClause::CONSUMER_RIGHTS_PROTECTION);
  clauses[2].setHeading("第七条 消费者权益保护");
  clauses[2].setText("双方应及时处理消费者投诉……");
  agreement.setValidFromMs(kIssuedMs);
  agreement.setValidUntilMs(kIssuedMs + 365 * kDayMs);
  SetDigest(agreement.initDocumentDigest(), DigestAlgorithm::SM3, 0x20);
  static constexpr char kPdf[] = "%PDF-1.7\n%sample\n";
  agreement.setDocument(kj::arrayPtr(reinterpret_cast<const kj::byte*>(kPdf), sizeof(kPdf) - 1));
  agreement.setDocumentMediaType("application/pdf");
  SetSignature(agreement.initAgencySignature(), "mcn-91350100M000100Y43", "mcn-2024", 0xb0);
  agreement.setSignedMs(kIssuedMs - kDayMs);
}

void BuildEscalation(Escalation::Builder escalation) {
  SetId(escalation.initDirectiveId(), 0xd1, 0x1);
  escalation.setPlatformId("douyin");
  escalation.setMissingStage(AckStage::COMPLETED);
  escalation.setLastStage(AckStage::ACCEPTED);
  escalation.setDeadlineMs(kIssuedMs + 24 * kHourMs);
  escalation.setOverdueByMs(3 * kHourMs);
  escalation.setDetectedMs(kIssuedMs + 27 * kHourMs);
  escalation.setLevel(1);
  escalation.setAction(DirectiveAction::SUSPEND_BROADCAST);
  escalation.setSeverity(Severity::HIGH);
  auto issuer = escalation.initIssuer();
  issuer.setDepartment(Department::SAMR);
  issuer.setRegionCode("310000");
}

kj::Array<kj::byte> ToBytes(capnp::MessageBuilder& message) {
  auto words = capnp::messageToFlatArray(message);
  return kj::heapArray<kj::byte>(words.asBytes());
}

kj::Array<capnp::word> AlignedCopy(kj::ArrayPtr<const kj::byte> bytes) {
  KJ_REQUIRE(bytes.size() % sizeof(capnp::word) == 0, "not a serialized message", bytes.size());
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  if (bytes.size() > 0) std::memcpy(words.begin(), bytes.begin(), bytes.size());
  return words;
}

void BuildEnvelope(Envelope::Builder envelope, MessageKind kind,
                   kj::ArrayPtr<const kj::byte> payload) {
  SetId(envelope.initId(), 0xe1, 0x5);
  envelope.setSender("samr-310000");
  SetTexts(envelope.initRecipients(2), {"douyin", "all-platforms"});
  envelope.setKind(kind);
  envelope.setCreatedMs(kIssuedMs);
  envelope.setExpiresMs(kIssuedMs + 30 * kDayMs);
  envelope.setPriority(Priority::HIGH);
  SetId(envelope.initCorrelationId(), 0xc0, 0x7);
  envelope.setPayload(payload);
  SetSignature(envelope.initSignature(), "samr-310000", "samr-310000-2024", 0x80);
  envelope.setSchemaVersion(CURRENT_SCHEMA_VERSION);
}

}  // namespace regline::schema::samples
