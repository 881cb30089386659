# Compliance attestation: a platform's signed statement, per period, that
# its duties under the Measures were met (or which were not).
#
# Sent as Envelope{kind = complianceAttestation} by a platform to
# regulators, signed with the platform's key; the gateway keeps the signed
# bytes as evidence.

@0xe3be0825c13e3933;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Common = import "common.capnp";

enum AttestationKind {
  # One duty the platform attests to.

  unspecified @0;
  # Not set; rejected.

  catalogApplied @1;
  # The negative catalog is applied at AttestationItem.catalogVersion.

  identityVerification @2;
  # Live-room operators and marketers are verified by real identity (real
  # name, identity document or USCC) before broadcasting, and natural
  # persons are at least 16 with guardian consent at 16-17 (Art. 17).

  keyRoomInspection @3;
  # Key live rooms received dedicated real-time inspection.

  contentRetention @4;
  # Live content and logs are retained for the required periods (three
  # years by default policy; longer under legal holds).

  minorsProtection @5;
  # Minors-protection mechanisms are in force.

  securityAssessmentFiling @6;
  # Filing and security assessment of the platform's services and new
  # functions are done.

  blacklistSynced @7;
  # The blacklist reflects every addToBlacklist / removeFromBlacklist
  # directive received.

  mcnAgreementsOnFile @8;
  # Signed agreements with MCN agencies and their marketers are on file.

  taxReportSubmitted @9;
  # The half-yearly identity and income report to the tax authority was
  # submitted.
}

struct AttestationItem {
  # The platform's statement about one duty.

  kind @0 :AttestationKind;
  # Which duty.

  satisfied @1 :Bool;
  # true: met throughout the period; false: not (detail says what and the
  # remedy).

  catalogVersion @2 :UInt64;
  # For catalogApplied: the catalog version in force at the end of the
  # period. 0 otherwise.

  detail @3 :Text;
  # Figures and remarks, e.g. "12 key rooms, 341 broadcasts inspected".

  evidence @4 :List(Common.Digest);
  # Digests of supporting records kept by the platform.
}

struct ComplianceAttestation {
  # A platform's attestation for one period.

  platform @0 :Common.PlatformRef;
  # The attesting platform.

  period @1 :Common.Period;
  # The period attested.

  items @2 :List(AttestationItem);
  # One item per duty attested; each kind at most once.

  attestedMs @3 :Int64;
  # When the attestation was made (Unix ms).

  signatoryName @4 :Text;
  # The person responsible who makes the attestation.

  signatoryTitle @5 :Text;
  # That person's position, e.g. "合规负责人" (compliance officer).
}
