# The Regline session protocol between a client (regulator console, platform
# connector, MCN agency client, gateway operator tool; "C") and the gateway
# ("S").
#
# TRANSPORT AND FRAMING
# - ZeroMQ over TCP with CURVE. The gateway's ZAP handler admits only
#   registered public keys; each key is bound to one identity and one Role.
# - The client uses a DEALER socket, the gateway a ROUTER socket.
# - Every ZeroMQ message carries exactly one part holding exactly one Frame
#   (the gateway's ROUTER additionally sees the routing-id part that ZeroMQ
#   prepends; there is no empty delimiter part). A message with more parts
#   is malformed.
# - A Frame is one Cap'n Proto message in standard UNPACKED serialization
#   (segment table, then segments: capnp::messageToFlatArray /
#   capnp::writeMessage), not packed. The bytes of a ZeroMQ message need not
#   be 8-byte aligned: copy them into a word-aligned buffer before handing
#   them to capnp::FlatArrayMessageReader.
# - Size: a frame may be at most Ready.maxFrameBytes (defaultMaxFrameBytes
#   unless the gateway says otherwise); before READY, at most maxHelloBytes.
#   Receivers read with a traversal limit of maxFrameBytes / 8 words and a
#   nesting limit of 64. An oversized or unreadable frame is answered with
#   S:ERROR{malformedFrame} and otherwise ignored.
#
# CONVERSATION
#   C:HELLO        -> S:READY / S:ERROR
#   C:SUBMIT       -> S:CONFIRM / S:ERROR
#   S:DELIVER ...     C:ACK -> S:ACK-RECEIPT / S:ERROR
#                     C:ACKS -> S:ACK-RECEIPTS and/or S:ERROR per entry
#                               (only if Ready.maxAcksPerFrame > 0)
#   C:CREDIT          (no answer)
#   C:QUERY        -> S:QUERY-RESULT / S:ERROR   (query.capnp)
#   C:HEARTBEAT / S:HEARTBEAT   (either side, no answer)
#   C:BYE / S:BYE               (either side, no answer; the sender then
#                                stops sending on this session)
# Requests carry a requestTag chosen by the client; the answer repeats it.
# Answers to different requests may come in any order (SUBMITs are
# confirmed after group commit).
#
# SESSION
# - The first frame must be HELLO. A gateway that receives any other frame
#   from a peer without a session answers S:ERROR{unauthenticated}; the
#   client then sends HELLO (e.g. after ZeroMQ reconnected underneath it).
# - One session per identity: a new HELLO for an identity replaces its old
#   session, which receives S:BYE{reason = "replaced"}.
# - Heartbeats: each side sends HEARTBEAT when it has sent nothing else for
#   Ready.heartbeatIntervalMs. Any frame proves liveness. A side that hears
#   nothing for heartbeatLiveness intervals considers the session dead: the
#   gateway ends it (unacknowledged deliveries will be re-sent), the client
#   reconnects and sends HELLO.
#
# FLOW CONTROL (credit)
# - The gateway never sends more DELIVER frames in a session than the credit
#   granted in it: Hello.initialCredit plus the sum of every Credit.grant,
#   minus the DELIVER frames already sent (re-sends count). With no credit
#   left the gateway waits. Credit does not carry over to a new session.
# - A client usually grants one credit per delivery it has stored durably.
#
# DELIVERY, ORDER, RESUME
# - Each recipient identity has its own durable queue. Per recipient, a
#   higher Envelope.priority is delivered first; within a priority, order
#   of acceptance (Confirm.gatewaySeq) is kept; catalog updates go strictly
#   in version order.
# - deliverySeq numbers a recipient's deliveries densely 1, 2, 3, ... in
#   order of first transmission; a re-send keeps its deliverySeq and gets
#   attempt + 1. Numbers are never reused, across sessions too.
# - A delivery is re-sent until the recipient ACKs it with any stage: in
#   the recipient's next session if a session ended without that ACK, and
#   within a session after the policy's redelivery timeout. After the
#   policy's maximum attempts it goes to the dead-letter queue.
# - An expired message (Envelope.expiresMs passed) is not sent for the
#   first time; one already sent is still re-sent until acknowledged.
# - Resume: Hello.resumeFrom = the largest S such that the client holds
#   every delivery with deliverySeq <= S durably (0 = none). The gateway
#   records stage received for unacknowledged deliveries <= S and re-sends
#   the unacknowledged ones above S. A too-low value only causes
#   duplicates, which clients drop by message id (delivery is at least
#   once).

@0xaad7facb8394ee63;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("regline::schema");

