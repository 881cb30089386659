// CheckAgreement on the sample agreement of schemas/schema_samples.h,
// signed here with fresh keys: party 0 (李某, a natural person) with an
// Ed25519 key carried in signingKey, party 1 (an organization) with an SM2
// key registered as identity "bj-ecommerce", the agency with its
// registered Ed25519 key. One table row per refusal.
#include "gateway/measures/agreement_rules.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "gateway/crypto/signing.h"
#include "gateway/protocol/frames.h"
#include "schemas/schema_samples.h"

namespace regline::measures {
namespace {

using crypto::PrivateKey;
using crypto::SignatureAlgorithm;
using schema::AgreementParty;
using schema::SignedAgreement;

constexpr char kAgency[] = "mcn-91350100M000100Y43";
constexpr char kCompany[] = "bj-ecommerce";
constexpr char kPersonNumber[] = "11010519491231002X";

// 2024-04-30T16:00:00Z, the first instant of 2024-05-01 in China Standard Time.
constexpr int64_t kMay1Cst = 1'714'492'800'000;
// 2024-02-28T16:00:00Z, the first instant of 2024-02-29 in China Standard Time.
constexpr int64_t kFeb29Cst = 1'709'136'000'000;

PrivateKey Generate(SignatureAlgorithm algorithm) {
  Result<PrivateKey> key = PrivateKey::Generate(algorithm);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

kj::ArrayPtr<const kj::byte> Bytes(const std::string& s) {
  return kj::arrayPtr(reinterpret_cast<const kj::byte*>(s.data()), s.size());
}

std::string Str(capnp::Data::Reader d) { return std::string(reinterpret_cast<const char*>(d.begin()), d.size()); }

class MeasuresAgreementTest : public ::testing::Test {
 public:
  void SetUp() override { Reset(); }

  // The sample, signed by everyone, and a registry holding the agency and
  // the organization party.
  void Reset() {
    registry_ = identity::Registry();
    Register(kAgency, agency_key_);
    Register(kCompany, company_key_);
    message_ = std::make_unique<capnp::MallocMessageBuilder>();
    schema::samples::BuildSignedAgreement(message_->initRoot<SignedAgreement>());
    SetDocumentDigest(schema::DigestAlgorithm::SM3);
    SignAll();
  }

  void SetDocumentDigest(schema::DigestAlgorithm algorithm) {
    auto digest = agreement().initDocumentDigest();
    digest.setAlgorithm(algorithm);
    digest.setBytes(Bytes(*DigestOf(algorithm, Str(agreement().asReader().getDocument()))));
  }

  void SignAll() {
    SignAgency(agency_key_, Digest());
    SignParty(0, person_key_, "李某", Digest(), /*carry=*/true);
    SignParty(1, company_key_, kCompany, Digest(), /*carry=*/false);
  }

  void SignAgency(const PrivateKey& key, const std::string& data, const std::string& signer = kAgency) {
    protocol::ToWire(*identity::Signer(signer, key).Sign(data), agreement().initAgencySignature());
  }

  void SignParty(unsigned i, const PrivateKey& key, const std::string& signer, const std::string& data, bool carry) {
    protocol::ToWire(*identity::Signer(signer, key).Sign(data), party(i).initSignature());
    if (carry) {
      party(i).setSigningKey(Bytes(key.public_key().Der()));
    } else {
      party(i).disownSigningKey();
    }
  }

  // Makes party 0 a person born on the date `number` encodes.
  void SetPerson(const std::string& number, const std::string& birth, bool consent = false,
                 const std::string& guardian = "") {
    party(0).setIdentityNumber(number);
    party(0).setBirthDate(birth);
    party(0).setGuardianConsent(consent);
    party(0).setGuardianName(guardian);
  }

  void Register(const std::string& name, const PrivateKey& key) {
    identity::Identity id;
    id.name = name;
    id.role = identity::Role::kMcnAgency;  // an organization party registered with the gateway, or the agency
    id.signing_keys.emplace_back(key.public_key());
    ASSERT_TRUE(registry_.Add(std::move(id)).ok());
  }

  Status Check() { return CheckAgreement(agreement().asReader(), kAgency, registry_, rules_); }

  SignedAgreement::Builder agreement() { return message_->getRoot<SignedAgreement>(); }
  AgreementParty::Builder party(unsigned i) { return agreement().getParties()[i]; }
  std::string Digest() { return Str(agreement().asReader().getDocumentDigest().getBytes()); }

  PrivateKey agency_key_ = Generate(SignatureAlgorithm::kEd25519);
  PrivateKey person_key_ = Generate(SignatureAlgorithm::kEd25519);
  PrivateKey company_key_ = Generate(SignatureAlgorithm::kSm2Sm3);
  PrivateKey stranger_key_ = Generate(SignatureAlgorithm::kEd25519);
  identity::Registry registry_;
  AgreementRules rules_;
  std::unique_ptr<capnp::MallocMessageBuilder> message_;
};

TEST_F(MeasuresAgreementTest, SignedSampleIsAccepted) { EXPECT_TRUE(Check().ok()) << Check().ToString(); }

TEST_F(MeasuresAgreementTest, EncodedPayloadIsAcceptedAndGarbageIsRefused) {
  const std::string payload = protocol::Encode(*message_);
  EXPECT_TRUE(CheckAgreementPayload(payload, kAgency, registry_, rules_).ok());
  Status garbage = CheckAgreementPayload(std::string(24, '\xff'), kAgency, registry_, rules_);
  EXPECT_EQ(garbage.code(), StatusCode::kInvalidArgument) << garbage.ToString();
  EXPECT_EQ(CheckAgreementPayload("", kAgency, registry_, rules_).code(), StatusCode::kInvalidArgument);
}

TEST_F(MeasuresAgreementTest, DocumentIsOptionalAndSha256DigestsAreAccepted) {
  SetDocumentDigest(schema::DigestAlgorithm::SHA256);
  SignAll();
  EXPECT_TRUE(Check().ok()) << Check().ToString();
  agreement().disownDocument();
  EXPECT_TRUE(Check().ok()) << Check().ToString();
}

TEST_F(MeasuresAgreementTest, RegisteredPartyMayAlsoCarryItsRegisteredKey) {
  SignParty(1, company_key_, kCompany, Digest(), /*carry=*/true);
  EXPECT_TRUE(Check().ok()) << Check().ToString();
}

TEST_F(MeasuresAgreementTest, SixteenOnTheStartDateCountsAsSixteen) {
  agreement().setValidFromMs(kMay1Cst);  // 2024-05-01 00:00 in Beijing
  SetPerson("110105200805010038", "2008-05-01", true, "李父");
  EXPECT_TRUE(Check().ok()) << Check().ToString();
  agreement().setValidFromMs(kMay1Cst - 1);  // still 2024-04-30 in Beijing
  Status status = Check();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("李某 is 15 on the start date 2024-04-30"), std::string::npos) << status.message();
}

TEST_F(MeasuresAgreementTest, LeapDayBirthTurnsSixteenOnALeapDay) {
  agreement().setValidFromMs(kFeb29Cst);
  agreement().setValidUntilMs(0);
  SetPerson("110105200802290038", "2008-02-29", true, "李父");
  EXPECT_TRUE(Check().ok()) << Check().ToString();
}

TEST_F(MeasuresAgreementTest, EighteenNeedsNoGuardian) {
  SetPerson("110105200605010033", "2006-05-01");
  EXPECT_TRUE(Check().ok()) << Check().ToString();
}

TEST_F(MeasuresAgreementTest, AgesFollowThePolicyValues) {
  SetPerson("110105200605010033", "2006-05-01");  // 18 on 2024-05-01
  rules_.min_age_years = 18;
  rules_.guardian_consent_below_years = 20;
  Status status = Check();
  EXPECT_NE(status.message().find("is 18 on the start date 2024-05-01; a guardian's consent is required below 20"),
            std::string::npos)
      << status.message();
}

struct Refusal {
  std::string name;
  std::function<void(MeasuresAgreementTest&)> change;
  StatusCode code;
  std::string fragment;
};

const StatusCode kArg = StatusCode::kInvalidArgument;
const StatusCode kSig = StatusCode::kInvalidSignature;

std::vector<Refusal> StructureRefusals() {
  using T = MeasuresAgreementTest;
  return {
      {"no number", [](T& t) { t.agreement().setAgreementNumber(""); }, kArg, "agreement rule agreementNumber: empty"},
      {"agency check character", [](T& t) { t.agreement().getAgency().setUscc("91350100M000100Y44"); }, kArg,
       "agreement rule agency.uscc: USCC check character should be '3', not '4'"},
      {"agency letter O", [](T& t) { t.agreement().getAgency().setUscc("91350100O000100Y43"); }, kArg,
       "agency.uscc: USCC character 9 'O' is not allowed"},
      {"agency short", [](T& t) { t.agreement().getAgency().setUscc("91350100M000100Y4"); }, kArg,
       "agency.uscc: a USCC has 18 characters, not 17"},
      {"agency name", [](T& t) { t.agreement().getAgency().setName(""); }, kArg, "agreement rule agency.name: empty"},
      {"no parties", [](T& t) { t.agreement().initParties(0); }, kArg, "agreement rule parties: none"},
      {"kind", [](T& t) { t.party(0).setKind(schema::PartyKind::UNSPECIFIED); }, kArg,
       "agreement rule parties[0].kind: 李某: not set"},
      {"name", [](T& t) { t.party(1).setName(""); }, kArg, "agreement rule parties[1].name: empty"},
      {"role", [](T& t) { t.party(0).setRole(schema::MarketingRole::UNSPECIFIED); }, kArg,
       "agreement rule parties[0].role: 李某: not set"},
      {"number missing", [](T& t) { t.party(0).setIdentityNumber(""); }, kArg,
       "agreement rule parties[0].identityNumber: 李某: missing"},
      {"number check", [](T& t) { t.party(0).setIdentityNumber("110105194912310021"); }, kArg,
       "parties[0].identityNumber: 李某: resident identity number: the check character (18) does not match"},
      {"number lower x", [](T& t) { t.party(0).setIdentityNumber("11010519491231002x"); }, kArg,
       "parties[0].identityNumber: 李某: resident identity number: write the check character 10 as a capital 'X'"},
      {"number length", [](T& t) { t.party(0).setIdentityNumber("11010519491231002"); }, kArg,
       "parties[0].identityNumber: 李某: a resident identity number has 18 characters, not 17"},
      {"birth date", [](T& t) { t.party(0).setBirthDate("1949-12-30"); }, kArg,
       "agreement rule parties[0].birthDate: 李某: not the date in identityNumber"},
      {"birth date missing", [](T& t) { t.party(0).setBirthDate(""); }, kArg, "parties[0].birthDate: 李某: missing"},
      {"fifteen", [](T& t) { t.SetPerson("110105200805020033", "2008-05-02", true, "李父"); }, kArg,
       "agreement rule parties[0].age: 李某 is 15 on the start date 2024-05-01; at least 16 required "
       "(Measures Art. 17)"},
      {"seventeen, no consent", [](T& t) { t.SetPerson("110105200605020039", "2006-05-02"); }, kArg,
       "agreement rule parties[0].guardianConsent: 李某 is 17 on the start date 2024-05-01; a guardian's consent is "
       "required below 18 (Measures Art. 17)"},
      {"consent, no guardian", [](T& t) { t.SetPerson("110105200605020039", "2006-05-02", true); }, kArg,
       "agreement rule parties[0].guardianName: 李某: guardianConsent without"},
      {"person with uscc", [](T& t) { t.party(0).setUscc("91110000802100433B"); }, kArg,
       "parties[0].uscc: 李某: a natural person has no USCC"},
      {"digest preset", [](T& t) { t.party(0).initIdentityDigest(); }, kArg,
       "parties[0].identityDigest: 李某: the gateway sets it"},
      {"organization uscc", [](T& t) { t.party(1).setUscc("91110000802100433C"); }, kArg,
       "agreement rule parties[1].uscc: 北京某某电子商务有限公司: USCC check character should be 'B'"},
      {"organization without uscc", [](T& t) { t.party(1).setUscc(""); }, kArg,
       "parties[1].uscc: 北京某某电子商务有限公司: missing"},
      {"representative", [](T& t) { t.party(1).setRepresentative(""); }, kArg,
       "agreement rule parties[1].representative: 北京某某电子商务有限公司: empty"},
      {"organization number", [](T& t) { t.party(1).setIdentityNumber(kPersonNumber); }, kArg,
       "parties[1].identityNumber: 北京某某电子商务有限公司: an organization carries no identity number"},
      {"no platforms", [](T& t) { t.agreement().initPlatforms(0); }, kArg, "agreement rule platforms: none"},
      {"empty platform", [](T& t) { t.agreement().getPlatforms().set(1, ""); }, kArg,
       "agreement rule platforms[1]: empty"},
      {"clause missing",
       [](T& t) { t.agreement().getClauses()[1].setClause(schema::RequiredClause::INFORMATION_SECURITY_MANAGEMENT); },
       kArg,
       "agreement rule clauses: no productQualityReview clause; the agreement must set out that duty "
       "(Measures Art. 26)"},
      {"clause text", [](T& t) { t.agreement().getClauses()[2].setText(""); }, kArg,
       "agreement rule clauses[2].text: empty"},
      {"clause unspecified", [](T& t) { t.agreement().getClauses()[0].setClause(schema::RequiredClause::UNSPECIFIED); },
       kArg, "agreement rule clauses[0].clause: not one of"},
      {"valid from", [](T& t) { t.agreement().setValidFromMs(0); }, kArg, "agreement rule validFromMs: must be set"},
      {"valid until", [](T& t) { t.agreement().setValidUntilMs(t.agreement().getValidFromMs()); }, kArg,
       "agreement rule validUntilMs: must be 0 (until terminated) or after validFromMs"},
      {"digest algorithm",
       [](T& t) { t.agreement().getDocumentDigest().setAlgorithm(schema::DigestAlgorithm::UNSPECIFIED); }, kArg,
       "agreement rule documentDigest.algorithm: must be sha256 or sm3"},
      {"digest length", [](T& t) { t.agreement().getDocumentDigest().initBytes(31); }, kArg,
       "agreement rule documentDigest.bytes: 31 bytes; SM3 digests have 32"},
      {"tampered document", [](T& t) { t.agreement().getDocument()[3] ^= 1; }, kArg,
       "agreement rule document: its SM3 digest is not documentDigest.bytes"},
      {"redaction preset", [](T& t) { t.agreement().initRedaction(); }, kArg,
       "agreement rule redaction: the gateway sets it"},
  };
}

std::vector<Refusal> SignatureRefusals() {
  using T = MeasuresAgreementTest;
  return {
      {"agency unsigned", [](T& t) { t.agreement().disownAgencySignature(); }, kSig,
       "agreement rule agencySignature: the document digest is not signed"},
      {"agency signer", [](T& t) { t.SignAgency(t.company_key_, t.Digest(), kCompany); }, kSig,
       "agreement rule agencySignature: the document digest is signed by 'bj-ecommerce', not by its sender"},
      {"agency unregistered key", [](T& t) { t.SignAgency(t.stranger_key_, t.Digest()); }, kSig,
       "agencySignature: the document digest: 'mcn-91350100M000100Y43' has no registered signing key"},
      {"agency wrong bytes", [](T& t) { t.SignAgency(t.agency_key_, "the draft, not the signed document"); }, kSig,
       "agreement rule agencySignature: the document digest: ed25519 signature does not verify"},
      {"agency key revoked",
       [](T& t) {
         ASSERT_TRUE(t.registry_.RevokeSigningKey(kAgency, identity::KeyIdOf(t.agency_key_.public_key()), 1).ok());
       },
       kSig, "is revoked"},
      {"person unsigned", [](T& t) { t.party(0).disownSignature(); }, kSig,
       "agreement rule parties[0].signature: 李某: not signed"},
      {"person wrong bytes", [](T& t) { t.SignParty(0, t.person_key_, "李某", "another document", true); }, kSig,
       "agreement rule parties[0].signature: 李某: ed25519 signature does not verify"},
      {"person keyId not the carried key",
       [](T& t) { t.party(0).setSigningKey(Bytes(t.stranger_key_.public_key().Der())); }, kSig,
       "agreement rule parties[0].signature: 李某: keyId '"},
      {"person no key", [](T& t) { t.party(0).disownSigningKey(); }, kSig,
       "agreement rule parties[0].signingKey: 李某: missing, and no registered identity '李某' holds key"},
      {"person garbage key", [](T& t) { t.party(0).setSigningKey(Bytes("not a key")); }, kSig,
       "agreement rule parties[0].signingKey: 李某: unreadable DER public key"},
      {"person algorithm", [](T& t) { t.party(0).getSignature().setAlgorithm(schema::SignatureAlgorithm::SM2_SM3); },
       kSig, "agreement rule parties[0].signature.algorithm: 李某: sm2Sm3, but key "},
      {"person signer", [](T& t) { t.party(0).getSignature().setSigner(""); }, kSig,
       "agreement rule parties[0].signature.signer: 李某: empty"},
      {"company wrong bytes", [](T& t) { t.SignParty(1, t.company_key_, kCompany, "another document", false); }, kSig,
       "agreement rule parties[1].signature: 北京某某电子商务有限公司: sm2-sm3 signature does not verify"},
      {"company key revoked",
       [](T& t) {
         ASSERT_TRUE(t.registry_.RevokeSigningKey(kCompany, identity::KeyIdOf(t.company_key_.public_key()), 1).ok());
       },
       kSig, "agreement rule parties[1].signature: 北京某某电子商务有限公司: signing key "},
      {"company carries another key", [](T& t) { t.party(1).setSigningKey(Bytes(t.stranger_key_.public_key().Der())); },
       kSig,
       "agreement rule parties[1].signingKey: 北京某某电子商务有限公司: not the key 'bj-ecommerce' registered as"},
      {"company unregistered, no key",
       [](T& t) {
         t.registry_ = identity::Registry();
         t.Register(kAgency, t.agency_key_);
       },
       kSig, "parties[1].signingKey: 北京某某电子商务有限公司: missing, and no registered identity 'bj-ecommerce'"},
  };
}

void ExpectRefusals(MeasuresAgreementTest& t, const std::vector<Refusal>& rows) {
  for (const Refusal& row : rows) {
    t.Reset();
    row.change(t);
    Status status = t.Check();
    EXPECT_EQ(status.code(), row.code) << row.name << ": " << status.ToString();
    EXPECT_NE(status.message().find(row.fragment), std::string::npos) << row.name << ": " << status.message();
    // Never the identity number or the birth date, in any form.
    for (const char* secret : {kPersonNumber, "1949-12-31", "19491231", "2006-05-02", "2008-05-02"}) {
      EXPECT_EQ(status.message().find(secret), std::string::npos) << row.name << ": " << status.message();
    }
  }
}

TEST_F(MeasuresAgreementTest, EachStructureRuleRefusesWithItsPathAndParty) {
  ExpectRefusals(*this, StructureRefusals());
}

TEST_F(MeasuresAgreementTest, EachSignatureRuleRefusesAsInvalidSignature) {
  ExpectRefusals(*this, SignatureRefusals());
}

// --- redaction ---

// The fixture's agreement with party 1 turned into a second natural
// person, encoded as the agency submits it.
class MeasuresRedactionTest : public MeasuresAgreementTest {
 public:
  void SetUp() override {
    Reset();
    party(1).setKind(schema::PartyKind::NATURAL_PERSON);
    party(1).setName("王五");
    party(1).setUscc("");
    party(1).setRepresentative("");
    party(1).setIdentityNumber(kSecondNumber);
    party(1).setBirthDate("1880-01-01");
    payload_ = protocol::Encode(*message_);
    inputs_.envelope_signature = *identity::Signer(kAgency, agency_key_).Sign(payload_);
    inputs_.gateway = "regline-gw-1";
    inputs_.now_ms = schema::samples::kIssuedMs + 1000;
  }

