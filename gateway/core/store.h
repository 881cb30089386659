// Store: the durable heart of the gateway and of the connector.
//
// One SQLite file (WAL mode) holds each accepted message once, and one
// delivery row per (message, recipient) that walks through the states below.
// Every call that returns ok has committed its change; with
// Durability::kFull the commit was fsynced first, so the change survives a
// crash of the process, the OS or the power. (After DeferSync() the fsync
// is the caller's: GroupCommitter makes it on its sync thread before it
// tells anyone.)
//
//   queued --Lease--> in_flight --Acknowledge(received)--> delivered
//     ^                  |                                  |
//     |   lease expires  |  Release (negative ack)          +--> accepted --> completed
//     +------------------+  (attempts < max)                +--> rejected
//   in_flight --(attempts reach max)--> dead_lettered --Replay--> queued
//   queued, never sent --(message expires)--> expired
//
// Order: Lease hands a recipient its due deliveries by priority (higher
// first), then in acceptance order. Each first transmission to a recipient
// gets the next number of that recipient's dense delivery sequence (1, 2,
// 3, ...); a re-send keeps its number. A delivery whose lease expires goes back
// to the queue with its place kept, so it comes out first again. One that was
// released by the recipient waits out its back-off, and later messages may
// pass it meanwhile.
//
// Quotas: a recipient's pending deliveries (queued and in flight) are capped,
// in all (default_quota, quotas) and per message family (quota_by_kind); a
// submission that would exceed any recipient's cap is refused whole with
// kOverloaded and nothing of it is stored.
//
// Audit: every state change the store makes appends an entry to its audit
// chain (audit_chain.h) in the same transaction: submitted, sent,
// acknowledged, released, requeued, dead_lettered, expired, replayed. A
// call that changes nothing (a duplicate submission or acknowledgement)
// appends nothing. AppendAudit records events from outside the store. The
// events and their texts are listed in docs/store.md, "Audit chain".
//
// Evidence: each message's envelope is kept byte for byte, and so is each
// signed Acknowledgement envelope a recipient sent with a stage
// (Acknowledgements()), for as long as the message row, which legal
// retention keeps for the policy's period and longer under a legal hold
// (PruneRetained, retention_ledger.h). `reglinectl evidence export`
// bundles them (docs/evidence.md).
//
// Threading: a Store is owned by one thread at a time and is not safe to
// call concurrently. In the daemons that thread is GroupCommitter's writer;
// other threads reach the store through it. The Store runs one thread of
// its own, a Checkpointer, on a separate connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/core/audit_chain.h"
#include "gateway/core/catalog_ledger.h"
#include "gateway/core/checkpointer.h"
#include "gateway/core/clock.h"
#include "gateway/core/directive_ledger.h"
#include "gateway/core/message_id.h"
#include "gateway/core/pending_counts.h"
#include "gateway/core/report_ledger.h"
#include "gateway/core/retention_ledger.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline {

enum class DeliveryState : int {
  kQueued = 0,        // waiting for the recipient
  kInFlight = 1,      // handed to the recipient under a lease
  kDelivered = 2,     // the recipient has it durably (stage "received")
  kAccepted = 3,      // the recipient took it on (stage "accepted")
  kCompleted = 4,     // the recipient did what it asks (stage "completed")
  kRejected = 5,      // the recipient refused it, with a reason
  kExpired = 6,       // its expiry passed before it was delivered
  kDeadLettered = 7,  // it failed max_attempts times; an operator may replay it
};
std::string_view DeliveryStateName(DeliveryState s);

enum class AckStage : int { kReceived = 0, kAccepted = 1, kCompleted = 2, kRejected = 3 };
std::string_view AckStageName(AckStage s);

enum class Durability {
  // Each commit fsyncs the write-ahead log before it is reported durable.
  // Nothing reported durable is lost on a process crash, an OS crash or a
  // power loss.
  kFull,
  // The log is fsynced only at checkpoints. A process crash loses nothing;
  // an OS crash or power loss may lose the commits since the last checkpoint
  // (up to ~wal_autocheckpoint pages of recent submissions and state
  // changes, although they were reported durable), never the database's
  // consistency. Only for deployments that accept that trade.
  kNormal,
};