using Json = import "/capnp/compat/json.capnp";
using Common = import "common.capnp";
using Env = import "envelope.capnp";
using Acks = import "acknowledgement.capnp";
using Queries = import "query.capnp";

const currentProtocolVersion :UInt16 = 1;
# The protocol version this file describes.

const defaultMaxFrameBytes :UInt32 = 16777216;
# 16 MiB: the frame size limit unless Ready.maxFrameBytes says otherwise.

const maxHelloBytes :UInt32 = 65536;
# 64 KiB: the size limit for frames before READY.

const defaultHeartbeatIntervalMs :UInt32 = 5000;
# Heartbeat interval when the client proposes none.

const heartbeatLiveness :UInt32 = 3;
# Missed heartbeat intervals after which a peer is considered dead.

struct Hello {
  # C:HELLO -> S:READY / S:ERROR{unsupportedVersion, unauthenticated,
  # permissionDenied, unavailable}. The first frame of every session.

  protocolVersion @0 :UInt16;
  # The highest protocol version the client speaks (currentProtocolVersion).

  identity @1 :Text;
  # The identity the client claims; must equal the identity bound to the
  # CURVE key it connected with (else unauthenticated).

  role @2 :Common.Role;
  # The role the client claims; must equal the registered role (else
  # permissionDenied).

  resumeFrom @3 :UInt64;
  # Largest deliverySeq S such that the client durably holds every delivery
  # <= S (0 = none, e.g. a fresh install). See RESUME above.

  initialCredit @4 :UInt32;
  # How many DELIVER frames the gateway may send before the first CREDIT.
  # 0 = none yet (a send-only client, e.g. an MCN agency tool).

  clientName @5 :Text;
  # Program name, e.g. "regline-connector", for logs and metrics.

  clientVersion @6 :Text;
  # Program version, e.g. "0.1.0".

  heartbeatIntervalMs @7 :UInt32;
  # Proposed heartbeat interval; 0 = defaultHeartbeatIntervalMs. The gateway
  # may clamp it and says the result in Ready.
}

struct Ready {
  # S:READY, answer to C:HELLO: the session is established.

  sessionId @0 :UInt64;
  # The gateway's id of this session, for logs on both sides.

  gatewayVersion @1 :Text;
  # The gateway's software version.

  protocolVersion @2 :UInt16;
  # The protocol version used on this session: <= Hello.protocolVersion.

  heartbeatIntervalMs @3 :UInt32;
  # The heartbeat interval both sides use.

  maxFrameBytes @4 :UInt32;
  # The largest frame either side may send on this session.

  serverTimeMs @5 :Int64;
  # The gateway's clock when it sent READY (Unix ms), so clients can warn
  # about clock skew (deadlines are judged on the gateway's clock).

  identity @6 :Text;
  # The authenticated identity of the session.

  role @7 :Common.Role;
  # The authenticated role of the session.

  resumedFrom @8 :UInt64;
  # The resume point the gateway applied: min(Hello.resumeFrom, the highest
  # deliverySeq ever given to this identity). Since a resumeFrom above that
  # highest number moves the identity's numbering past it (the gateway's
  # store was restored from an older backup; docs/protocol.md section 6),
  # this equals Hello.resumeFrom whenever READY is sent.

  pendingDeliveries @9 :UInt64;
  # Deliveries waiting for this identity (queued plus unacknowledged).

  maxAcksPerFrame @10 :UInt32;
  # The most entries an ACKS frame may carry on this session; 0 = this
  # gateway does not understand ACKS (send one ACK per frame). Added in
  # protocol version 1 without a version change: a gateway that predates
  # it leaves the field 0.
}

struct Submit {
  # C:SUBMIT -> S:CONFIRM / S:ERROR. Hands one envelope to the gateway.
  # Idempotent on the envelope id: a client that timed out resends the same
  # bytes with any requestTag and gets the original result.

  requestTag @0 :UInt64;
  # Chosen by the client; repeated in the answer.

  envelope @1 :Data $Json.base64;
  # The serialized Envelope (envelope.capnp), standard unpacked
  # serialization. Carried as bytes, not as a nested struct, so that the
  # envelope and its signed payload keep their exact bytes from sender to
  # recipient and into the evidence archive.
}

struct Confirm {
  # S:CONFIRM, answer to C:SUBMIT: the envelope is durable on the gateway's
  # disk (fsync done) and queued for every recipient.

  requestTag @0 :UInt64;
  # The Submit's requestTag.

  messageId @1 :Common.MessageId;
  # The envelope's id.

  gatewaySeq @2 :UInt64;
  # The gateway's sequence number of the accepted message (global order of
  # acceptance); the same for a duplicate as for the original.

