# The Envelope: how every Regline message travels.
#
# A sender builds the family struct named by `kind` (Directive,
# CatalogUpdate, ...), serializes it as a standalone Cap'n Proto message
# (standard unpacked serialization: segment table, then segments), puts those
# bytes in `payload`, and signs exactly those bytes. The gateway checks the
# signature against the key registered for `sender`, checks that the payload
# decodes as the struct `kind` names, and keeps the payload bytes unchanged as
# evidence; recipients verify the same bytes.
#
# Only the payload is signed. The header fields (recipients, priority,
# expiry, correlation) are vouched for by the authenticated session that
# submitted them (ZeroMQ CURVE), not by the signature; anything a recipient
# must be able to hold against the sender later belongs in the payload.

@0xaa6a5a211c069cfa;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Json = import "/capnp/compat/json.capnp";
using Common = import "common.capnp";

const currentSchemaVersion :UInt16 = 1;
# Version of the message-family schemas this file set describes; senders put
# it in Envelope.schemaVersion.

enum MessageKind {
  # Which family struct an Envelope's payload holds, and so who may send it.

  unspecified @0;
  # Not set; rejected.

  directive @1;
  # Payload: directive.capnp Directive. Sent by a regulator to platforms.

  catalogUpdate @2;
  # Payload: catalog.capnp CatalogUpdate. Sent by a regulator, usually to
  # "all-platforms".

  catalogSnapshot @3;
  # Payload: catalog.capnp CatalogSnapshot. Published by a regulator; the
  # gateway keeps the newest and re-sends it to a platform that asks
  # (query.capnp Query.catalogSnapshot).

  taxAssistanceRequest @4;
  # Payload: tax.capnp TaxAssistanceRequest. Sent by a tax office (STA) to a
  # platform.

  taxAssistanceResponse @5;
  # Payload: tax.capnp TaxAssistanceResponse. Sent by a platform to the
  # requesting tax office; correlationId = the request's id.

  acknowledgement @6;
  # Payload: acknowledgement.capnp Acknowledgement. Signed by the platform
  # (or any recipient) and carried inside a session Ack frame, never
  # submitted on its own (a SUBMIT of this kind gets invalidArgument); the
  # gateway forwards it to the original sender. Its correlationId is the
  # acknowledged message's id.

  complaintStatistics @7;
  # Payload: complaints.capnp ComplaintStatistics. Sent by a platform to
  # regulators.

  complianceAttestation @8;
  # Payload: attestation.capnp ComplianceAttestation. Signed and sent by a
  # platform to regulators.

  signedAgreement @9;
  # Payload: agreement.capnp SignedAgreement. Sent by an MCN agency; the
  # gateway verifies, redacts identity numbers, archives and forwards it to
  # the platforms concerned.

  escalation @10;
  # Payload: escalation.capnp Escalation. Generated and signed by the
  # gateway only, sent to the issuing console of an overdue directive.
}

enum Priority {
  # Delivery priority. Per recipient, a higher priority is delivered first;
  # within one priority, order of acceptance is kept.

  low @0;
  # Routine reports and bulk data (e.g. statistics) that may wait behind
  # everything else.

  normal @1;
  # The default.

  high @2;
  # Time-sensitive: e.g. a directive with an acknowledgement deadline within
  # hours.

  urgent @3;
  # Act now: e.g. suspend a broadcast that is live. Policy may restrict
  # which identities may use it.
}

struct Envelope {
  # One message: header, the serialized family struct, and the sender's
  # signature over it. Travels inside session Submit and Deliver frames as
  # its own serialized bytes.

  id @0 :Common.MessageId;
  # Chosen by the sender, random, never zero, never reused. Submission is
  # idempotent on it: resending the identical envelope returns the original
  # confirmation; a different envelope with the same id is refused
  # (ErrorCode.alreadyExists).

  sender @1 :Text;
  # Identity of the sender as registered with the gateway; must equal the
  # identity the session authenticated (else permissionDenied).

  recipients @2 :List(Text);
  # Identities (e.g. "douyin", "samr") or group names (e.g.
  # "all-platforms"); the gateway expands groups at acceptance and tracks
  # each resulting recipient separately. Must not be empty.

  kind @3 :MessageKind;
  # Which family struct the payload holds.

  createdMs @4 :Int64;
  # When the sender created the message (Unix ms, sender's clock).

  expiresMs @5 :Int64;
  # After this instant the gateway no longer delivers the message to a
  # recipient that has not been sent it yet (the recipient's state becomes
  # expired). 0 = never expires.

  priority @6 :Priority = normal;
  # Delivery priority.

  correlationId @7 :Common.MessageId;
  # The message this one answers or follows up (e.g. a tax-assistance
  # response names its request). All-zero = none.

  payload @8 :Data $Json.base64;
  # The serialized family struct named by `kind`: one standalone Cap'n Proto
  # message in standard unpacked serialization (segment table, then
  # segments). Kept byte for byte; never re-encoded by the gateway (except
  # the documented identity-number redaction of SignedAgreement).

  signature @9 :Common.Signature;
  # The sender's signature over exactly the bytes of `payload`.

  schemaVersion @10 :UInt16;
  # Schema version the payload was written with (currentSchemaVersion).
}