struct StoreOptions {
  std::string path;                        // the SQLite file; created when absent
  Durability durability = Durability::kFull;
  int64_t default_quota = 100'000;         // pending deliveries per recipient
  std::map<std::string, int64_t> quotas;   // per-recipient overrides of default_quota
  // Per MessageKind ordinal: pending deliveries of that family per
  // recipient, on top of the recipient's quota (the policy's [families]
  // quota; Store::SetQuotaByKind changes it later). Absent: no family cap.
  std::map<int, FamilyQuota> quota_by_kind;
  int max_attempts = 10;                   // leases before a delivery is dead-lettered
  // Per MessageKind ordinal: max_attempts for that family instead (the
  // policy's [families]; Store::SetMaxAttemptsByKind changes it later).
  std::map<int, int> max_attempts_by_kind;
  int64_t retry_base_ms = 1'000;           // first back-off after a Release
  int64_t retry_max_ms = 300'000;          // back-off doubles up to this
  // The write-ahead log is copied into the database file by a background
  // thread once it holds this many pages (4 KiB each; 16 KiB in a store
  // made before 2026-12). Larger: fewer checkpoints, a larger log file
  // between them.
  int checkpoint_pages = 2048;
  // Names DirectiveAction ordinals in the directive ledger's errors (see
  // DirectiveLedger::ActionNamer); empty: numbers.
  DirectiveLedger::ActionNamer directive_action_name;
  // Keep the audit chain (see "Audit" above). The gateway does; the
  // connector's outbox, a private queue of one sender, does not, and saves
  // the rows.
  bool audit = true;
};

// What a sender hands in. `envelope` is kept byte for byte (it is evidence).
struct Submission {
  std::string sender;
  MessageId id;
  int kind = 0;                      // schema MessageKind ordinal
  int priority = 1;                  // higher is delivered first
  int64_t created_ms = 0;            // the sender's clock
  int64_t expires_ms = 0;            // 0: never expires
  MessageId correlation_id;          // zero: none
  std::vector<std::string> recipients;  // identities; groups already expanded
  std::string envelope;              // the serialized envelope, as received
  // Recipients (a subset of `recipients`) that are online with credit to
  // spare: for each one whose queue is empty, the delivery is stored
  // already leased for lease_ms with its next delivery number, so the
  // message leaves with its first transmission in the same transaction
  // (no separate Lease). With anything queued for that recipient, the
  // delivery is queued behind it as usual and per-recipient order holds.
  std::vector<std::string> lease_to;
  int64_t lease_ms = 0;
  // Directives only: the deadlines and lineage the gateway resolved
  // (directive_ledger.h), stored with the message. A lineage the ledger
  // refuses (DirectiveLedger::CheckLineage) refuses the submission.
  std::optional<DirectiveTerms> directive;
  // When `envelope` is not what the sender submitted (the gateway redacted
  // it: agreements), the SHA-256 of the envelope as submitted. A later
  // submission with the same sender and id is then a duplicate when its
  // submitted_digest matches, instead of comparing envelope bytes.
  std::string submitted_digest;
  // Catalog updates only: the version and base (catalog_ledger.h); a
  // version that is not the next on the current one refuses the
  // submission (kFailedPrecondition).
  std::optional<CatalogVersionTerms> catalog_version;
  // Compliance attestations with a catalogApplied item: the version the
  // sender attests it applied (recorded per platform, stale when older
  // than the current version).
  std::optional<uint64_t> attested_catalog_version;
  // Scheduled reports (complaint statistics, tax-assistance responses):
  // the kind and the scheduled period the report covers, recorded for the
  // sender (report_ledger.h). The first report per sender, kind and period
  // counts; a later one is stored as a message but changes no record.
  std::optional<ReportTerms> report;
};

// A delivery stored already leased by Submit (see Submission::lease_to).
struct DirectLease {
  std::string recipient;
  uint64_t delivery_seq = 0;
};

struct SubmitReceipt {
  uint64_t seq = 0;          // the gateway's sequence number for the message
  int64_t accepted_ms = 0;   // when it was first made durable
  bool duplicate = false;    // true: an earlier identical submission's receipt
  std::vector<DirectLease> leased;  // attempt 1 of each, to be transmitted now
};

// A delivery handed out under a lease.
struct LeasedDelivery {
  uint64_t seq = 0;           // the message's gateway sequence number
  uint64_t delivery_seq = 0;  // this recipient's delivery number: 1, 2, 3, ... kept on re-sends
  std::string recipient;
  int attempt = 0;  // 1 for the first delivery
  MessageId id;
  std::string sender;
  int kind = 0;
  int priority = 0;
  int64_t expires_ms = 0;
  std::string envelope;
};

