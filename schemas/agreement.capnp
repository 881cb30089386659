# Signed agreements between an MCN agency and the live-room operators or
# live marketers it serves, which the Measures require to set out
# information security management, product quality review and consumer
# rights protection duties.
#
# Flow: the agency submits Envelope{kind = signedAgreement, recipients =
# the platform ids in `platforms`}, signed with the agency's key. The
# gateway, before accepting:
#   1. verifies the envelope signature over the payload as received, and
#      each party's and the agency's signature over documentDigest.bytes
#      (keys: see "Whose keys" below);
#   2. checks each natural person's identityNumber (GB 11643-1999 check
#      character; digits 7-14 equal birthDate) and age (at least 16 at
#      validFromMs; 16-17 only with guardianConsent, Art. 17);
#   3. REDACTS: sets identityDigest from identityNumber (fresh random salt,
#      SM3 or SHA-256 per policy), clears identityNumber, fills `redaction`,
#      re-encodes the payload and re-signs the envelope with the gateway's
#      key (signature.signer = the gateway identity). The raw number is
#      never stored, logged or forwarded.
# The redacted envelope keeps id, sender, kind and recipients; it is what
# is archived and forwarded to the platforms, and the agency's Confirm
# answers the submission.
#
# Whose keys. The agency is a registered identity (the envelope's sender):
# agencySignature must be by that identity (signer = the sender) with one
# of its registered, unrevoked signing keys. Parties (natural persons,
# organizations) usually are not registered, so each party carries its
# public key in AgreementParty.signingKey, and signature.keyId must be
# that key's id (first 16 hex digits of the SHA-256 of its DER
# SubjectPublicKeyInfo, as for registered keys). If the registry has an
# active identity named signature.signer that holds a signing key with
# that keyId, the registered key is used (and signingKey, when given, must
# be that same key); otherwise the key in signingKey is used. Either way
# the signature's algorithm must be the key's.

@0xa7f8365b29d1ad54;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Json = import "/capnp/compat/json.capnp";
using Common = import "common.capnp";

enum PartyKind {
  # Whether a party is a person or an organization.

  unspecified @0;
  # Not set; rejected.

  naturalPerson @1;
  # A natural person: identified by resident identity number; must be at
  # least 16 (Art. 17).

  organization @2;
  # An enterprise or other organization: identified by USCC.
}

enum RequiredClause {
  # The duties the Measures require an agency's agreement to set out.

  unspecified @0;
  # Not set; rejected.

  informationSecurityManagement @1;
  # Information security management duties (content, accounts, data).

  productQualityReview @2;
  # Review of the quality of the goods and services marketed.

  consumerRightsProtection @3;
  # Protection of consumers' rights (complaints, returns, refunds).
}

struct AgreementClause {
  # One required clause as written in the agreement. (One list of clause
  # and text together, rather than two parallel lists.)

  clause @0 :RequiredClause;
  # Which required duty the clause sets out.

  heading @1 :Text;
  # The clause's number and heading in the document, e.g. "第五条 信息安全管理".

  text @2 :Text;
  # The clause's full text.
}

struct AgreementParty {
  # One party to the agreement other than the agency.

  kind @0 :PartyKind;
  # Person or organization.

  name @1 :Text;
  # Real name (person) or registered name (organization).

  role @2 :Common.MarketingRole;
  # What the party does under the agreement.

  identityNumber @3 :Text;
  # SUBMISSION ONLY: the person's 18-character resident identity number, so
  # the gateway can check it. The gateway verifies it, fills identityDigest
  # and clears this field before storing or forwarding anything; a stored or
  # delivered agreement always has it empty. Empty for organizations.

  identityDigest @4 :Common.SaltedDigest;
  # Salted digest of identityNumber, computed by the gateway at redaction.
  # Lets a platform confirm a party is the person it verified, without the
  # number. Unset for organizations.

  birthDate @5 :Text;
  # Natural persons: date of birth, ISO 8601 "YYYY-MM-DD"; must match
  # identityNumber digits 7-14. Empty for organizations.

  guardianConsent @6 :Bool;
  # Natural persons aged 16 or 17 at validFromMs: true when a guardian has
  # consented in writing (required, Art. 17). Ignored for adults.

  guardianName @7 :Text;
  # The consenting guardian's name, when guardianConsent is true.

  uscc @8 :Text;
  # Organizations: unified social credit code (18 characters). Empty for
  # natural persons.

  representative @9 :Text;
  # Organizations: the legal or authorized representative who signed.

  accounts @10 :List(Common.AccountRef);
  # The party's live accounts on the platforms concerned.

  signature @11 :Common.Signature;
  # The party's signature over exactly SignedAgreement.documentDigest.bytes
  # (so it covers the document the party read, independent of this
  # encoding). signer is the party's name (or its registered identity);
  # keyId names signingKey or a registered key.

  signedMs @12 :Int64;
  # When the party signed (Unix ms).

  signingKey @13 :Data $Json.base64;
  # The party's public signing key (Ed25519 or SM2) as a DER
  # SubjectPublicKeyInfo; signature.keyId must be its key id (first 16 hex
  # digits of the SHA-256 of these bytes). Used to verify `signature`
  # unless the registry holds an active identity named signature.signer
  # with that key id, whose registered key then wins (see "Whose keys" at
  # the top of this file). May be empty only in that case.
}

struct Redaction {
  # The gateway's record of the identity-number redaction of one submitted
  # agreement. Set by the gateway only; empty in a submission.

  redactedMs @0 :Int64;
  # When the gateway redacted the payload (Unix ms).

  gateway @1 :Text;
  # Identity of the gateway that redacted and re-signed.

  originalPayloadDigest @2 :Common.Digest;
  # Digest of the payload bytes as the agency submitted them.

  originalSignature @3 :Common.Signature;
  # The agency's envelope signature over those original bytes, verified by
  # the gateway at acceptance. Kept as a record; nobody can verify it again
  # because the original bytes (with identity numbers) are not kept.
}

struct SignedAgreement {
  # A written agreement between an MCN agency and live-room operators or
  # live marketers, with its signatures.

  agreementNumber @0 :Text;
  # The agency's number for the agreement, unique per agency.

  agency @1 :Common.AgencyRef;
  # The agency: name and USCC (18 characters).

  parties @2 :List(AgreementParty);
  # The operators and marketers bound by the agreement; at least one.

  platforms @3 :List(Text);
  # Platform ids of the platforms on which the parties market under the
  # agreement; the envelope's recipients.

  clauses @4 :List(AgreementClause);
  # The required clauses; each RequiredClause must appear at least once.

  validFromMs @5 :Int64;
  # Start of validity (Unix ms).

  validUntilMs @6 :Int64;
  # End of validity (Unix ms, exclusive). 0 = until terminated.

  documentDigest @7 :Common.Digest;
  # Digest of the signed document's bytes; what every signature covers.

  document @8 :Data $Json.base64;
  # The signed document itself (e.g. the PDF); optional, but when present
  # its digest must equal documentDigest.

  documentMediaType @9 :Text;
  # Media type of document, e.g. "application/pdf".

  agencySignature @10 :Common.Signature;
  # The agency's signature over exactly documentDigest.bytes, by the
  # envelope's sender (signer = the sender's identity) with one of its
  # registered signing keys.

  signedMs @11 :Int64;
  # When the last party signed (Unix ms).

  redaction @12 :Redaction;
  # Filled by the gateway when it redacts identity numbers; unset in a
  # submission.
}
