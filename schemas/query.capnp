# Queries: what a client may ask the gateway outside the message flow —
# where a message stands, how full the queues are, which deliveries are
# dead-lettered — plus the operator's replay and a platform's catalog
# catch-up. Carried in session Frames (session.capnp):
#   C:QUERY -> S:QUERY-RESULT / S:ERROR
# Who may ask what is said on each Query member. A query the caller's role
# may not make gets permissionDenied; a question about a message or
# recipient the caller may not see gets notFound, so existence does not
# leak.

@0xb6ecaff90e1f2157;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Json = import "/capnp/compat/json.capnp";
using Common = import "common.capnp";
using Env = import "envelope.capnp";
using Catalog = import "catalog.capnp";
using Dir = import "directive.capnp";
using Acks = import "acknowledgement.capnp";

struct QueueDepthsQuery {
  # Asks for queue figures. Platforms see only their own queue; regulators
  # and gateway operators see all.

  recipients @0 :List(Text);
  # Recipient identities to report; empty = every one visible to the caller.
}

struct DeadLettersQuery {
  # Asks for dead-lettered deliveries, newest first. Gateway operators only.

  recipient @0 :Text;
  # Only this recipient's dead letters; empty = all.

  limit @1 :UInt32;
  # At most this many; 0 = 100. The gateway caps it at 1000.

  cursor @2 :Data $Json.base64;
  # DeadLetterPage.nextCursor of the previous page; empty = first page.
}

struct ReplayRequest {
  # Moves dead-lettered deliveries back to their queues with a fresh
  # attempt count. Gateway operators only.

  messageId @0 :Common.MessageId;
  # The dead-lettered message.

  recipient @1 :Text;
  # The recipient to replay to; empty = every recipient for which the
  # message is dead-lettered.
}

struct OverdueQuery {
  # Asks for the recipients of open directives past a deadline, oldest
  # deadline first. Regulators and gateway operators see all; a platform
  # sees only its own; MCN agencies may not ask.

  platform @0 :Text;
  # Only this recipient platform; empty = all visible to the caller.

  department @1 :Text;
  # Only directives of this issuing department (code, e.g. "SAMR"); empty =
  # all.

  limit @2 :UInt32;
  # At most this many; 0 = 1000.
}

struct ReportsDueQuery {
  # Asks which scheduled reports (complaint statistics, tax-assistance
  # responses: the policy's [reports.<kind>] tables) each platform owes, per
  # period, and where each stands. Regulators and gateway operators see
  # every registered platform; a platform sees only its own; MCN agencies
  # may not ask.

  platform @0 :Text;
  # Only this platform; empty = all visible to the caller.

  kind @1 :Env.MessageKind;
  # Only this report kind (complaintStatistics or taxAssistanceResponse);
  # unspecified = every scheduled kind.

  all @2 :Bool;
  # false: only late and missing reports; true: every period owed, open
  # and on-time ones included.
}

enum ReportState {
  # Where one platform's report for one period stands.

  unspecified @0;
  # Not set.

  open @1;
  # Not received, and not yet due (the period is running or within its
  # due days).

  onTime @2;
  # Received by the due date.

  late @3;
  # Received after the due date (lateByMs says how late).

  missing @4;
  # Not received, and past the due date (lateByMs says by how much).
}

struct ReportDue {
  # One platform's report of one kind for one period.

  platform @0 :Text;
  # The platform that owes it.

  kind @1 :Env.MessageKind;
  # complaintStatistics or taxAssistanceResponse.

  periodStartMs @2 :Int64;
  # First instant of the period (Unix ms): calendar months, quarters or
  # half-years in UTC+8.

  periodEndMs @3 :Int64;
  # First instant after the period (Unix ms).

  dueMs @4 :Int64;
  # When the report is due (the period's end plus the policy's due_days).

  state @5 :ReportState;
  # Open, on time, late or missing, at the gateway's clock.

  lateByMs @6 :Int64;
  # late: how long after dueMs it came; missing: how long dueMs has passed;
  # otherwise 0.

