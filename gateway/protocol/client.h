// Client: one session with the gateway, from the client's side (DEALER).
//
// A Client owns one ZeroMQ DEALER socket connected to the gateway and speaks
// the session protocol of schemas/session.capnp over it: HELLO -> READY,
// then SUBMIT -> CONFIRM, QUERY -> QUERY-RESULT, ACK -> ACK-RECEIPT, CREDIT,
// HEARTBEAT and BYE. reglinectl uses it for one request at a time; the
// platform connector uses it for its delivery loop (Receive, Ack,
// GrantCredit).
//
// Threads: one thread owns a Client and makes every call on it (ZeroMQ
// sockets are not thread-safe). Nothing runs in the background: heartbeats
// are sent, and frames are read, only inside the calls below. A client that
// takes deliveries must therefore call Receive() at least once per
// heartbeat interval.
//
// Waiting: every call that waits for the gateway waits at most
// ClientOptions::timeout_ms (Receive: its own timeout) via zmq::poll and
// then fails with kUnavailable; nothing ever blocks without bound. The
// socket's linger is 0, so closing it never waits for a dead gateway (Close
// lingers at most bye_linger_ms to get its BYE out).
//
// Requests are synchronous: a call sends one request with a fresh
// requestTag (unique within the Client, counting from 1) and returns when
// the answer with that tag arrives. Frames that arrive meanwhile and answer
// nothing (DELIVER, BYE, ERROR without a tag) are queued, in order, for
// Receive(); answers to requests that already timed out are dropped.
//
// Pipelined acknowledgements: SendAck() sends C:ACK with a fresh tag and
// returns the tag at once; SendAcks() sends several in one C:ACKS frame
// (when the gateway's READY allows it), a fresh tag each. Each answer
// (ACK-RECEIPT, an entry of ACK-RECEIPTS, or ERROR carrying that tag) is
// read by whichever call reads frames next (Receive, or a synchronous
// request waiting for its own answer) and kept, in arrival order, for
// TakeAckAnswers(); the caller matches answers to acks by tag.
// Nothing times out on the client's side: a caller that needs a bound on
// the wait keeps its own clock (acks_in_flight() says how many are out).
// A new HELLO answers every ack still in flight with kDisconnected (send
// them again: ACK is idempotent, the gateway says duplicate).
//
// Failures: a request the gateway answers with S:ERROR fails with the
// Status that FromWireError() gives for its code and the gateway's text as
// message; the ERROR itself stays readable in last_refusal() until the next
// call. Failures found locally (timeouts, an oversized frame, a broken
// socket) leave last_refusal() empty.
//
// Re-authentication: when the gateway answers a request with
// ERROR{unauthenticated} (it lost the session, e.g. after a restart that
// ZeroMQ hid by reconnecting), the request call sends HELLO once more and,
// if READY comes, resends the request (SUBMIT is idempotent on the envelope
// id; ACK and QUERY are safe to repeat). Credit does not survive that: a
// re-HELLO grants ClientOptions::initial_credit again.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "gateway/core/clock.h"
#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/protocol/frames.h"
#include "schemas/acknowledgement.capnp.h"
#include "schemas/common.capnp.h"
#include "schemas/query.capnp.h"
#include "schemas/session.capnp.h"

namespace regline::protocol {

// ZeroMQ CURVE keys, each the 40-character Z85 text of a 32-byte key. All
// three empty: plain TCP (tests, loopback set-ups without a ZAP handler).
// Either all three or none must be set.
struct CurveKeys {
  std::string server_public;  // the gateway's public key
  std::string client_public;  // this identity's registered public key
  std::string client_secret;  // and its secret key; never logged