// A recipient's signed Acknowledgement envelope, kept as evidence for as
// long as the message itself (see PruneRetained).
struct StoredAcknowledgement {
  std::string recipient;
  AckStage stage = AckStage::kReceived;  // the stage the acknowledgement stated
  int64_t recorded_ms = 0;               // when that stage was first recorded
  std::string envelope;                  // as received, byte for byte
};

struct AckReceipt {
  DeliveryState state = DeliveryState::kQueued;  // after the acknowledgement
  int64_t recorded_ms = 0;  // when this stage was first recorded
  bool duplicate = false;   // the stage had been recorded before
  // How late the stage came against the directive's deadline for it
  // (accepted/rejected: the acknowledgement deadline; completed: the
  // completion deadline); 0 when on time or untracked.
  int64_t late_ms = 0;
};

// One recipient's view of one message.
struct DeliveryStatus {
  uint64_t seq = 0;
  std::string recipient;
  DeliveryState state = DeliveryState::kQueued;
  int attempts = 0;
  int64_t queued_ms = 0;
  int64_t next_attempt_ms = 0;
  int64_t lease_until_ms = 0;
  int64_t received_ms = 0;   // 0: stage not reached
  int64_t accepted_ms = 0;
  int64_t completed_ms = 0;
  int64_t rejected_ms = 0;
  int64_t expired_ms = 0;
  int64_t dead_lettered_ms = 0;
  std::string reason;        // rejection reason or why it was dead-lettered
  uint64_t delivery_seq = 0; // 0: never sent
  MessageId message_id;      // of the message, for listings
  std::string sender;
  int kind = 0;
};

struct QueueDepth {
  std::string recipient;
  int64_t queued = 0;
  int64_t in_flight = 0;
  int64_t dead_lettered = 0;
  int64_t oldest_queued_ms = 0;  // 0: nothing queued
  // When the oldest delivery the recipient has not acknowledged (queued or
  // in flight) was queued; 0: none.
  int64_t oldest_unacknowledged_ms = 0;
};

class Store {
 public:
  // Opens or creates the store, runs any pending schema migrations and
  // rebuilds the in-memory quota counters. kCorruption for a file that is
  // not a Regline store, kFailedPrecondition for one from a newer Regline.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options, const Clock& clock);
  ~Store();

  // The current schema version this build writes.
  static int SchemaVersion();

  // Groups the calls that follow into one transaction, so that they share
  // one commit (and one fsync). Until Commit() their changes are not
  // durable, whatever they returned; each call is still atomic by itself
  // (a savepoint), so one failing call leaves the others' changes in.
  // Except: an acknowledgement that fails halfway (an I/O error between its
  // change and its audit entry) dooms the transaction; the calls after it
  // fail with its error and Commit() rolls everything back.
  Status Begin();
  // Commits what the calls since Begin() did. On failure nothing of it is
  // stored, the in-memory counters are rebuilt from disk, and the callers
  // must be told their results did not stick.
  Status Commit();
  // Undoes what the calls since Begin() did instead of committing it, and
  // returns `why`; the in-memory counters are rebuilt from disk, as after a
  // failed commit. (GroupCommitter's fence, see there.)
  Status Abandon(Status why);

  // Stores one submission atomically.
  Result<SubmitReceipt> Submit(const Submission& s);

  // Stores many submissions in one transaction (group commit): each gets its
  // own result. Validation failures (bad input, quota, reused id) fail only
  // their submission. A failure of the transaction itself (I/O, disk full)
  // fails every submission of the batch and nothing of it is stored.
  std::vector<Result<SubmitReceipt>> SubmitBatch(std::span<const Submission* const> batch);

  // Hands out up to `max` of `recipient`'s due deliveries, each leased until
  // now + lease_ms and counted as one attempt. A delivery never sent before
  // whose message has expired is marked expired instead; one sent before is
  // sent again whatever its expiry, since the recipient may hold it.
  //
  // With max_bytes > 0 it also stops once the envelopes read reach
  // max_bytes, so that a lease of large messages holds a bounded amount of
  // memory: at least one delivery is read, and at most one envelope past
  // the bound. `*stopped_at_bytes` (when given) says whether it stopped
  // there, in which case more may be due although fewer than `max` came.
  Result<std::vector<LeasedDelivery>> Lease(std::string_view recipient, int max, int64_t lease_ms, size_t max_bytes = 0,
                                            bool* stopped_at_bytes = nullptr);