  messageId @7 :Common.MessageId;
  # The report that counts (the first for the period); zero when none.

  receivedMs @8 :Int64;
  # When the gateway accepted that report; 0 when none.
}

struct CatalogVersionInfo {
  # One published catalog version.

  version @0 :UInt64;
  # The version number (1, 2, 3, ...).

  baseVersion @1 :UInt64;
  # The version it was published on (version - 1).

  messageId @2 :Common.MessageId;
  # The CatalogUpdate envelope that published it.

  acceptedMs @3 :Int64;
  # When the gateway accepted it (Unix ms).

  added @4 :UInt32;
  # How many entries it added.

  changed @5 :UInt32;
  # How many entries it replaced.

  withdrawn @6 :UInt32;
  # How many entries it withdrew.

  notes @7 :Text;
  # CatalogUpdate.notes.
}

struct PlatformCatalogState {
  # Where one platform stands with the catalog, from its attestations.

  platform @0 :Text;
  # The platform identity.

  appliedVersion @1 :UInt64;
  # The version its latest catalogApplied attestation names; 0 = none yet.
  attestedMs @2 :Int64;
  # When the gateway accepted that attestation; 0 = never.
  stale @3 :Bool;
  # The attestation named a version older than the current one when it
  # was accepted.
  behind @4 :Bool;
  # appliedVersion is older than the current version now.
}

struct CatalogStatus {
  # Answer to Query.catalogStatus.

  currentVersion @0 :UInt64;
  # The newest version; 0 = none published.
  versions @1 :List(CatalogVersionInfo);
  # Oldest first.
  platforms @2 :List(PlatformCatalogState);
  # Every registered platform visible to the caller, by name.
}

struct Query {
  # C:QUERY -> S:QUERY-RESULT / S:ERROR. Read-only questions, plus the
  # operator's replay, a platform's catalog catch-up and legal holds.

  requestTag @0 :UInt64;
  # Chosen by the client; repeated in the answer.

  union {
    messageStatus @1 :Common.MessageId;
    # Where is this message for each recipient? Allowed to its sender, its
    # recipients (who see only their own line) and gateway operators.

    queueDepths @2 :QueueDepthsQuery;
    # How full are the queues?

    deadLetters @3 :DeadLettersQuery;
    # Which deliveries are dead-lettered?

    replay @4 :ReplayRequest;
    # Re-queue dead-lettered deliveries.

    catalogSnapshot @5 :Catalog.CatalogSnapshotRequest;
    # A platform found a gap in the catalog version chain (or holds no
    # version): when haveVersion is below the current version, queue for it
    # a CatalogSnapshot at the current version. Platforms only.

    overdue @6 :OverdueQuery;
    # Which directives are overdue, where?

    catalogShow @7 :UInt64;
    # The whole negative catalog at this version (0 = the current one),
    # replayed from the stored versions. Anyone but MCN agencies.

    catalogStatus @8 :Void;
    # Every catalog version, and which version each platform last attested
    # it applied. Regulators and operators see every platform; a platform
    # only its own line; MCN agencies may not ask.

    reportsDue @9 :ReportsDueQuery;
    # Which scheduled reports are owed, late or missing, per platform and
    # period? Regulators and operators see every platform; a platform only
    # its own lines; MCN agencies may not ask.

    legalHold @10 :LegalHoldRequest;
    # Set, lift or list legal holds, which keep records past the policy's
    # retention period. Regulators and operators only.
  }
}

enum LegalHoldAction {
  # What a LegalHoldRequest does.

  list @0;
  # Changes nothing; the answer lists the holds in force.

  add @1;
  # Sets a hold on the subject (kept as first set if one exists).

  remove @2;
  # Lifts the hold on the subject.
}

struct LegalHoldRequest {
  # Query.legalHold.

  action @0 :LegalHoldAction;
  # What to do.

  subject @1 :Text;
  # For add and remove: an identity name (every message it sent or
  # received is kept) or a message id as 32 hex digits (that message, and
  # the messages that follow it up by correlationId).