  bool empty() const { return server_public.empty() && client_public.empty() && client_secret.empty(); }
};

struct ClientOptions {
  // ZeroMQ endpoint of the gateway's ROUTER socket, e.g. "tcp://127.0.0.1:5570".
  std::string endpoint;
  // The registered identity to claim in HELLO, e.g. "samr-console", "douyin".
  std::string identity;
  // The registered role of that identity.
  schema::Role role = schema::Role::REGULATOR;
  // Hello.resumeFrom: the largest deliverySeq S such that this client holds
  // every delivery <= S durably. 0 = none (a console, a fresh install).
  uint64_t resume_from = 0;
  // When set, asked for the resume point at every HELLO instead of
  // resume_from (a HELLO the client re-sends by itself mid-session then
  // carries what the caller holds now, not what it held at the start).
  std::function<uint64_t()> resume_point;
  // Hello.initialCredit: DELIVER frames the gateway may send before the
  // first GrantCredit(). 0 for a console that takes no deliveries.
  uint32_t initial_credit = 0;
  // Longest wait for READY and for each request's answer, in ms (> 0).
  int64_t timeout_ms = 5000;
  // Hello.heartbeatIntervalMs to propose; 0 = the protocol default.
  uint32_t heartbeat_interval_ms = 0;
  // Hello.clientName and clientVersion, for the gateway's logs.
  std::string client_name = "reglinectl";
  std::string client_version = "0.1.0";
  // How long Close() lets the BYE frame linger in the socket, in ms.
  int64_t bye_linger_ms = 200;
  // Transport security; see CurveKeys.
  CurveKeys curve;
  // Wall clock for Heartbeat.sentMs and Ack.atMs; nullptr = the system
  // clock. Must outlive the Client. (Waiting always uses real time.)
  const Clock* clock = nullptr;
  // A descriptor (an eventfd, say) that another thread makes readable to
  // cut a Receive() wait short: Receive then drains it (one 8-byte read)
  // and returns nothing. -1: none. The Client does not own it.
  int wake_fd = -1;
};

// What READY said: the session's parameters.
struct ReadyInfo {
  uint64_t session_id = 0;
  std::string gateway_version;
  uint16_t protocol_version = 0;
  uint32_t heartbeat_interval_ms = 0;  // never 0 once READY came
  uint32_t max_frame_bytes = 0;        // never 0 once READY came
  int64_t server_time_ms = 0;
  std::string identity;
  schema::Role role = schema::Role::UNSPECIFIED;
  uint64_t resumed_from = 0;
  uint64_t pending_deliveries = 0;
  uint32_t max_acks_per_frame = 0;  // 0: the gateway takes one ACK per frame
};

// What CONFIRM said: the envelope is durable on the gateway.
struct ConfirmInfo {
  MessageId id;
  uint64_t gateway_seq = 0;
  int64_t accepted_ms = 0;
  bool duplicate = false;  // a resubmission; the fields describe the original
  std::vector<std::string> recipients;
};

// One C:ACK. stage is required; the rest as session.capnp Ack says.
struct AckRequest {
  uint64_t delivery_seq = 0;  // 0 = unknown; message_id alone identifies it
  MessageId message_id;
  schema::AckStage stage = schema::AckStage::UNSPECIFIED;
  schema::RejectReason reason_code = schema::RejectReason::UNSPECIFIED;
  std::string reason;
  int64_t at_ms = 0;            // 0 = now, by ClientOptions::clock
  std::string acknowledgement;  // serialized signed Envelope{kind = acknowledgement}; may be empty for received
};

// What ACK-RECEIPT said: the stage is recorded durably.
struct AckReceiptInfo {
  MessageId message_id;
  schema::AckStage stage = schema::AckStage::UNSPECIFIED;
  int64_t recorded_ms = 0;
  bool duplicate = false;
  int64_t late_by_ms = 0;
};

// An S:ERROR the gateway answered with.
struct Refusal {
  schema::ErrorCode code = schema::ErrorCode::INTERNAL;
  std::string text;  // the gateway's explanation, verbatim
  MessageId message_id;
  int64_t retry_after_ms = 0;
  uint64_t request_tag = 0;
};

// The answer to one ack sent with SendAck().
struct AckAnswer {
  uint64_t request_tag = 0;  // as SendAck returned it
  // ok: `receipt` holds the ACK-RECEIPT. Otherwise the Status the
  // synchronous Ack() would have failed with: the gateway's refusal
  // (`refusal` set, as last_refusal() would be), kInvalidArgument for an
  // unreadable receipt, kDisconnected when a new HELLO came before any
  // answer.
  Status status;
  AckReceiptInfo receipt;
  std::optional<Refusal> refusal;
};

// The stable snake_case name of a wire error code, e.g. "permission_denied",
// "overloaded", "unauthenticated"; "error_<n>" for a code this build does
// not know.
std::string_view WireErrorName(schema::ErrorCode code);

class Client {
 public:
  // Checks the options and connects the socket; sends nothing. Fails with
  // kInvalidArgument for empty endpoint or identity, timeout_ms <= 0, CURVE
  // keys given partly or not 40 characters, or an endpoint ZeroMQ refuses.
  static Result<std::unique_ptr<Client>> Open(zmq::context_t& context, const ClientOptions& options);

