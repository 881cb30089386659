// GatewayLink: the connector's one session with the gateway, kept up for
// as long as the connector runs.
//
// One thread owns the protocol::Client (a DEALER) and does everything that
// crosses the link, in this order of priority:
//   1. DELIVER frames: every frame already waiting (up to the credit window,
//      and at most 256 per pass) is stored in the inbox in one transaction, then the same number of
//      credits is granted back (duplicates included: each consumed one), and
//      the sink worker is told (on_stored). The same transaction marks the
//      ack answers taken since the last one and, with an OutcomeHandoff,
//      records the sink worker's waiting outcomes: the link is the inbox's
//      one writer on the hot path, one commit per pass.
//   2. Acknowledgements the inbox holds as due (stage received for each new
//      or redelivered message, and the stages the sink or the platform's
//      people reached), sent in ack-number order, up to 256 per C:ACKS frame
//      when the gateway takes ACKS (Ready.maxAcksPerFrame; else one C:ACK
//      each), pipelined: up
//      to ack_window are in flight at once (at most one per message), so
//      the gateway's group commit records many in one transaction. A bare
//      "received" waits up to received_delay_ms for the sink's outcome so
//      that one ACK carries both stages. The link reads due rows on from
//      where its last pass stopped (ack_cursor_) and rereads by id only the
//      rows the inbox names as due again behind it (TakeAckRechecks); it
//      reads from the start once a second and after a failed answer. Each
//      ACK is marked sent in the inbox only once its ACK-RECEIPT came
//      (by the pass's one write, see 1.); one still unanswered when the
//      session ends stays due and is sent again (the gateway says
//      duplicate). Each pass writes first and sends after, so an ack whose
//      answer came is never read as due again. An ack unanswered for the
//      request timeout ends the session; a full socket queue only pauses
//      sending.
//   3. The outbox: envelopes leased in order and sent with C:SUBMIT; marked
//      sent on CONFIRM, refused when the gateway refuses them for good,
//      requeued in place when the gateway is unreachable or overloaded.
// With a signer, every ACK beyond stage received carries the platform's
// signed Acknowledgement envelope (acknowledgement.h), built when the ACK
// is sent from the stored envelope's sender and kind, so an ACK sent again
// after a reconnect carries one again; received ACKs go unsigned.
// 4. The negative catalog: at the start of each session, and whenever the
//    sink worker parked catalog updates above a gap (RequestCatalogSnapshot),
//    a connector that holds no catalog version yet or has updates parked
//    asks the gateway for a snapshot (C:QUERY{catalogSnapshot} with the
//    version held); the snapshot then arrives as an ordinary DELIVER.
//    An answer that ends the session or says "try later" leaves the
//    question due; a refusal is logged and not repeated this session.
// Hello.resumeFrom is the inbox's resume point and Hello.initialCredit the
// credit window, except after a session that ended because the inbox could
// not store its deliveries (a full disk): the next one starts with one
// credit and grants two back for each delivery stored until the window is
// reached, so that a disk that fills again costs one message an attempt
// (and, after max_attempts, a dead letter), not a window of them.
// When the gateway cannot be reached, says BYE, or falls silent, the link
// reconnects after an exponential back-off with jitter (reconnect_min_ms
// doubling to reconnect_max_ms, each wait a random 50-100% of that; at
// least the gateway's Bye.reconnectAfterMs) and resumes.
//
// An answer that says the request itself is wrong (invalid, not found,
// not permitted) settles it for good and is logged; a missing answer, an
// untagged ERROR or BYE ends the session; overloaded and I/O errors at the
// gateway leave the request due for the next pass (about a second later).
//
// Threads: Start() runs the loop; Notify() (any thread) says acks or
// outbox entries are due; Stop() (any thread) ends the loop: with a session
// up, what is due is sent for at most drain_timeout_ms, then BYE.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "connectors/inbox.h"
#include "connectors/link_health.h"
#include "connectors/outbox.h"
#include "connectors/outcome_handoff.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/client.h"

namespace regline::connector {

struct GatewayLinkOptions {
  // endpoint, identity, timeout_ms, heartbeat_interval_ms, curve, client
  // name and version, clock; role, resume_from and initial_credit are set
  // by the link.
  protocol::ClientOptions client;
  uint32_t credit_window = 256;
  int64_t reconnect_min_ms = 200;
  int64_t reconnect_max_ms = 30'000;
  int ack_batch = 256;    // acknowledgements read from the inbox per pass
  int ack_window = 2048;  // acknowledgements in flight (sent, unanswered) at most
  // A bare "received" waits this long for the sink's outcome, so that one
  // ACK carries both (Inbox::PendingAcks); 0 sends it at once.
  int64_t received_delay_ms = 10;
  int outbox_batch = 64;  // envelopes leased from the outbox per pass
  int64_t drain_timeout_ms = 5'000;
  // Signs acknowledgements beyond stage received; nullptr: sent without
  // (development mode). Must outlive the link.
  const identity::Signer* signer = nullptr;
  size_t max_envelope_bytes = 16u << 20;  // for reading stored envelopes
  // The sink worker's outcomes, written in the link's own inbox
  // transactions while a session is up (outcome_handoff.h); nullptr: none.
  // Must outlive the link.
  OutcomeHandoff* handoff = nullptr;
};

class GatewayLink {
 public:
  GatewayLink(GatewayLinkOptions options, zmq::context_t& context, Inbox& inbox, Outbox& outbox,
              std::function<void()> on_stored);
  ~GatewayLink();
  GatewayLink(const GatewayLink&) = delete;
  GatewayLink& operator=(const GatewayLink&) = delete;