  acceptedMs @3 :Int64;
  # When the gateway accepted the original submission (Unix ms).

  duplicate @4 :Bool;
  # true when this answers a resubmission of an already accepted, identical
  # envelope; the fields then describe the original acceptance.

  recipients @5 :List(Text);
  # The recipient identities after group expansion, each tracked separately.
}

struct Deliver {
  # S:DELIVER ... C:ACK -> S:ACK-RECEIPT. One message for the session's
  # identity; consumes one credit.

  deliverySeq @0 :UInt64;
  # This recipient's delivery number (see DELIVERY above); stable across
  # re-sends.

  attempt @1 :UInt32;
  # 1 for the first transmission, then 2, 3, ...

  messageId @2 :Common.MessageId;
  # The envelope's id (a copy, so a client can drop a duplicate without
  # parsing the envelope).

  kind @3 :Env.MessageKind;
  # The envelope's kind (a copy, for routing in the client).

  envelope @4 :Data $Json.base64;
  # The serialized Envelope exactly as accepted (for agreements: as
  # redacted and re-signed by the gateway).
}

struct Ack {
  # C:ACK -> S:ACK-RECEIPT / S:ERROR{notFound, invalidArgument,
  # permissionDenied, invalidSignature}. The recipient reports the stage reached with a
  # delivered message. Stages may repeat (the receipt says duplicate) and
  # may skip (completed implies accepted); nothing follows rejected.

  requestTag @0 :UInt64;
  # Chosen by the client; repeated in the answer.

  deliverySeq @1 :UInt64;
  # The Deliver's deliverySeq; 0 = unknown (e.g. acked from the outbox
  # after a restart), then messageId alone identifies the delivery.

  messageId @2 :Common.MessageId;
  # The acknowledged envelope's id; must agree with deliverySeq if both are
  # given.

  stage @3 :Acks.AckStage;
  # The stage reached.

  reasonCode @4 :Acks.RejectReason;
  # For rejected: why, as a code.

  reason @5 :Text;
  # For rejected: why, in words.

  atMs @6 :Int64;
  # When the stage was reached (Unix ms, client's clock).

  acknowledgement @7 :Data $Json.base64;
  # The serialized, signed Envelope{kind = acknowledgement} whose payload
  # states the same messageId and stage. Optional for received; for
  # accepted, rejected and completed the policy may require it
  # (directives: always). Forwarded to the original sender.
}

struct AckReceipt {
  # S:ACK-RECEIPT, answer to C:ACK: the stage is recorded durably.

  requestTag @0 :UInt64;
  # The Ack's requestTag.

  messageId @1 :Common.MessageId;
  # The acknowledged envelope's id.

  stage @2 :Acks.AckStage;
  # The stage recorded.

  recordedMs @3 :Int64;
  # When the gateway recorded the stage first (Unix ms).

  duplicate @4 :Bool;
  # true when this stage (or a later one) was already recorded; nothing
  # changed.

  lateByMs @5 :Int64;
  # How late the stage was against the deadline the gateway tracks for it
  # (ack deadline for accepted/rejected, completion deadline for
  # completed); 0 = on time or no deadline.
}

struct AckBatch {
  # C:ACKS -> S:ACK-RECEIPTS / S:ERROR. Several ACKs in one frame, sent
  # only when Ready.maxAcksPerFrame > 0 and with at most that many entries.
  # Each entry is an Ack with its own requestTag and is checked, recorded
  # and answered exactly as if it had come in an ACK frame of its own:
  # - the entries recorded are answered together by one ACK-RECEIPTS frame,
  #   in the entries' order, once they are durable;
  # - each entry refused is answered by an ERROR frame with its requestTag
  #   (before or after that ACK-RECEIPTS; the tags tell them apart);
  # - a frame with more entries than allowed has every entry refused with
  #   protocolViolation.
  # Entries are recorded in list order; an entry for a delivery that
  # another entry of the same frame also acknowledges is allowed (the
  # later one is a duplicate or raises the stage).

  acks @0 :List(Ack);
  # The ACKs, each with a requestTag of its own, in the order to record
  # them; at least one.
}

struct AckReceiptBatch {
  # S:ACK-RECEIPTS, answer to C:ACKS: one AckReceipt per entry recorded,
  # in the order of the entries, each with its entry's requestTag. Never
  # empty: when every entry was refused, only the ERROR frames are sent.

  receipts @0 :List(AckReceipt);
  # The receipts, one per entry recorded, in the entries' order.
}

struct Credit {
  # C:CREDIT (no answer). Lets the gateway send more DELIVER frames.