  // Open(), then Hello(): the usual way to start a session.
  static Result<std::unique_ptr<Client>> Connect(zmq::context_t& context, const ClientOptions& options);

  // Sends HELLO and waits for READY. On success ready() describes the new
  // session. Fails with kUnavailable "gateway at <endpoint> did not answer
  // HELLO within N ms" when nothing answers in time; with the Status of the
  // gateway's ERROR (see last_refusal()) when it refuses. May be called
  // again to start a new session on the same socket (e.g. after a BYE);
  // frames queued for Receive() stay queued.
  Status Hello();

  // C:SUBMIT -> S:CONFIRM. `envelope` is a serialized Envelope, sent as is.
  // kInvalidArgument (nothing sent) when the frame would exceed
  // ready().max_frame_bytes; kUnavailable when no answer comes within
  // timeout_ms (resubmitting the same bytes is safe); kDisconnected when
  // the gateway ends the session meanwhile; else the gateway's refusal.
  Result<ConfirmInfo> Submit(std::string_view envelope);

  // C:QUERY -> S:QUERY-RESULT. `fill` sets the query's union member (the
  // client sets the requestTag). Returns the frame holding the result
  // (frame.get().getQueryResult()), whose union member matches the query's
  // (kInternal if the gateway answers another). Failures as for Submit.
  Result<DecodedFrame> Query(const std::function<void(schema::Query::Builder)>& fill);

  // C:ACK -> S:ACK-RECEIPT. kInvalidArgument (nothing sent) for stage
  // unspecified or a zero message id. Failures as for Submit.
  Result<AckReceiptInfo> Ack(const AckRequest& ack);

  // C:ACK without waiting: checks the ack as Ack() does, sends it with a
  // fresh requestTag and returns that tag. The answer comes later through
  // TakeAckAnswers(). kInvalidArgument (nothing sent) as for Ack() or for a
  // frame over ready().max_frame_bytes; kDisconnected without a session;
  // kOverloaded when the socket's send queue is full (nothing sent: send
  // it again once answers arrive); kUnavailable when the frame cannot be
  // queued for another reason. Never re-sends HELLO.
  Result<uint64_t> SendAck(const AckRequest& ack);

  // Several C:ACKs without waiting, in one frame: a C:ACK for a single
  // entry, else a C:ACKS. Returns the entries' tags, in order; each entry
  // is answered on its own through TakeAckAnswers() (the gateway answers
  // the recorded ones of an ACKS together with one ACK-RECEIPTS frame).
  // kInvalidArgument (nothing sent) for an entry Ack() would refuse (the
  // message names its index), for more entries than
  // ready().max_acks_per_frame allows (at most one when it is 0), or for a
  // frame over ready().max_frame_bytes; otherwise fails as SendAck() does,
  // with nothing sent.
  Result<std::vector<uint64_t>> SendAcks(std::span<const AckRequest> acks);

  // The answers to SendAck() and SendAcks() acks read so far, in arrival order; each
  // returned once. Reads nothing from the socket itself (Receive does).
  std::vector<AckAnswer> TakeAckAnswers();
  bool has_ack_answers() const { return !ack_answers_.empty(); }
  // Acks sent with SendAck() and not answered (taken or not) yet.
  size_t acks_in_flight() const { return acks_in_flight_.size(); }

  // C:CREDIT: lets the gateway send `grant` more DELIVER frames. No answer
  // is expected; fails only when the frame cannot be queued (kUnavailable)
  // or there is no session (kDisconnected).
  Status GrantCredit(uint32_t grant);

