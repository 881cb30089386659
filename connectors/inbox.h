// Inbox: the connector's durable record of every message the gateway
// delivered to this platform, in its own SQLite file (<data_dir>/inbox.db).
//
// One row per message id (UNIQUE): the first delivery stores the envelope
// bytes; a redelivery of the same id stores nothing new but marks the
// acknowledgement as due again (the gateway re-sent it because it has no
// acknowledgement), so the platform's systems see each message once while
// the gateway still hears "received" again. Each row also carries the
// sink's outcome and the acknowledgement stage the gateway should hear
// (stage_wanted) against the one it confirmed (stage_sent): a stage is
// recorded here, durably, before it is sent, so that it is sent again after
// a crash.
//
// Resume point: the largest delivery number S such that every delivery
// numbered <= S is held durably (Hello.resumeFrom). Numbers held above a
// gap are kept apart until the gap fills.
//
// Stages only move forward: received < accepted < completed, and rejected
// after received or accepted; completed and rejected exclude each other.
//
// A failed fsync of a commit fences the inbox until the connector
// restarts: that commit is rolled back, and every later write (deliveries,
// outcomes, stages, marks) is refused with the same kIOError. Linux may
// report the next fsync ok without having written the pages that failed,
// among them earlier commits' frames (acknowledgement marks commit without
// a sync of their own), so no later commit could be vouched for; a restart
// recovers the log from what the disk holds. (The gateway's store and the
// outbox fence themselves the same way, see group_commit.h.) Other write
// failures (a full disk) fail only the write.
//
// Threads: every write takes the inbox's mutex, the reads of committed rows
// (NextBatchForSink, PendingAcks, PendingAcksFor, StoredEnvelope, List) the
// read connection's, and CatalogHeld reads an atomic mirror, so any
// thread may call any method (the gateway link writes deliveries, ack marks
// and, through outcome_handoff.h, the sink worker's outcomes; the webhook
// worker records its own outcomes; the local endpoint records stages set
// by hand). Every call that returns ok has committed; with
// Durability::kFull the commit was fsynced, except one holding only ack
// marks (MarkAcksSent, or a Write with nothing else; see there).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/core/checkpointer.h"
#include "gateway/core/clock.h"
#include "gateway/core/message_id.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "schemas/acknowledgement.capnp.h"

namespace regline::connector {

// "RGLC" in ASCII: PRAGMA application_id of a connector inbox (the
// gateway's store is "RGLN"; neither opens the other's file).
inline constexpr int kInboxApplicationId = 0x52474C43;

struct InboxOptions {
  std::string path;  // the SQLite file; created when absent
  Durability durability = Durability::kFull;
  int checkpoint_pages = 2048;  // WAL size that wakes the background checkpointer
};

// One DELIVER as it came off the wire.
struct Delivery {
  uint64_t delivery_seq = 0;
  uint32_t attempt = 0;
  MessageId id;
  int kind = 0;          // schema MessageKind ordinal
  std::string envelope;  // exact bytes
};

// What the sink worker is handed: a held message, never handed over before
// with a final outcome.
struct InboxMessage {
  uint64_t delivery_seq = 0;  // the number it first arrived with
  uint32_t attempt = 0;       // the attempt it first arrived with
  MessageId id;
  int kind = 0;
  std::string envelope;
  int64_t received_ms = 0;
};

// What the sink decided. (sink_state 4 in the file is a parked catalog
// update, set through CatalogProgress, never a verdict.) kUndeliverable:
// the webhook sink gave up (max attempts or the message's expiry) without
// the platform's systems ever answering; the stage stays "received", so the
// gateway's deadlines keep running, and the row stays for the operator.
enum class SinkVerdict : int { kAccepted = 1, kCompleted = 2, kRejected = 3, kUndeliverable = 5 };
std::string_view SinkVerdictName(SinkVerdict v);

// One sink outcome to record.
struct SinkOutcomeRecord {
  MessageId id;
  SinkVerdict verdict = SinkVerdict::kAccepted;
  std::string reason;
  int64_t decided_ms = 0;  // when the sink answered (inbox clock); 0: when recorded
  // For kRejected: the code the gateway hears (unspecified: other).
  schema::RejectReason reason_code = schema::RejectReason::UNSPECIFIED;
};

// What a sink pass changed about the negative catalog (catalog_order.h),
// recorded with its outcomes.
struct CatalogProgress {
  // The version the sink now holds; 0 = unchanged. When it changes, every
  // parked update is handed back to the sink queue to be judged again.
  uint64_t held = 0;
  // Updates to park (out of the sink queue until the version held changes).
  std::vector<MessageId> park;
  bool empty() const { return held == 0 && park.empty(); }
};

// An acknowledgement the gateway has not confirmed yet.
struct PendingAck {
  MessageId id;
  uint64_t delivery_seq = 0;  // the number to acknowledge (the latest it came with)
  schema::AckStage stage = schema::AckStage::RECEIVED;
  schema::RejectReason reason_code = schema::RejectReason::UNSPECIFIED;
  std::string reason;
  int64_t at_ms = 0;  // when the stage was reached
};

// An acknowledgement the gateway answered.
struct SentAck {
  MessageId id;
  schema::AckStage stage = schema::AckStage::RECEIVED;
  std::string error;  // empty: confirmed; else why it was refused for good
};

// The answer to RecordStage.
struct StageReceipt {
  schema::AckStage stage = schema::AckStage::RECEIVED;  // the stage now wanted (may be later than asked)
  int64_t recorded_ms = 0;                              // when the asked stage (or the later one held) was recorded
  bool duplicate = false;                               // the stage, or a later one, was already recorded
};

// A held message with where it stands (the local HTTP API lists these).
struct InboxEntry {
  InboxMessage message;
  // 0 waiting for the sink, then SinkVerdict's values, 4 a parked catalog
  // update (see SinkVerdict).
  int sink_state = 0;
  std::string sink_reason;
  int64_t sink_ms = 0;
  schema::AckStage stage_wanted = schema::AckStage::RECEIVED;   // what the gateway should hear
  schema::AckStage stage_sent = schema::AckStage::UNSPECIFIED;  // what it confirmed
};

// Counters for logs and tests.
struct InboxCounts {
  int64_t messages = 0;       // rows
  int64_t awaiting_sink = 0;  // no sink outcome yet
  int64_t pending_acks = 0;   // stage_wanted != stage_sent
  int64_t parked = 0;         // catalog updates parked above a gap
  int64_t undeliverable = 0;  // the webhook sink gave up on them (SinkVerdict::kUndeliverable)
};

// Everything one writer has for the inbox at once (Inbox::Write): the
// gateway's answers to acknowledgements, the sink's outcomes with the
// catalog's progress, and new deliveries.
struct WriteBatch {
  std::span<const Delivery> deliveries;
  std::span<const SentAck> sent;
  std::span<const SinkOutcomeRecord> outcomes;
  CatalogProgress catalog;
};

class Inbox {
 public:
  // Opens or creates the inbox and runs its migrations. kCorruption for a
  // file that is not a connector inbox; kFailedPrecondition for one from a
  // newer Regline; kIOError when WAL mode is unavailable.
  static Result<std::unique_ptr<Inbox>> Open(const InboxOptions& options, const Clock& clock);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Stores the batch in one transaction (one fsync). For each delivery,
  // true when its message id was already held (a duplicate: nothing stored
  // but the acknowledgement made due again). A failed transaction stores
  // nothing of the batch.
  Result<std::vector<bool>> Insert(std::span<const Delivery> batch);