  // Records a stage for (seq, recipient). Stages only move forward; a stage
  // already recorded returns its first receipt with duplicate = true.
  // kNotFound for an unknown delivery; kFailedPrecondition for completing a
  // rejected delivery or rejecting a completed one. `acknowledgement`, when
  // not empty, is the recipient's Acknowledgement envelope (checked by the
  // caller): it is kept with the stage when the stage is first recorded; a
  // duplicate keeps nothing new (Acknowledgements()).
  Result<AckReceipt> Acknowledge(uint64_t seq, std::string_view recipient, AckStage stage,
                                 std::string_view reason = {}, std::string_view acknowledgement = {});

  // The recipient could not take an in-flight delivery now: retry after
  // back-off, or dead-letter it when it has had max_attempts.
  Status Release(uint64_t seq, std::string_view recipient, std::string_view reason);

  // Returns in-flight deliveries whose lease has run out to the queue (or
  // the dead-letter queue at max_attempts). Returns how many it moved.
  Result<int> RequeueExpiredLeases();

  // Marks expired the deliveries of expired messages that were never sent.
  Result<int> ExpireDue();

  // Puts a dead-lettered (or expired) delivery back in the queue with a
  // fresh attempt count. kFailedPrecondition when it is in another state.
  Status Replay(uint64_t seq, std::string_view recipient);

  // Acknowledges by the recipient's delivery number (as the wire does). The
  // message id must match the delivery; kNotFound otherwise. Otherwise as
  // Acknowledge, `acknowledgement` included.
  Result<AckReceipt> AcknowledgeDelivery(std::string_view recipient, uint64_t delivery_seq, const MessageId& id,
                                         AckStage stage, std::string_view reason = {},
                                         std::string_view acknowledgement = {});

  // A recipient's session ended or resumed: its in-flight deliveries go back
  // to the queue at once, places kept (each already counted an attempt);
  // one that has had max_attempts is dead-lettered instead. Returns how
  // many were in flight.
  Result<int> RequeueInFlight(std::string_view recipient);

  // The recipient says it holds every delivery numbered up to `upto`
  // durably (Hello.resumeFrom): records stage received for those not yet
  // acknowledged. Returns how many it recorded. A resume point above the
  // last number given to `recipient` (a store restored from a backup older
  // than what the recipient holds) moves the numbering past it, audited as
  // delivery_seq_advanced: the next number given out is upto + 1, so none
  // repeats a number the recipient counts as held.
  Result<int> ReceivedUpTo(std::string_view recipient, uint64_t upto);

  // Appends an entry to the audit chain for an event outside the store
  // (identity_added, identity_revoked, policy_reloaded, session_refused:
  // docs/store.md), at the clock's now, atomically like every call. `event`
  // is lower-case letters, digits and '_' (kInvalidArgument otherwise);
  // `subject` and `detail` are kept verbatim.
  Status AppendAudit(std::string_view event, std::string_view subject, std::string_view detail);
  // The newest audit entry, as this store's transaction sees it.
  const AuditHead& AuditLogHead() const { return audit_->head(); }

  // Directives (directive_ledger.h). Overdue: the recipients of open
  // directives past a deadline now, oldest deadline first, at most `limit`
  // (0: all); with `unescalated_only`, only misses not yet escalated.
  Result<std::vector<OverdueItem>> Overdue(int limit, bool unescalated_only = false);
  // Stores `escalation` (a message from the gateway to the directive's
  // issuer) and records it as escalation `level` of `item`'s miss, in one
  // transaction. kAlreadyExists when that level was recorded before (then
  // nothing is stored).
  Result<SubmitReceipt> Escalate(const OverdueItem& item, int level, const Submission& escalation);
  // Directive `seq`'s tracked terms and lineage; kNotFound when it is not
  // a tracked directive.
  Result<DirectiveLineage> Lineage(uint64_t seq);
  // Escalations raised for (seq, recipient).
  Result<int> EscalationCount(uint64_t seq, std::string_view recipient);