  // The next frame that answers no request (DELIVER, BYE, an ERROR without
  // a requestTag), queued ones first; nullopt when none arrives within
  // timeout_ms (0 = only what is already there). Sends HEARTBEAT whenever
  // nothing was sent for the heartbeat interval; heartbeats received are
  // consumed here, and answers to SendAck() acks kept for TakeAckAnswers();
  // while such answers wait to be taken, Receive reads only what is already
  // there and does not wait. Fails with kDisconnected when the gateway was silent for
  // heartbeatLiveness intervals or answered ERROR{unauthenticated} (call
  // Hello() to start again). After a BYE, the session is over: Hello()
  // starts a new one.
  Result<std::optional<DecodedFrame>> Receive(int64_t timeout_ms);

  // Sends BYE{reason} if a session is up, then closes the socket (waiting
  // at most bye_linger_ms for the BYE to leave). Idempotent; the destructor
  // calls it with "client closed".
  void Close(std::string_view reason = "client closed");

  // The READY of the current session; all zero before the first READY.
  const ReadyInfo& ready() const { return ready_; }
  // true between READY and BYE / Close() / a detected loss of the session.
  bool has_session() const { return has_session_; }
  // The gateway's ERROR behind the last failed call, if it came from the
  // gateway; cleared at the start of every call.
  const std::optional<Refusal>& last_refusal() const { return last_refusal_; }
  // Frames from the gateway that could not be read and were dropped.
  uint64_t dropped_frames() const { return dropped_frames_; }

  Client(Client&&) = default;
  Client& operator=(Client&&) = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

 private:
  Client(zmq::socket_t socket, const ClientOptions& options);

  int64_t WallNowMs() const;
  uint64_t NextTag() { return next_tag_++; }
  size_t FrameLimit() const;
  // Queues one frame for sending; nothing waits.
  Status Send(std::string_view frame);
  // Reads at most one message within `wait_ms`; nullopt when none.
  Result<std::optional<DecodedFrame>> ReadOne(int64_t wait_ms);
  // Sends HEARTBEAT if nothing was sent for the heartbeat interval.
  Status HeartbeatIfDue();
  // Sends `frame` (a request carrying `tag`) and waits for its answer;
  // ERROR answers become Status. Sends HELLO and the frame once more on
  // ERROR{unauthenticated}.
  Result<DecodedFrame> Call(std::string_view what, uint64_t tag, const std::string& frame);
  Result<DecodedFrame> AwaitAnswer(std::string_view what, uint64_t tag);
  // Files an unsolicited frame: heartbeats noted, BYE ends the session,
  // everything else queued for Receive().
  void FileUnsolicited(DecodedFrame frame);
  Status Refused(schema::Error::Reader error);
  // Fills `out` from `ack` with `tag`; kInvalidArgument for a bad ack.
  Status FillAck(const AckRequest& ack, uint64_t tag, schema::Ack::Builder out);
  // The C:ACK frame for `ack` with `tag`; kInvalidArgument for a bad ack.
  Result<std::string> AckFrame(const AckRequest& ack, uint64_t tag);
  // Queues an ACK or ACKS frame whose entries carry `tags`; on success the
  // tags are in flight.
  Status SendAckFrame(const std::string& frame, std::span<const uint64_t> tags);
  // Keeps `frame` for TakeAckAnswers() when it answers acks in flight (an
  // ACK-RECEIPTS frame is consumed here whatever it answers).
  bool FileAckAnswer(DecodedFrame& frame, std::optional<uint64_t> tag);

  zmq::socket_t socket_;
  ClientOptions options_;
  SystemClock system_clock_;
  ReadyInfo ready_;
  bool has_session_ = false;
  uint64_t next_tag_ = 1;
  std::deque<DecodedFrame> inbox_;
  std::set<uint64_t> acks_in_flight_;  // tags from SendAck() not answered yet
  std::vector<AckAnswer> ack_answers_;
  std::optional<Refusal> last_refusal_;
  bool send_queue_full_ = false;  // the last Send found the socket's queue full
  uint64_t dropped_frames_ = 0;
  bool woken_ = false;  // ReadOne saw wake_fd readable
  int64_t last_sent_steady_ms_ = 0;
  int64_t last_heard_steady_ms_ = 0;
};

}  // namespace regline::protocol
