#include "gateway/measures/agreement_rules.h"

#include <capnp/message.h>
#include <kj/exception.h>

#include <array>

#include "gateway/crypto/signing.h"
#include "gateway/measures/check_codes.h"
#include "gateway/protocol/frames.h"

namespace regline::measures {
namespace {

using schema::AgreementParty;
using schema::DigestAlgorithm;
using schema::PartyKind;
using schema::RequiredClause;
using schema::SignedAgreement;

constexpr std::string_view kAgeArticle = " (Measures Art. 17)";
constexpr std::string_view kClauseArticle = " (Measures Art. 26)";
constexpr size_t kDigestBytes = 32;
constexpr size_t kSaltBytes = 16;

Status Refuse(std::string_view path, std::string_view detail) {
  return InvalidArgument("agreement rule " + std::string(path) + ": " + std::string(detail));
}

Status RefuseSignature(std::string_view path, std::string_view detail) {
  return InvalidSignature("agreement rule " + std::string(path) + ": " + std::string(detail));
}

std::string_view View(capnp::Text::Reader text) { return std::string_view(text.cStr(), text.size()); }

std::string_view View(capnp::Data::Reader data) {
  return std::string_view(reinterpret_cast<const char*>(data.begin()), data.size());
}

std::string_view DigestName(DigestAlgorithm algorithm) { return algorithm == DigestAlgorithm::SM3 ? "SM3" : "SHA-256"; }

bool IsAcceptedDigest(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::SHA256 || algorithm == DigestAlgorithm::SM3;
}

std::string_view WireAlgorithmName(int algorithm) {
  switch (algorithm) {
    case 0:
      return "unspecified";
    case 1:
      return "ed25519";
    case 2:
      return "sm2Sm3";
    default:
      return "unknown";
  }
}

// The rules that need only the agreement's own fields, in the order
// CheckAgreement applies them.

Status CheckHeader(SignedAgreement::Reader agreement) {
  if (agreement.getAgreementNumber().size() == 0) return Refuse("agreementNumber", "empty; the agency numbers it");
  auto agency = agreement.getAgency();
  if (agency.getUscc().size() == 0) return Refuse("agency.uscc", "missing; the agency is identified by its USCC");
  if (Status uscc = CheckUscc(View(agency.getUscc())); !uscc.ok()) return Refuse("agency.uscc", uscc.message());
  if (agency.getName().size() == 0) return Refuse("agency.name", "empty; the agency's registered name");
  if (agreement.getValidFromMs() <= 0) return Refuse("validFromMs", "must be set (Unix ms)");
  const int64_t until = agreement.getValidUntilMs();
  if (until != 0 && until <= agreement.getValidFromMs()) {
    return Refuse("validUntilMs", "must be 0 (until terminated) or after validFromMs");
  }
  if (agreement.hasRedaction()) return Refuse("redaction", "the gateway sets it; a submission leaves it unset");
  return Status::Ok();
}

Status CheckNaturalPerson(AgreementParty::Reader party, const std::string& path, const std::string& name,
                          const CivilDate& start, const AgreementRules& rules) {
  std::string_view number = View(party.getIdentityNumber());
  if (number.empty()) return Refuse(path + ".identityNumber", name + ": missing; natural persons give theirs");
  if (Status valid = CheckResidentIdNumber(number); !valid.ok()) {
    return Refuse(path + ".identityNumber", name + ": " + valid.message());
  }
  const std::string birth = *BirthDateOf(number);
  if (View(party.getBirthDate()) != birth) {
    return Refuse(path + ".birthDate",
                  name + ": " + (party.getBirthDate().size() == 0 ? "missing" : "not the date in identityNumber") +
                      " (YYYY-MM-DD, digits 7-14 of the number)");
  }
  const int age = AgeOnDate(*CivilDate::Parse(birth), start);
  const std::string on = " on the start date " + start.ToString();
  if (age < rules.min_age_years) {
    return Refuse(path + ".age", name + (age < 0 ? " is not born yet" : " is " + std::to_string(age)) + on +
                                     "; at least " + std::to_string(rules.min_age_years) + " required" +
                                     std::string(kAgeArticle));
  }
  if (age < rules.guardian_consent_below_years) {
    if (!party.getGuardianConsent()) {
      return Refuse(path + ".guardianConsent",
                    name + " is " + std::to_string(age) + on + "; a guardian's consent is required below " +
                        std::to_string(rules.guardian_consent_below_years) + std::string(kAgeArticle));
    }
    if (party.getGuardianName().size() == 0) {
      return Refuse(path + ".guardianName", name + ": guardianConsent without the consenting guardian's name");
    }
  }
  if (party.getUscc().size() != 0) return Refuse(path + ".uscc", name + ": a natural person has no USCC");
  return Status::Ok();
}

Status CheckOrganization(AgreementParty::Reader party, const std::string& path, const std::string& name) {
  if (party.getUscc().size() == 0) return Refuse(path + ".uscc", name + ": missing; organizations give their USCC");
  if (Status uscc = CheckUscc(View(party.getUscc())); !uscc.ok()) {
    return Refuse(path + ".uscc", name + ": " + uscc.message());
  }
  if (party.getRepresentative().size() == 0) {
    return Refuse(path + ".representative", name + ": empty; the representative who signed");
  }
  if (party.getIdentityNumber().size() != 0) {
    return Refuse(path + ".identityNumber", name + ": an organization carries no identity number");
  }
  if (party.getBirthDate().size() != 0) return Refuse(path + ".birthDate", name + ": an organization has none");
  return Status::Ok();
}

Status CheckParty(AgreementParty::Reader party, unsigned index, const CivilDate& start, const AgreementRules& rules) {
  const std::string path = "parties[" + std::to_string(index) + "]";
  if (party.getName().size() == 0) return Refuse(path + ".name", "empty; every party is named");
  const std::string name(View(party.getName()));
  const auto role = party.getRole();
  if (role != schema::MarketingRole::LIVE_ROOM_OPERATOR && role != schema::MarketingRole::LIVE_MARKETER) {
    return Refuse(path + ".role", name + ": not set (liveRoomOperator or liveMarketer)");
  }
  if (party.hasIdentityDigest()) {
    return Refuse(path + ".identityDigest", name + ": the gateway sets it at redaction; leave it unset");
  }
  switch (party.getKind()) {
    case PartyKind::NATURAL_PERSON:
      return CheckNaturalPerson(party, path, name, start, rules);
    case PartyKind::ORGANIZATION:
      return CheckOrganization(party, path, name);
    default:
      return Refuse(path + ".kind", name + ": not set (naturalPerson or organization)");
  }
}

Status CheckParties(SignedAgreement::Reader agreement, const AgreementRules& rules) {
  auto parties = agreement.getParties();
  if (parties.size() == 0) return Refuse("parties", "none; at least one operator or marketer");
  const CivilDate start = ChinaStandardDateOf(agreement.getValidFromMs());
  for (unsigned i = 0; i < parties.size(); ++i) REGLINE_RETURN_IF_ERROR(CheckParty(parties[i], i, start, rules));
  return Status::Ok();
}

Status CheckPlatformsAndClauses(SignedAgreement::Reader agreement) {
  auto platforms = agreement.getPlatforms();
  if (platforms.size() == 0) return Refuse("platforms", "none; at least one platform id");
  for (unsigned i = 0; i < platforms.size(); ++i) {
    if (platforms[i].size() == 0) return Refuse("platforms[" + std::to_string(i) + "]", "empty platform id");
  }
  std::array<bool, 4> present{};
  auto clauses = agreement.getClauses();
  for (unsigned i = 0; i < clauses.size(); ++i) {
    const std::string path = "clauses[" + std::to_string(i) + "]";
    const auto which = static_cast<uint16_t>(clauses[i].getClause());
    if (which == 0 || which >= present.size()) {
      return Refuse(path + ".clause",
                    "not one of informationSecurityManagement, productQualityReview, "
                    "consumerRightsProtection");
    }
    if (clauses[i].getText().size() == 0) return Refuse(path + ".text", "empty; the clause's full text");
    present[which] = true;
  }
  static constexpr std::array<const char*, 4> kNames = {"", "informationSecurityManagement", "productQualityReview",
                                                        "consumerRightsProtection"};
  for (size_t which = 1; which < present.size(); ++which) {
    if (!present[which]) {
      return Refuse("clauses", std::string("no ") + kNames[which] + " clause; the agreement must set out that duty" +
                                   std::string(kClauseArticle));
    }
  }
  return Status::Ok();
}

Status CheckDocument(SignedAgreement::Reader agreement) {
  auto digest = agreement.getDocumentDigest();
  const DigestAlgorithm algorithm = digest.getAlgorithm();
  if (!IsAcceptedDigest(algorithm)) return Refuse("documentDigest.algorithm", "must be sha256 or sm3");
  if (digest.getBytes().size() != kDigestBytes) {
    return Refuse("documentDigest.bytes", std::to_string(digest.getBytes().size()) + " bytes; " +
                                              std::string(DigestName(algorithm)) + " digests have 32");
  }
  if (agreement.getDocument().size() != 0) {
    Result<std::string> actual = DigestOf(algorithm, View(agreement.getDocument()));
    if (!actual.ok()) return actual.status();
    if (*actual != View(digest.getBytes())) {
      return Refuse("document", "its " + std::string(DigestName(algorithm)) +
                                    " digest is not documentDigest.bytes: this is not the document that was signed");
    }
  }
  return Status::Ok();
}

// The key that checks a party's signature: the registered one if the
// registry holds signature.signer with signature.keyId, otherwise the
// carried signingKey (whose id must be keyId).
Result<crypto::PublicKey> PartyKey(const identity::Registry& registry, const identity::SignatureClaim& claim,
                                   std::string_view carried, const std::string& path, const std::string& name) {
  const identity::Identity* registered = registry.Find(claim.signer);
  const identity::SigningKey* key = registered != nullptr ? registered->FindSigningKey(claim.key_id) : nullptr;
  if (key != nullptr) {
    if (key->revoked()) {
      return RefuseSignature(path + ".signature",
                             name + ": signing key " + claim.key_id + " of '" + claim.signer + "' is revoked");
    }
    if (!carried.empty() && carried != key->key.Der()) {
      return RefuseSignature(path + ".signingKey",
                             name + ": not the key '" + claim.signer + "' registered as " + claim.key_id);
    }
    return key->key;
  }
  if (carried.empty()) {
    return RefuseSignature(path + ".signingKey", name + ": missing, and no registered identity '" + claim.signer +
                                                     "' holds key " + claim.key_id);
  }
  Result<crypto::PublicKey> own = crypto::PublicKey::FromDer(carried);
  if (!own.ok()) return RefuseSignature(path + ".signingKey", name + ": " + own.status().message());
  if (identity::KeyIdOf(*own) != claim.key_id) {
    return RefuseSignature(path + ".signature", name + ": keyId '" + claim.key_id + "' is not the id of signingKey (" +
                                                    identity::KeyIdOf(*own) + ")");
  }
  return own;
}

Status CheckPartySignature(AgreementParty::Reader party, unsigned index, const identity::Registry& registry,
                           std::string_view signed_bytes) {
  const std::string path = "parties[" + std::to_string(index) + "]";
  const std::string name(View(party.getName()));
  const identity::SignatureClaim claim = protocol::FromWire(party.getSignature());
  if (!party.hasSignature() || !claim.present()) return RefuseSignature(path + ".signature", name + ": not signed");
  if (claim.signer.empty()) return RefuseSignature(path + ".signature.signer", name + ": empty");
  Result<crypto::PublicKey> key = PartyKey(registry, claim, View(party.getSigningKey()), path, name);
  if (!key.ok()) return key.status();
  if (claim.algorithm != identity::WireAlgorithm(key->algorithm())) {
    return RefuseSignature(path + ".signature.algorithm",
                           name + ": " + std::string(WireAlgorithmName(claim.algorithm)) + ", but key " + claim.key_id +
                               " is " + std::string(crypto::SignatureAlgorithmName(key->algorithm())));
  }
  Status verified = key->Verify(signed_bytes, claim.bytes);
  if (!verified.ok()) return RefuseSignature(path + ".signature", name + ": " + verified.message());
  return Status::Ok();
}

Status CheckSignatures(SignedAgreement::Reader agreement, std::string_view sender, const identity::Registry& registry) {
  const std::string_view signed_bytes = View(agreement.getDocumentDigest().getBytes());
  const identity::SignatureClaim agency = protocol::FromWire(agreement.getAgencySignature());
  REGLINE_RETURN_IF_ERROR(identity::VerifySignature(registry, sender, agency, signed_bytes,
                                                    "agreement rule agencySignature: the document digest"));
  auto parties = agreement.getParties();
  for (unsigned i = 0; i < parties.size(); ++i) {
    REGLINE_RETURN_IF_ERROR(CheckPartySignature(parties[i], i, registry, signed_bytes));
  }
  return Status::Ok();
}

// Replaces each natural person's number in `agreement` by its salted
// digest and fills `redaction`.
Status Redact(SignedAgreement::Builder agreement, std::string_view payload, const RedactionInputs& in) {
  if (agreement.hasRedaction()) return FailedPrecondition("agreement payload: redacted already");
  auto parties = agreement.getParties();
  for (unsigned i = 0; i < parties.size(); ++i) {
    AgreementParty::Builder party = parties[i];
    const std::string number(View(party.asReader().getIdentityNumber()));
    const std::string path = "parties[" + std::to_string(i) + "]";
    if (party.getKind() != PartyKind::NATURAL_PERSON) {
      if (!number.empty()) return Refuse(path + ".identityNumber", "an organization carries no identity number");
      continue;
    }
    if (Status valid = CheckResidentIdNumber(number); !valid.ok()) {
      return Refuse(path + ".identityNumber", valid.message());
    }
    Result<std::string> salt = crypto::RandomBytes(kSaltBytes);
    if (!salt.ok()) return salt.status();
    Result<std::string> hash = DigestOf(in.rules.identity_digest, *salt + number);
    if (!hash.ok()) return hash.status();
    party.disownIdentityNumber();
    auto digest = party.initIdentityDigest();
    digest.setAlgorithm(in.rules.identity_digest);
    digest.setSalt(kj::arrayPtr(reinterpret_cast<const kj::byte*>(salt->data()), salt->size()));
    digest.setBytes(kj::arrayPtr(reinterpret_cast<const kj::byte*>(hash->data()), hash->size()));
  }
  auto redaction = agreement.initRedaction();
  redaction.setRedactedMs(in.now_ms);
  redaction.setGateway(in.gateway);
  auto original = redaction.initOriginalPayloadDigest();
  original.setAlgorithm(DigestAlgorithm::SHA256);
  const std::string payload_digest = crypto::Sha256(payload);
  original.setBytes(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload_digest.data()), payload_digest.size()));
  protocol::ToWire(in.envelope_signature, redaction.initOriginalSignature());
  return Status::Ok();
}

}  // namespace