  reason @2 :Text;
  # For add: why (a case number, an order); required.
}

struct LegalHold {
  # One legal hold in force.

  subject @0 :Text;
  # The held identity or message id (hex).

  reason @1 :Text;
  # Why it was set.

  setBy @2 :Text;
  # The identity that set it.

  setMs @3 :Int64;
  # When it was set (gateway clock, Unix ms).
}

struct LegalHoldResult {
  # Answer to Query.legalHold.

  changed @0 :Bool;
  # add: the hold was set now (false: it was set already). remove: a hold
  # was lifted (false: there was none). list: false.

  holds @1 :List(LegalHold);
  # Every hold in force after the request, by subject.
}

enum DeliveryState {
  # Where a message stands for one recipient.

  queued @0;
  # Waiting in the recipient's queue; never sent yet.

  inFlight @1;
  # Sent (DELIVER) but not yet acknowledged.

  delivered @2;
  # The recipient acknowledged stage received.

  accepted @3;
  # The recipient acknowledged stage accepted.

  completed @4;
  # The recipient acknowledged stage completed.

  rejected @5;
  # The recipient acknowledged stage rejected.

  expired @6;
  # Expired before it was first sent; will not be delivered.

  deadLettered @7;
  # Failed too many attempts; waits in the dead-letter queue for replay.
}

struct RecipientStatus {
  # One recipient's line of a MessageStatus.

  recipient @0 :Text;
  # The recipient identity.

  state @1 :DeliveryState;
  # Where the message stands for it.

  attempts @2 :UInt32;
  # Transmissions so far.

  deliverySeq @3 :UInt64;
  # The recipient's deliverySeq for it; 0 = never sent.

  queuedMs @4 :Int64;
  # When it was queued for this recipient (Unix ms).

  lastSentMs @5 :Int64;
  # Last transmission (Unix ms); 0 = never.

  receivedMs @6 :Int64;
  # When stage received was recorded; 0 = not yet.

  acceptedMs @7 :Int64;
  # When stage accepted was recorded; 0 = not yet.

  completedMs @8 :Int64;
  # When stage completed was recorded; 0 = not yet.

  rejectedMs @9 :Int64;
  # When stage rejected was recorded; 0 = not rejected.

  rejectReason @10 :Text;
  # The recipient's reason, when rejected.

  ackDeadlineMs @11 :Int64;
  # The deadline tracked for accepted/rejected; 0 = none.

  completionDeadlineMs @12 :Int64;
  # The deadline tracked for completed; 0 = none.

  escalations @13 :UInt32;
  # How many escalations were raised for this recipient and message.
}

struct MessageStatus {
  # The state of one message, per recipient.

  messageId @0 :Common.MessageId;
  # The message.

  sender @1 :Text;
  # Its sender.

  kind @2 :Env.MessageKind;
  # Its kind.

  gatewaySeq @3 :UInt64;
  # Its acceptance sequence number.

  acceptedMs @4 :Int64;
  # When the gateway accepted it (Unix ms).

  expiresMs @5 :Int64;
  # Its expiry (Unix ms); 0 = never.

  recipients @6 :List(RecipientStatus);
  # One line per recipient visible to the caller.

  supersededBy @7 :Common.MessageId;
  # Directives: the later directive that superseded this one (which is no
  # longer tracked); all-zero = none.

  revokedBy @8 :Common.MessageId;
  # Directives: the later directive that revoked this one; all-zero = none.

  supersedes @9 :Common.MessageId;
  # Directives: the earlier directive this one superseded; all-zero = none.

  revokes @10 :Common.MessageId;
  # Directives: the earlier directive this one revoked; all-zero = none.
}

struct OverdueDirective {
  # One recipient platform of one open directive past one deadline.

  directiveId @0 :Common.MessageId;
  # The directive.

  issuer @1 :Text;
  # Its sender identity (the console that is escalated to).

  department @2 :Text;
  # Its issuing department's code, e.g. "SAMR".

  platform @3 :Text;
  # The recipient that missed the deadline.

  action @4 :Dir.DirectiveAction;
  # The directive's action.

