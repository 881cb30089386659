# Acknowledgements: a recipient tells the sender how far it got with a
# message.
#
# Stages: received -> accepted (or rejected, with a reason) -> completed.
# A recipient may skip stages (completed implies accepted; accepted and
# rejected imply received); nothing follows rejected. The session carries
# every stage in an Ack frame (session.capnp); for stages accepted, rejected
# and completed the Ack frame also carries the recipient's signed
# Envelope{kind = acknowledgement} with the Acknowledgement below as payload,
# which the gateway keeps as evidence and forwards to the original sender.
# For kinds that ask nothing of the recipient (acknowledgement, escalation,
# complaintStatistics, complianceAttestation, taxAssistanceResponse), stage
# received is the last one expected.
#
# Lateness is not part of the Acknowledgement: it is signed by the platform,
# so the gateway cannot add to it. The gateway computes lateness against its
# tracked deadlines and reports it in AckReceipt.lateByMs and in
# MessageStatus (query.capnp) and, for directives, by Escalation.

@0xc3867a568e6c34cd;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Common = import "common.capnp";
using Envelope = import "envelope.capnp";

enum AckStage {
  # How far the recipient got with a message.

  unspecified @0;
  # Not set; rejected.

  received @1;
  # Stored durably by the recipient's connector; nothing decided yet.

  accepted @2;
  # The recipient accepts the message and will act on it.

  completed @3;
  # The recipient has done what the message requires (records of what was
  # done go in actionsTaken and evidence).

  rejected @4;
  # The recipient will not act on it; reasonCode and reason say why.
  # Final.
}

enum RejectReason {
  # Why a recipient rejected a message.

  unspecified @0;
  # Not a rejection, or no code given.

  subjectNotFound @1;
  # The subject does not exist on the platform (wrong id, already deleted).

  notOurPlatform @2;
  # The subject belongs to another platform.

  alreadyDone @3;
  # The required action was already in force before the message.

  cannotVerifyIssuer @4;
  # The signature or the issuer's authority could not be verified.

  malformed @5;
  # The payload is incomplete or contradictory (reason says what).

  other @6;
  # Any other reason; reason explains.
}

struct Acknowledgement {
  # A recipient's signed statement that it reached a stage with a message.
  # Payload of Envelope{kind = acknowledgement}; the envelope's sender is
  # the acknowledging recipient.

  messageId @0 :Common.MessageId;
  # Envelope id of the acknowledged message.

  originalSender @1 :Text;
  # Identity that sent the acknowledged message.

  originalKind @2 :Envelope.MessageKind;
  # Kind of the acknowledged message.

  stage @3 :AckStage;
  # The stage reached.

  atMs @4 :Int64;
  # When the recipient reached the stage (Unix ms, recipient's clock).

  reasonCode @5 :RejectReason;
  # For rejected: why, as a code.

  reason @6 :Text;
  # For rejected: why, in words. Optional otherwise.

  actionsTaken @7 :Text;
  # For completed: what was done, to what, and when (e.g. "live room 8812
  # suspended 2024-05-01 20:13 for 7 days"); the record the Measures
  # require platforms to keep.

  evidence @8 :List(Common.Digest);
  # Digests of records kept as evidence (screenshots, logs, exported
  # information); the records themselves stay with the platform.
}