  // Hello.resumeFrom: every delivery numbered <= this is held durably.
  uint64_t ResumePoint() const;

  // SQLite's `synchronous` level on the writing connection between writes:
  // 2 (FULL, an fsync per commit) with Durability::kFull, 1 (NORMAL) with
  // kNormal. For the tests and diagnostics.
  Result<int64_t> SynchronousLevel();

  // The held message with the lowest delivery number that has no sink
  // outcome yet; nullopt when there is none.
  Result<std::optional<InboxMessage>> NextForSink();
  // Up to `limit` such messages numbered above `after_delivery_seq`, lowest
  // delivery number first.
  Result<std::vector<InboxMessage>> NextBatchForSink(int limit, uint64_t after_delivery_seq = 0);

  // Records the sink's outcome and raises the wanted stage to match
  // (accepted, completed, or rejected with RejectReason::OTHER and
  // `reason`). A stage already set further by hand is kept (the outcome is
  // still recorded). kNotFound for an unknown id.
  Status RecordSinkOutcome(const MessageId& id, SinkVerdict verdict, std::string_view reason);
  // The same for several outcomes, all in one transaction (one fsync): all
  // are recorded or none.
  // `catalog` is recorded in the same transaction.
  Status RecordSinkOutcomes(std::span<const SinkOutcomeRecord> outcomes, const CatalogProgress& catalog = {});

  // The negative catalog's version the sink holds (0: none yet), and how
  // many updates are parked above a gap.
  uint64_t CatalogHeld() const;
  Result<int64_t> CatalogParked();

  // A stage set by the platform's people (local ACK). `delivery_seq` 0 =
  // identify by id alone; otherwise it must match. kNotFound for an unknown
  // message or a mismatched number, kInvalidArgument for an unspecified
  // stage, kFailedPrecondition for completed after rejected or the reverse.
  Result<StageReceipt> RecordStage(const MessageId& id, uint64_t delivery_seq, schema::AckStage stage,
                                   schema::RejectReason reason_code, std::string_view reason, int64_t at_ms);

  // Up to `limit` acknowledgements the gateway has not confirmed, in
  // delivery order.
  // Up to `limit` acknowledgements the gateway has not confirmed, with an
  // ack number (the latest delivery number) above `after_ack_seq`, in that
  // order. A reader that remembers how far it got reads on from there; a
  // row that falls due again behind that point is named by
  // TakeAckRechecks().
  Result<std::vector<PendingAck>> PendingAcks(int limit, uint64_t after_ack_seq = 0);
  // The acknowledgements due for these ids (those not due are left out), in
  // delivery order.
  Result<std::vector<PendingAck>> PendingAcksFor(std::span<const MessageId> ids);
  // Ids whose acknowledgement fell due again since the last call where a
  // PendingAcks reader may have passed already: redelivered, raised after
  // the gateway confirmed an earlier stage, or raised while one was on its
  // way (MarkAcksSent saw the wanted stage differ). Each one committed.
  std::vector<MessageId> TakeAckRechecks();