  severity @5 :Dir.Severity;
  # The directive's severity.

  missingStage @6 :Acks.AckStage;
  # accepted (the acknowledgement deadline passed without accepted,
  # rejected or completed) or completed (the completion deadline passed
  # without completed or rejected).

  deadlineMs @7 :Int64;
  # The deadline missed (Unix ms).

  overdueByMs @8 :Int64;
  # How far past it the gateway's clock is now.

  state @9 :DeliveryState;
  # Where the directive stands for the platform.

  issuedMs @10 :Int64;
  # When the gateway accepted the directive (Unix ms).

  escalations @11 :UInt32;
  # Escalations raised for this miss so far.
}

struct QueueDepth {
  # Figures for one recipient's queue.

  recipient @0 :Text;
  # The recipient identity.

  queued @1 :UInt64;
  # Messages never sent yet.

  inFlight @2 :UInt64;
  # Messages sent and not yet acknowledged.

  deadLettered @3 :UInt64;
  # Messages in the dead-letter queue.

  oldestQueuedMs @4 :Int64;
  # When the oldest queued message was queued (Unix ms); 0 = queue empty.

  connected @5 :Bool;
  # true when the recipient has a live session.
}

struct DeadLetter {
  # One dead-lettered delivery.

  messageId @0 :Common.MessageId;
  # The message.

  recipient @1 :Text;
  # The recipient it could not be delivered to.

  sender @2 :Text;
  # The message's sender.

  kind @3 :Env.MessageKind;
  # The message's kind.

  attempts @4 :UInt32;
  # Transmissions made.

  queuedMs @5 :Int64;
  # When it was first queued for the recipient (Unix ms).

  deadLetteredMs @6 :Int64;
  # When it was dead-lettered (Unix ms).

  lastError @7 :Text;
  # Why the last attempt failed, e.g. "no ack within 30 s".
}

struct DeadLetterPage {
  # One page of dead letters.

  letters @0 :List(DeadLetter);
  # Newest first.

  nextCursor @1 :Data $Json.base64;
  # Pass in DeadLettersQuery.cursor for the next page; empty = last page.
}

struct ReplayResult {
  # The outcome of a replay.

  messageId @0 :Common.MessageId;
  # The message replayed.

  requeued @1 :List(Text);
  # Recipients whose delivery went back to the queue (state queued).
}

struct CatalogSnapshotResult {
  # What a catalog catch-up queued; the snapshot follows as a DELIVER.

  snapshotVersion @0 :UInt64;
  # Version of the snapshot queued; 0 = none needed (haveVersion is the
  # current version already, or no version was ever published).

  lastVersion @1 :UInt64;
  # The current catalog version at the gateway.

  messagesQueued @2 :UInt32;
  # How many envelopes were queued (1 with a snapshot, else 0).
}

struct QueryResult {
  # S:QUERY-RESULT, answer to C:QUERY; the union member matches the query's.

  requestTag @0 :UInt64;
  # The Query's requestTag.

  union {
    messageStatus @1 :MessageStatus;
    # Answer to Query.messageStatus.

    queueDepths @2 :List(QueueDepth);
    # Answer to Query.queueDepths.

    deadLetters @3 :DeadLetterPage;
    # Answer to Query.deadLetters.

    replay @4 :ReplayResult;
    # Answer to Query.replay.

    catalogSnapshot @5 :CatalogSnapshotResult;
    # Answer to Query.catalogSnapshot.

    overdue @6 :List(OverdueDirective);
    # Answer to Query.overdue.

    catalogShow @7 :Catalog.CatalogSnapshot;
    # Answer to Query.catalogShow: every entry in force at that version,
    # sorted by id (issuer: the office that published that version).

    catalogStatus @8 :CatalogStatus;
    # Answer to Query.catalogStatus.

    reportsDue @9 :List(ReportDue);
    # Answer to Query.reportsDue: by platform, kind, then period (oldest
    # first).

    legalHold @10 :LegalHoldResult;
    # Answer to Query.legalHold.
  }
}