  std::string Redact() {
    Result<std::string> redacted = RedactAgreement(payload_, inputs_);
    EXPECT_TRUE(redacted.ok()) << redacted.status().ToString();
    return redacted.ok() ? *redacted : std::string();
  }

  static constexpr char kSecondNumber[] = "440524188001010014";
  std::string payload_;
  RedactionInputs inputs_;
};

using DecodedAgreement = protocol::Decoded<SignedAgreement>;

DecodedAgreement Decode(const std::string& payload) {
  Result<DecodedAgreement> decoded = DecodedAgreement::Parse(payload, payload.size());
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return std::move(decoded).value();
}

TEST_F(MeasuresRedactionTest, NumbersBecomeSaltedDigests) {
  for (schema::DigestAlgorithm algorithm : {schema::DigestAlgorithm::SM3, schema::DigestAlgorithm::SHA256}) {
    inputs_.rules.identity_digest = algorithm;
    DecodedAgreement redacted = Decode(Redact());
    const std::vector<std::string> numbers = {kPersonNumber, kSecondNumber};
    for (unsigned i = 0; i < 2; ++i) {
      auto person = redacted.get().getParties()[i];
      EXPECT_FALSE(person.hasIdentityNumber());
      auto digest = person.getIdentityDigest();
      EXPECT_EQ(digest.getAlgorithm(), algorithm);
      ASSERT_EQ(digest.getSalt().size(), 16u);
      EXPECT_EQ(Str(digest.getBytes()), *DigestOf(algorithm, Str(digest.getSalt()) + numbers[i]));
    }
  }
}

TEST_F(MeasuresRedactionTest, NoNumberIsLeftAnywhereInTheBytes) {
  ASSERT_NE(payload_.find(kPersonNumber), std::string::npos) << "the submission carries it";
  const std::string redacted = Redact();
  for (const std::string number : {kPersonNumber, kSecondNumber}) {
    EXPECT_EQ(redacted.find(number), std::string::npos);
    EXPECT_EQ(redacted.find(number.substr(0, 17)), std::string::npos);
  }
}

TEST_F(MeasuresRedactionTest, SaltsDifferBetweenPartiesAndRuns) {
  DecodedAgreement first = Decode(Redact());
  DecodedAgreement second = Decode(Redact());
  auto salt = [](const DecodedAgreement& a, unsigned i) {
    return Str(a.get().getParties()[i].getIdentityDigest().getSalt());
  };
  EXPECT_NE(salt(first, 0), salt(first, 1));
  EXPECT_NE(salt(first, 0), salt(second, 0));
  EXPECT_NE(salt(first, 1), salt(second, 1));
}

TEST_F(MeasuresRedactionTest, RedactionRecordsTheOriginalSubmission) {
  DecodedAgreement redacted = Decode(Redact());
  auto redaction = redacted.get().getRedaction();
  EXPECT_EQ(redaction.getRedactedMs(), inputs_.now_ms);
  EXPECT_EQ(std::string(redaction.getGateway().cStr()), "regline-gw-1");
  EXPECT_EQ(redaction.getOriginalPayloadDigest().getAlgorithm(), schema::DigestAlgorithm::SHA256);
  EXPECT_EQ(Str(redaction.getOriginalPayloadDigest().getBytes()), crypto::Sha256(payload_));
  identity::SignatureClaim kept = protocol::FromWire(redaction.getOriginalSignature());
  EXPECT_EQ(kept.signer, inputs_.envelope_signature.signer);
  EXPECT_EQ(kept.key_id, inputs_.envelope_signature.key_id);
  EXPECT_EQ(kept.algorithm, inputs_.envelope_signature.algorithm);
  EXPECT_EQ(kept.bytes, inputs_.envelope_signature.bytes);
  EXPECT_TRUE(agency_key_.public_key().Verify(payload_, kept.bytes).ok());
}

TEST_F(MeasuresRedactionTest, EverythingElseIsUnchanged) {
  DecodedAgreement redacted = Decode(Redact());
  capnp::MallocMessageBuilder restored;
  restored.setRoot(redacted.get());
  auto agreement = restored.getRoot<SignedAgreement>();
  agreement.disownRedaction();
  const std::vector<std::string> numbers = {kPersonNumber, kSecondNumber};
  for (unsigned i = 0; i < 2; ++i) {
    agreement.getParties()[i].disownIdentityDigest();
    agreement.getParties()[i].setIdentityNumber(numbers[i]);
  }
  DecodedAgreement original = Decode(payload_);
  EXPECT_EQ(kj::str(agreement.asReader()), kj::str(original.get()));
}

TEST_F(MeasuresRedactionTest, RefusesWhatItCannotRedact) {
  Result<std::string> once = RedactAgreement(payload_, inputs_);
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(RedactAgreement(*once, inputs_).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(RedactAgreement(std::string(16, '\xff'), inputs_).status().code(), StatusCode::kInvalidArgument);
  RedactionInputs unspecified = inputs_;
  unspecified.rules.identity_digest = schema::DigestAlgorithm::UNSPECIFIED;
  EXPECT_EQ(RedactAgreement(payload_, unspecified).status().code(), StatusCode::kInvalidArgument);
  party(0).setIdentityNumber("110105194912310021");
  Result<std::string> bad = RedactAgreement(protocol::Encode(*message_), inputs_);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find("11010519"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace regline::measures
