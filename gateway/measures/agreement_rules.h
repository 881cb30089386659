// MCN agreements (schemas/agreement.capnp): the rules a submitted
// SignedAgreement must meet before the gateway accepts it, and the
// redaction that replaces each natural person's identity number by a
// salted digest before anything is stored or forwarded.
//
// CheckAgreement refuses with the first broken rule. Every refusal names
// the rule as a field path ("parties[1].age") and the party by index and
// name, e.g.
//   agreement rule parties[1].age: 王五 is 15 on the start date
//   2026-03-01; at least 16 required (Measures Art. 17)
// and never repeats an identity number or a birth date. Ages are counted
// on the start date: the calendar date of validFromMs in China Standard
// Time (UTC+8), see check_codes.h.
//
// Keys. agencySignature must be by `sender` (the envelope's sender, an MCN
// agency identity) with one of its registered, unrevoked signing keys. A
// party's signature is checked with the registered key if the registry
// has an identity named signature.signer holding a key with
// signature.keyId (it must then be unrevoked, and the party's signingKey,
// if given, must be that key); otherwise with the DER key the party
// carries in signingKey, whose KeyIdOf must equal signature.keyId. Every
// signature covers exactly documentDigest.bytes.
//
// The caller owns everything passed in; nothing is kept. Pure functions
// (apart from RedactAgreement's random salts); any thread may call them,
// with a Registry no other thread changes meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "schemas/agreement.capnp.h"

namespace regline::measures {

// The values policy sets for agreements; the caller fills them from its
// policy (the defaults are the Measures' and the schema's).
struct AgreementRules {
  // Natural persons younger than this on the start date are refused
  // (Measures Art. 17: at least 16).
  int min_age_years = 16;
  // Natural persons younger than this on the start date need
  // guardianConsent and a guardianName (Art. 17: 16 and 17 year olds).
  int guardian_consent_below_years = 18;
  // The hash of identityDigest at redaction: sm3 or sha256.
  schema::DigestAlgorithm identity_digest = schema::DigestAlgorithm::SM3;
};

// Ok if `agreement`, submitted by `sender`, meets every rule:
//   agreementNumber       non-empty
//   agency.uscc/.name     a valid USCC (GB 32100-2015); a name
//   parties               at least one; for each parties[i]:
//     .kind, .role        set (not unspecified)
//     .name               non-empty
//     natural person      identityNumber valid (GB 11643-1999); birthDate
//                         the date digits 7-14 encode; .age at least
//                         min_age_years on the start date; below
//                         guardian_consent_below_years guardianConsent
//                         and guardianName; no uscc
//     organization        uscc valid; representative; no identityNumber
//                         and no birthDate
//     .identityDigest     unset (the gateway sets it)
//     .signature          see Keys above
//   platforms             at least one, none empty
//   clauses               each RequiredClause at least once with text;
//                         none unspecified
//   validFromMs > 0; validUntilMs 0 or after validFromMs
//   documentDigest        sha256 or sm3, 32 bytes; equal to the digest of
//                         `document` when a document is present
//   agencySignature       see Keys above
//   redaction             unset (the gateway sets it)
// kInvalidSignature for anything about a signature or a key (absent,
// unknown or revoked key, keyId not the key's, algorithm not the key's,
// does not verify); kInvalidArgument for every other rule, and for a
// payload whose pointers cannot be read. Messages start with
// "agreement rule <path>: ".
Status CheckAgreement(schema::SignedAgreement::Reader agreement, std::string_view sender,
                      const identity::Registry& registry, const AgreementRules& rules);

// CheckAgreement of a serialized payload (standard unpacked Cap'n Proto, as
// Envelope.payload carries it). kInvalidArgument if it does not decode.
Status CheckAgreementPayload(std::string_view payload, std::string_view sender, const identity::Registry& registry,
                             const AgreementRules& rules);

// What the gateway adds when it redacts an accepted submission.
struct RedactionInputs {
  // The agency's Envelope.signature over the original payload, verified.
  identity::SignatureClaim envelope_signature;
  // The identity of the redacting gateway (Redaction.gateway).
  std::string gateway;
  // Redaction.redactedMs.
  int64_t now_ms = 0;
  // identity_digest chooses the hash of every identityDigest.
  AgreementRules rules;
};

// `digest` of `data`: 32 bytes of SHA-256 or SM3. kInvalidArgument for
// any other algorithm (unspecified, or unknown to this build).
Result<std::string> DigestOf(schema::DigestAlgorithm digest, std::string_view data);

// The payload bytes of `payload` (a SignedAgreement that passed
// CheckAgreement) redacted: each natural person's identityNumber cleared
// and identityDigest set to {rules.identity_digest, 16 fresh random salt
// bytes, H(salt || number)}; `redaction` set to {now_ms, gateway,
// SHA-256 of `payload`, envelope_signature}. Everything else is
// unchanged. The result is a freshly laid out message (standard unpacked
// serialization), so no byte of a number survives in it. kInvalidArgument
// if the payload does not decode, a natural person's number is not a valid
// one, an organization carries a number, or the digest algorithm is not
// sha256 or sm3; kFailedPrecondition if it was redacted already; kInternal
// if the random generator fails.
Result<std::string> RedactAgreement(std::string_view payload, const RedactionInputs& inputs);

}  // namespace regline::measures