  grant @0 :UInt32;
  # Additional DELIVER frames the client can take; the session's total
  # saturates at 2^32 - 1.
}

struct Heartbeat {
  # C:HEARTBEAT / S:HEARTBEAT (either side, either way; no answer). Sent
  # when nothing else was sent for one heartbeat interval.

  sentMs @0 :Int64;
  # Sender's clock when sent (Unix ms).
}

enum ErrorCode {
  # Why a request failed, and so whether to retry.

  invalidArgument @0;
  # The request or its envelope is invalid (missing field, unspecified
  # enum, payload does not decode as its kind, bad stage transition, ...).
  # Retrying the same request will not help; fix it.

  notFound @1;
  # The message, recipient or delivery named does not exist (or is not
  # visible to this identity). Retrying the same request will not help.

  alreadyExists @2;
  # A different envelope with the same id was already accepted. Retrying
  # will not help; use a new id.

  permissionDenied @3;
  # The identity's role may not do this (e.g. a platform issuing a
  # directive, acknowledging another's message). Retrying will not help.

  unauthenticated @4;
  # No session (send HELLO first), or the claimed identity does not match
  # the CURVE key. Retry only after a successful HELLO.

  overloaded @5;
  # A quota is full (e.g. a recipient's queue). Nothing already accepted was
  # dropped and this request was not accepted. Retry the same request
  # after retryAfterMs, with backoff.

  invalidSignature @6;
  # A signature does not verify against the signer's registered key.
  # Retrying the same bytes will not help.

  unsupportedVersion @7;
  # The protocol or schema version is not supported; text names the
  # supported range. Retry only with a supported version.

  malformedFrame @8;
  # The frame could not be read (not a Frame, too large, too deep, more
  # than one part). Retrying the same bytes will not help.

  protocolViolation @9;
  # A frame out of turn or in the wrong direction (e.g. READY, CONFIRM or
  # DELIVER sent by a client). The gateway ends the session with BYE;
  # reconnect with HELLO.

  expired @10;
  # The envelope's expiresMs passed before it could be accepted. Retrying
  # will not help.

  ioError @11;
  # The gateway could not make the request durable (storage error). Nothing
  # was accepted; retrying the same request is safe and may succeed.

  internal @12;
  # A bug in the gateway. Retrying may help once; report it.

  unavailable @13;
  # The gateway is starting, stopping or cannot reach its store. Retry with
  # backoff, after retryAfterMs if given.
}

struct Error {
  # S:ERROR, answer to any request that failed (HELLO, SUBMIT, ACK, QUERY)
  # or to an unreadable frame.

  requestTag @0 :UInt64;
  # The failed request's requestTag; 0 when none applies (HELLO, or a frame
  # that could not be read).

  code @1 :ErrorCode;
  # What went wrong, and so whether to retry.

  text @2 :Text;
  # Explanation for people and logs; never contains personal information.

  messageId @3 :Common.MessageId;
  # The envelope concerned, when known; all-zero otherwise.

  retryAfterMs @4 :Int64;
  # For overloaded and unavailable: wait at least this long before
  # retrying. 0 = no hint.
}

struct Bye {
  # C:BYE / S:BYE (either side, no answer). The sender ends the session;
  # unacknowledged deliveries stay queued for the next session.

  reason @0 :Text;
  # Why, e.g. "shutdown", "replaced", "protocol violation".

  reconnectAfterMs @1 :Int64;
  # From the gateway: how long to wait before reconnecting; 0 = at once
  # (with the client's usual backoff).
}

struct Frame {
  # Exactly one per ZeroMQ message, in either direction. The union member
  # says which protocol message it is; see each struct for direction and
  # conversation. (An empty frame reads as a HELLO with protocolVersion 0,
  # which is refused with unsupportedVersion.)

  union {
    hello @0 :Hello;
    # C -> S.

    ready @1 :Ready;
    # S -> C.

    submit @2 :Submit;
    # C -> S.

    confirm @3 :Confirm;
    # S -> C.

    deliver @4 :Deliver;
    # S -> C.

    ack @5 :Ack;
    # C -> S.

    ackReceipt @6 :AckReceipt;
    # S -> C.

    credit @7 :Credit;
    # C -> S.

    heartbeat @8 :Heartbeat;
    # Either way.

    error @9 :Error;
    # S -> C.

    query @10 :Queries.Query;
    # C -> S.

    queryResult @11 :Queries.QueryResult;
    # S -> C.

    bye @12 :Bye;
    # Either way.

    acks @13 :AckBatch;
    # C -> S, only when Ready.maxAcksPerFrame > 0.

    ackReceipts @14 :AckReceiptBatch;
    # S -> C.
  }
}