  // The negative catalog (catalog_ledger.h): the current version, every
  // version, and each platform's latest catalogApplied attestation.
  Result<uint64_t> CatalogCurrent();
  Result<std::vector<CatalogVersionRow>> CatalogVersions();
  Result<std::vector<CatalogApplied>> CatalogAppliedByPlatform();
  // Scheduled reports (report_ledger.h): the one that counts for each
  // platform, kind and period, by platform, kind and period.
  Result<std::vector<ReportRow>> Reports();
  // The envelope of message `seq`, as received; kNotFound when none.
  Result<std::string> EnvelopeOf(uint64_t seq);

  // Legal retention (retention_ledger.h). Setting and lifting a hold are
  // audited (hold_added, hold_removed: subject = the held subject).
  // AddLegalHold: false when the subject was held already (unchanged).
  Result<bool> AddLegalHold(const LegalHold& hold);
  // RemoveLegalHold: false when there was no hold on `subject`.
  Result<bool> RemoveLegalHold(const std::string& subject, const std::string& by);
  Result<std::vector<LegalHold>> LegalHolds();
  // One retention pass, in one transaction: deletes up to `limit` messages
  // the rules let go (accepted more than `retention_ms` ago), with their
  // deliveries, evidence and directive rows, then the oldest audit entries
  // that may go, and appends a retention_pruned entry when anything went.
  Result<PruneCounts> PruneRetained(int64_t retention_ms, int limit);

  // Lookups for consoles.
  Result<uint64_t> FindSeq(std::string_view sender, const MessageId& id);
  // Any sender's message with this id (ids are 128-bit random: in practice
  // one); kNotFound when none.
  Result<uint64_t> FindSeqById(const MessageId& id);
  Result<std::vector<DeliveryStatus>> Deliveries(uint64_t seq);
  // The acknowledgement envelopes kept for message `seq`, by recipient, then
  // stage; empty when none was signed (or there is no such message).
  Result<std::vector<StoredAcknowledgement>> Acknowledgements(uint64_t seq);
  Result<std::vector<QueueDepth>> Depths();
  Result<std::vector<DeliveryStatus>> DeadLetters(std::string_view recipient, int limit);

  // Pending (queued + in flight) deliveries for `recipient`, from memory.
  int64_t Pending(std::string_view recipient) const { return pending_.Total(recipient); }
  // Likewise, only those of MessageKind ordinal `kind`.
  int64_t PendingOfKind(std::string_view recipient, int kind) const { return pending_.OfKind(recipient, kind); }
  // The last delivery number given to `recipient`; 0 before its first.
  uint64_t LastDeliverySeq(const std::string& recipient) const;

  const StoreOptions& options() const { return options_; }
  // Replaces options().max_attempts_by_kind (a reloaded policy).
  void SetMaxAttemptsByKind(std::map<int, int> by_kind) { options_.max_attempts_by_kind = std::move(by_kind); }
  // Replaces options().quota_by_kind (a reloaded policy). Deliveries already
  // queued stay; a lowered cap refuses new ones until the queue drains.
  void SetQuotaByKind(std::map<int, FamilyQuota> by_kind) { options_.quota_by_kind = std::move(by_kind); }
  // The transmissions a delivery of `kind` gets before it is dead-lettered.
  int MaxAttemptsFor(int kind) const;
  // Background checkpoints completed since Open, for tests and metrics.
  int CheckpointsCompleted() const { return checkpointer_->completed(); }

  // With Durability::kFull: from now on Commit() writes the log without
  // waiting for the disk (the connection runs at synchronous = NORMAL), and
  // the caller must call SyncLog() after a commit and before it tells anyone
  // of it. That lets one thread (GroupCommitter's) wait for the disk while
  // another runs the next transaction. False, with nothing changed, when
  // the store is not at kFull or its log file cannot be opened for syncing;
  // each commit then waits for the disk itself, as before.
  bool DeferSync();
  // fdatasync of the write-ahead log: when it returns ok, every commit that
  // returned before the call is durable (the log's frames are written in
  // order, and checkpoints sync the log before copying from it), provided
  // no earlier call failed: after a failure Linux may report later syncs
  // ok although pages from before them never reached the disk, so a caller
  // that saw one fail must not trust the log again (GroupCommitter fences
  // itself). Ok at once when syncs are not deferred. Safe from any thread.
  Status SyncLog() const;
  bool sync_deferred() const { return log_fd_ >= 0; }

  // A delivery row being moved between states (internal).
  struct RetryRow {
    uint64_t seq;
    std::string recipient;
    int attempts;
    MessageId id;           // for the audit entry
    uint64_t delivery_seq;  // likewise
    int kind;               // the message's MessageKind: which max_attempts applies
  };