Result<std::string> DigestOf(DigestAlgorithm digest, std::string_view data) {
  if (!IsAcceptedDigest(digest)) {
    return InvalidArgument("digest algorithm must be sha256 or sm3, not " +
                           std::to_string(static_cast<uint16_t>(digest)));
  }
  const std::string bytes = digest == DigestAlgorithm::SM3 ? crypto::Sm3(data) : crypto::Sha256(data);
  if (bytes.size() != kDigestBytes) return Internal("OpenSSL could not compute a " + std::string(DigestName(digest)));
  return bytes;
}

Status CheckAgreement(SignedAgreement::Reader agreement, std::string_view sender, const identity::Registry& registry,
                      const AgreementRules& rules) {
  Status status;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    status = CheckHeader(agreement);
    if (status.ok()) status = CheckParties(agreement, rules);
    if (status.ok()) status = CheckPlatformsAndClauses(agreement);
    if (status.ok()) status = CheckDocument(agreement);
    if (status.ok()) status = CheckSignatures(agreement, sender, registry);
  });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("agreement payload is malformed: ") + e->getDescription().cStr());
  }
  return status;
}

Status CheckAgreementPayload(std::string_view payload, std::string_view sender, const identity::Registry& registry,
                             const AgreementRules& rules) {
  Result<protocol::Decoded<SignedAgreement>> decoded =
      protocol::Decoded<SignedAgreement>::Parse(payload, payload.size());
  if (!decoded.ok()) return decoded.status().WithContext("agreement payload");
  return CheckAgreement(decoded->get(), sender, registry, rules);
}

Result<std::string> RedactAgreement(std::string_view payload, const RedactionInputs& inputs) {
  Result<protocol::Decoded<SignedAgreement>> decoded =
      protocol::Decoded<SignedAgreement>::Parse(payload, payload.size());
  if (!decoded.ok()) return decoded.status().WithContext("agreement payload");
  if (!IsAcceptedDigest(inputs.rules.identity_digest)) {
    return InvalidArgument("identity digest algorithm must be sha256 or sm3");
  }
  capnp::MallocMessageBuilder work;
  Status status;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    work.setRoot(decoded->get());
    status = Redact(work.getRoot<SignedAgreement>(), payload, inputs);
  });
  KJ_IF_MAYBE (e, failure) {
    return InvalidArgument(std::string("agreement payload is malformed: ") + e->getDescription().cStr());
  }
  if (!status.ok()) return status;
  // A fresh copy holds only what is reachable: the disowned numbers'
  // space (zeroed by capnp) does not come along.
  capnp::MallocMessageBuilder clean;
  clean.setRoot(work.getRoot<SignedAgreement>().asReader());
  return protocol::Encode(clean);
}

}  // namespace regline::measures