  // The gateway confirmed each `stage` for its `id` (or refused it for
  // good, with `error` saying why), all recorded in one transaction: they
  // are not sent again unless a later stage is recorded or the message is
  // delivered again. The one commit that is not fsynced on its own (a
  // crash may undo it; the acks are then sent again).
  Status MarkAcksSent(std::span<const SentAck> sent);

  // MarkAcksSent, RecordSinkOutcomes and Insert in one transaction, in
  // that order: one commit (fsynced unless it holds only acknowledgement
  // marks) instead of three. The gateway link writes this way, so that a
  // pass writes each page it touches once. All or nothing; the answer is
  // Insert's.
  Result<std::vector<bool>> Write(const WriteBatch& batch);

  Result<InboxCounts> Counts();

  // Ok once the inbox takes writes again after a failure: the file system
  // holding it has at least `headroom_bytes` free, and a transaction that
  // changes nothing but writes a page of the log commits (fsynced at
  // Durability::kFull). kNoSpace or the commit's failure when not; the
  // fence's status when fenced. The gateway link asks before it takes more
  // deliveries after a failed write. (On a full disk the page alone may
  // still fit where the failed write had already grown the log, hence the
  // headroom.)
  Status CheckWritable(uint64_t headroom_bytes = 0);

  // The fence's status once a commit's fsync failed (see above); ok
  // before. Never waits for a write in progress.
  Status fence() const;

  // Retention: deletes up to `limit` messages received before `before_ms`
  // whose story is over here (the sink decided: accepted, completed,
  // rejected or undeliverable; and the gateway confirmed the last stage
  // recorded for it), oldest first, in one transaction. Messages still
  // waiting for the sink, parked, or with an acknowledgement due are kept
  // whatever their age. The resume point is not touched, so a pruned
  // message is not asked for again. The number deleted.
  Result<int> Prune(int64_t before_ms, int limit);

  // Up to `limit` held messages numbered above `after_delivery_seq`, in
  // delivery order, whatever their state. Reads committed rows only.
  Result<std::vector<InboxEntry>> List(uint64_t after_delivery_seq, int limit);

  // The exact envelope bytes held for `id` (for building its signed
  // acknowledgement). kNotFound for an id the inbox does not hold.
  Result<std::string> StoredEnvelope(const MessageId& id);

 private:
  struct Statements;
  Inbox(InboxOptions options, const Clock& clock, Database db);

  Status Prepare();
  Status LoadResumePoint();
  Status Begin();
  Status Commit();
  void Rollback();
  // Keeps the transaction's rechecks when it committed, drops them if not.
  void FinishRechecks(bool committed);
  // The parts of Write(); the caller holds mu_ inside a transaction.
  struct InsertPlan {
    uint64_t upto = 0;            // the resume point once committed
    std::set<uint64_t> added;     // numbers held above it
    std::vector<bool> duplicate;  // per delivery
  };
  Status InsertRows(std::span<const Delivery> batch, int64_t now, InsertPlan& plan);
  void ApplyInsert(std::span<const Delivery> batch, const InsertPlan& plan);  // after the commit
  Status UpdateOutcomes(std::span<const SinkOutcomeRecord> outcomes, const CatalogProgress& catalog, int64_t now);
  Status UpdateMarks(std::span<const SentAck> sent);
  Result<StageReceipt> RaiseStage(const MessageId& id, uint64_t delivery_seq, schema::AckStage stage,
                                  schema::RejectReason reason_code, std::string_view reason, int64_t at_ms);

  const InboxOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;  // guards everything below but reader_
  Database db_;
  // Read-only connection for NextBatchForSink and PendingAcks (what they
  // return was committed), so that they never wait for a write's fsync.
  std::mutex read_mu_;  // guards reader_ and its statements
  Database reader_;
  std::unique_ptr<Checkpointer> checkpointer_;  // before the connections close
  std::unique_ptr<Statements> stmts_;  // last: finalized before either connection closes
  // Mirrors the resume table; changed only after a commit succeeds.
  uint64_t held_upto_ = 0;
  // Mirrors catalog.held_version; written under mu_ after a commit, read
  // without it (CatalogHeld), so that the sink worker never waits for a
  // write in progress to learn it.
  std::atomic<uint64_t> catalog_held_{0};
  std::set<uint64_t> held_above_;
  std::vector<MessageId> tx_rechecks_;   // noted in the open transaction
  std::vector<MessageId> ack_rechecks_;  // committed, for TakeAckRechecks
  // Set once, by the commit whose fsync failed, before fenced_ (which
  // lets fence() read it without the mutex).
  Status fence_;
  std::atomic<bool> fenced_{false};
};

}  // namespace regline::connector