 private:
  struct Statements;
  Store(StoreOptions options, const Clock& clock, Database db);

  template <typename Body>
  Status Atomically(Body&& body);
  template <typename Body>
  Status AtomicallyOrDoom(Body&& body);
  Status Prepare();
  Status StartCheckpointer();
  Status Migrate();
  Status LoadCounters();
  // ROLLBACK of the transaction Begin() opened, if it is still open.
  void RollBackOpenTransaction();
  // Rebuilds the counters and the audit head after a rollback; returns
  // `why`, or the reload's own failure (`when` says after what).
  Status Reload(Status why, const char* when);
  int64_t QuotaFor(std::string_view recipient) const;
  // Refuses (kOverloaded) a submission of `kind` that one more delivery to
  // `recipient` would put over a quota, counting `added` as pending too.
  Status CheckQuotas(const std::string& recipient, int kind, const PendingCounts& added) const;
  // `added`: deliveries added per recipient by this batch so far;
  // `next_seq`: the last delivery number given out per recipient by this
  // batch's direct leases (applied to last_delivery_seq_ once it holds).
  Result<SubmitReceipt> SubmitOne(const Submission& s, int64_t now, PendingCounts& added,
                                  std::unordered_map<std::string, uint64_t>& next_seq);
  // Reads what AcknowledgeDelivery needs from the current row of
  // find_by_number (or select_delivery, from column `first`) and records
  // the stage of delivery `delivery_seq` of message `id` (of MessageKind
  // `kind`).
  Result<AckReceipt> RecordAck(Statement& row, int first, uint64_t seq, int kind, std::string_view recipient,
                               const MessageId& id, uint64_t delivery_seq, AckStage stage, std::string_view reason,
                               std::string_view acknowledgement);
  // Appends the audit entry `event` about message `id` at `now`, with the
  // detail text built in audit_detail_ (AuditDetail in store.cc). Inside
  // the caller's transaction.
  Status AuditMessage(int64_t now, std::string_view event, const MessageId& id);
  Result<SubmitReceipt> ExistingReceipt(const Submission& s);
  Status ValidateSubmission(const Submission& s) const;
  int64_t BackoffMs(int attempts) const;
  // Requeues (or dead-letters, at max_attempts) the in-flight rows
  // `select` yields (bound by the caller) in one transaction; returns how
  // many it moved.
  Result<int> RequeueSelected(Statement& select, int64_t now, std::string_view reason);
  // Returns the rows it dead-lettered, which no longer count as pending.
  Result<PendingCounts> RetryOrDeadLetter(std::span<const RetryRow> rows, int64_t now, bool with_backoff,
                                          std::string_view reason);
  // After SubmitOne calls: saves the recipients' last delivery numbers
  // (inside the transaction), and once it holds, brings the in-memory
  // counters up to date.
  Status SaveDeliverySeqs(const std::unordered_map<std::string, uint64_t>& next_seq);
  void NoteSubmitted(const PendingCounts& added, const std::unordered_map<std::string, uint64_t>& next_seq);

  StoreOptions options_;
  const Clock& clock_;
  Database db_;
  std::unique_ptr<Statements> stmts_;
  std::unique_ptr<Checkpointer> checkpointer_;  // declared after db_: stops before it closes
  int log_fd_ = -1;                             // the -wal file, for SyncLog (DeferSync)
  std::unique_ptr<AuditAppender> audit_;         // its statements live on db_
  std::unique_ptr<DirectiveLedger> directives_;  // likewise
  std::unique_ptr<CatalogLedger> catalog_;       // likewise
  std::unique_ptr<ReportLedger> reports_;        // likewise
  std::unique_ptr<RetentionLedger> retention_;   // likewise
  std::string audit_detail_;                     // scratch for audit entries' detail text
  // Why the open transaction must be rolled back (see AtomicallyOrDoom);
  // ok when it need not. Cleared by Begin and Commit.
  Status doomed_;
  // Pending deliveries per recipient and family, mirrored from the table so
  // that quota checks cost no query. Changed only after the commit that
  // changes the table has succeeded.
  PendingCounts pending_;
  // Mirrors the recipients table, likewise changed only after a commit.
  std::unordered_map<std::string, uint64_t> last_delivery_seq_;
};

}  // namespace regline