  void Start();
  // Says acks or outbox entries are due; cuts a wait for frames short.
  void Notify();
  // Catalog updates were parked above a gap: ask for a snapshot (any thread).
  void RequestCatalogSnapshot() {
    catalog_check_ = true;
    work_ = true;
  }
  void Stop();
  LinkHealth Health() const;

 private:
  void Loop();
  // Serves one session until it ends (the Status says why) or Stop().
  Status Serve(protocol::Client& client);
  // One write per pass: reads every DELIVER already waiting (from `first`
  // on, if any), and stores them in one inbox transaction together with
  // the ack answers taken since the last write and the sink worker's
  // outcomes waiting in the handoff; then grants the credit back.
  Status StorePass(protocol::Client& client, std::optional<protocol::DecodedFrame> first);
  // After a write stored `batch` (`duplicate` per delivery): flags acks in
  // flight for redelivered messages, tells the sink worker, makes the
  // "received" acks due.
  void NoteStored(const std::vector<Delivery>& batch, const std::vector<bool>& duplicate);
  // Writes the ack answers taken but not yet written (alone: not fsynced).
  void FlushMarks();
  // Sends due acks not in flight yet, up to ack_window in flight.
  Status SendAcks(protocol::Client& client, int64_t deadline_ms);
  int64_t WallMs() const;
  // The signed Acknowledgement envelope for `a` (stages beyond received,
  // with a signer); empty when none is due or it cannot be built (logged;
  // the gateway then refuses the ACK if it requires one).
  std::string SignedAcknowledgement(const PendingAck& a);
  // Takes the ack answers the client read (to be marked sent in the
  // inbox by the pass's write); fails when one says the session is over or
  // an ack went unanswered for the request timeout.
  Status TakeAckAnswers(protocol::Client& client);
  // After Stop(): sends what is due and waits for the answers, until all
  // came or `deadline_ms`.
  Status DrainAcks(protocol::Client& client, int64_t deadline_ms);
  Status SendOutbox(protocol::Client& client, int64_t deadline_ms);
  // Asks for a catalog snapshot if one is wanted (see 4. above).
  Status AskCatalogSnapshot(protocol::Client& client);
  int64_t NextBackoffMs();
  // After a session ended because the inbox could not store deliveries
  // (`refused` says why; Health() reports it until the first check): waits,
  // backing off, until Inbox::CheckWritable() passes (with room for twice
  // the batch that failed, 1 MiB to 256 MiB), so that no session takes
  // deliveries that cannot be stored: each DELIVER is a delivery attempt at
  // the gateway, which dead-letters a message after its last. The first
  // wait grows with each failure in a row (reconnect_min_ms doubling up to
  // reconnect_max_ms) in case the check passes while stores still fail.
  // False when Stop() came first.
  bool WaitUntilInboxWritable(const Status& refused);
  // True when a pass with this deadline should stop sending.
  bool OutOfTime(int64_t deadline_ms) const;
  bool stopping() const { return stopping_.load(); }
  // Sleeps up to `ms`; true when Stop() came meanwhile.
  bool SleepFor(int64_t ms);

  const GatewayLinkOptions options_;
  zmq::context_t& context_;
  Inbox& inbox_;
  Outbox& outbox_;
  std::function<void()> on_stored_;

  int wake_fd_ = -1;  // eventfd: Notify() makes it readable, which ends a Receive wait
  std::atomic<bool> work_{true};
  std::atomic<bool> catalog_check_{true};
  std::atomic<bool> stopping_{false};
  std::mutex sleep_mu_;  // with sleep_cv_: wakes SleepFor on Stop
  std::condition_variable sleep_cv_;
  std::atomic<bool> connected_{false};
  mutable std::mutex health_mu_;
  Status inbox_wait_;  // guarded by health_mu_; see LinkHealth

  // Used by the link thread only.
  int failed_connects_ = 0;
  bool store_failed_ = false;        // this session ended because the inbox refused deliveries
  int store_failures_ = 0;           // sessions in a row that ended so
  uint64_t failed_batch_bytes_ = 0;  // the envelopes of the last batch refused
  // Credit of the window not granted yet in this session: after a failed
  // store the session starts with one, and each delivery stored earns one
  // more of these until none is left (see the header comment).
  uint32_t credit_withheld_ = 0;
  int64_t reconnect_after_ms_ = 0;  // the gateway's Bye.reconnectAfterMs
  int64_t outbox_pause_until_ms_ = 0;
  std::string last_outbox_error_;       // the last Lease failure logged; empty after a success
  int64_t ack_pause_until_ms_ = 0;      // no new acks before this (gateway overloaded)
  int64_t received_due_steady_ms_ = 0;  // a delayed "received" falls due then; 0 none
  // Where SendAcks reads on in the inbox's due acks (an ack number), and
  // whether the next pass starts from the beginning instead.
  uint64_t ack_cursor_ = 0;
  bool ack_full_scan_ = true;
  std::vector<MessageId> ack_rechecks_;  // due again; read by id on the next pass
  std::vector<SentAck> pending_marks_;   // answered acks, marked sent by the next write
  struct AckInFlight {
    MessageId id;
    schema::AckStage stage = schema::AckStage::UNSPECIFIED;
    uint64_t delivery_seq = 0;
    int64_t sent_steady_ms = 0;
    bool redelivered = false;  // delivered again meanwhile: stays due after the receipt
  };
  std::map<uint64_t, AckInFlight> acks_in_flight_;   // by requestTag, i.e. in sending order
  std::map<MessageId, uint64_t> ack_ids_in_flight_;  // message -> requestTag of its ack in flight (0: about to leave)
  // The most acks one ACKS frame carries (the gateway may allow fewer).
  static constexpr size_t kAcksPerFrame = 256;
  std::minstd_rand jitter_;
  std::thread thread_;
};

}  // namespace regline::connector
