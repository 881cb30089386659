#include "connectors/inbox.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <array>
#include <filesystem>

#include "connectors/inbox_schema.h"
#include "gateway/core/checkpointer.h"
#include "gateway/core/log.h"

namespace regline::connector {

std::string_view SinkVerdictName(SinkVerdict v) {
  switch (v) {
    case SinkVerdict::kAccepted:
      return "accepted";
    case SinkVerdict::kCompleted:
      return "completed";
    case SinkVerdict::kRejected:
      return "rejected";
    case SinkVerdict::kUndeliverable:
      return "undeliverable";
  }
  return "unknown";
}

namespace {

using schema::AckStage;

// received < accepted < completed; rejected is final like completed.
int Rank(AckStage s) {
  switch (s) {
    case AckStage::RECEIVED:
      return 1;
    case AckStage::ACCEPTED:
      return 2;
    case AckStage::COMPLETED:
    case AckStage::REJECTED:
      return 3;
    default:
      return 0;
  }
}

bool Conflicts(AckStage asked, AckStage held) {
  if (held == AckStage::REJECTED) return asked == AckStage::ACCEPTED || asked == AckStage::COMPLETED;
  return held == AckStage::COMPLETED && asked == AckStage::REJECTED;
}

AckStage StageFor(SinkVerdict v) {
  switch (v) {
    case SinkVerdict::kAccepted:
      return AckStage::ACCEPTED;
    case SinkVerdict::kCompleted:
      return AckStage::COMPLETED;
    case SinkVerdict::kRejected:
      return AckStage::REJECTED;
    case SinkVerdict::kUndeliverable:
      return AckStage::RECEIVED;  // never raises the stage: the platform has not seen it
  }
  return AckStage::ACCEPTED;
}

// Statement::BindBlob does not copy: the key must outlive the statement's
// run, so callers keep it in a local.
using IdKey = std::array<uint8_t, 16>;
void BindId(Statement& st, int index, const IdKey& key) { st.BindBlob(index, key.data(), key.size()); }

std::string Bytes(std::span<const uint8_t> blob) {
  return std::string(reinterpret_cast<const char*>(blob.data()), blob.size());
}

}  // namespace

struct Inbox::Statements {
  // No RETURNING on the hot path: SQLite runs such a statement into an
  // ephemeral table of its own (a b-tree opened and closed per run), which
  // cost the link about a tenth of its time.
  Statement insert, insert_envelope, redeliver, select_stage, update_stage, update_sink, mark_sent, mark_sent_raised;
  Statement add_held_above, remove_held_above, save_held_upto;
  Statement park, unpark_all, save_catalog_held;
  // On the read connection.
  Statement next_for_sink, pending_acks, pending_ack_of, envelope_of;
};

Inbox::Inbox(InboxOptions options, const Clock& clock, Database db)
    : options_(std::move(options)), clock_(clock), db_(std::move(db)) {}

Inbox::~Inbox() = default;

Result<std::unique_ptr<Inbox>> Inbox::Open(const InboxOptions& options, const Clock& clock) {
  Result<Database> db = Database::Open(options.path);
  if (!db.ok()) return db.status();
  std::unique_ptr<Inbox> inbox(new Inbox(options, clock, std::move(db).value()));
  Status s = inbox_schema::PrepareDatabase(inbox->db_, options.durability == Durability::kFull);
  if (s.ok()) {
    // A second connection for the sink's and the link's reads: in WAL mode
    // it reads the last commit without waiting for a write (and its fsync)
    // in progress on the first.
    Result<Database> reader = Database::Open(options.path);
    if (!reader.ok()) return reader.status().WithContext("opening inbox " + options.path);
    inbox->reader_ = std::move(reader).value();
    s = inbox->reader_.Exec("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -32768");
  }
  if (s.ok()) {
    // Checkpoints on a thread of their own, not inside the link's or the
    // sink worker's commits (see gateway/core/checkpointer.h).
    Result<std::unique_ptr<Checkpointer>> c = Checkpointer::Start(options.path, options.checkpoint_pages);
    if (!c.ok()) return c.status().WithContext("opening inbox " + options.path);
    inbox->checkpointer_ = std::move(c).value();
    inbox->checkpointer_->Attach(inbox->db_.get());
  }
  if (s.ok()) s = inbox->Prepare();
  if (s.ok()) s = inbox->LoadResumePoint();
  if (!s.ok()) return s.WithContext("opening inbox " + options.path);
  return inbox;
}

Result<int64_t> Inbox::SynchronousLevel() {
  std::lock_guard lock(mu_);
  return db_.QueryInt("PRAGMA synchronous");  // prepared anew: the level now, not at some earlier prepare
}

Status Inbox::Prepare() {
  stmts_ = std::make_unique<Statements>();
  const std::pair<Statement*, const char*> sql[] = {
      {&stmts_->insert,
       "INSERT INTO inbox(message_id, delivery_seq, ack_seq, attempt, kind, received_ms, stage_ms) "
       "VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(message_id) DO NOTHING"},
      {&stmts_->insert_envelope, "INSERT INTO envelopes(row_id, envelope) VALUES (?1, ?2)"},
      {&stmts_->redeliver,
       "UPDATE inbox SET ack_seq = ?2, deliveries = deliveries + 1, stage_sent = 0 WHERE message_id = ?1"},
      {&stmts_->select_stage,
       "SELECT stage_wanted, stage_ms, delivery_seq, ack_seq, stage_sent FROM inbox WHERE message_id = ?1"},
      {&stmts_->update_stage,
       "UPDATE inbox SET stage_wanted = ?2, stage_ms = ?3, reason_code = ?4, reason = ?5 WHERE message_id = ?1"},
      // The sink's outcome and, when ?7 says so (UpdateOutcomes compares
      // the ranks with the row's stage read just before), the wanted stage
      // raised to match.
      {&stmts_->update_sink,
       "UPDATE inbox SET sink_state = ?2, sink_reason = ?3, sink_ms = ?4, "
       "stage_wanted = CASE WHEN ?7 THEN ?5 ELSE stage_wanted END, "
       "stage_ms = CASE WHEN ?7 THEN ?4 ELSE stage_ms END, "
       "reason_code = CASE WHEN ?7 THEN ?6 ELSE reason_code END, "
       "reason = CASE WHEN ?7 THEN ?3 ELSE reason END WHERE message_id = ?1"},
      {&stmts_->next_for_sink,
       "SELECT i.delivery_seq, i.attempt, i.message_id, i.kind, e.envelope, i.received_ms "
       "FROM inbox i CROSS JOIN envelopes e ON e.row_id = i.row_id "
       "WHERE i.sink_state = 0 AND i.delivery_seq > ?2 ORDER BY i.delivery_seq LIMIT ?1"},
      {&stmts_->pending_acks,
       "SELECT message_id, ack_seq, stage_wanted, reason_code, reason, stage_ms FROM inbox "
       "WHERE stage_wanted <> stage_sent AND ack_seq > ?2 ORDER BY ack_seq LIMIT ?1"},
      {&stmts_->pending_ack_of,
       "SELECT message_id, ack_seq, stage_wanted, reason_code, reason, stage_ms FROM inbox "
       "WHERE message_id = ?1 AND stage_wanted <> stage_sent"},
      {&stmts_->envelope_of,
       "SELECT e.envelope FROM inbox i CROSS JOIN envelopes e ON e.row_id = i.row_id WHERE i.message_id = ?1"},
      {&stmts_->mark_sent,
       "UPDATE inbox SET stage_sent = ?2, ack_error = ?3 WHERE message_id = ?1 AND stage_wanted = ?2"},
      {&stmts_->mark_sent_raised, "UPDATE inbox SET stage_sent = ?2, ack_error = ?3 WHERE message_id = ?1"},
      {&stmts_->add_held_above, "INSERT OR IGNORE INTO held_above(delivery_seq) VALUES (?1)"},
      {&stmts_->remove_held_above, "DELETE FROM held_above WHERE delivery_seq <= ?1"},
      {&stmts_->save_held_upto, "UPDATE resume SET held_upto = ?1 WHERE id = 1"},
      {&stmts_->park, "UPDATE inbox SET sink_state = 4 WHERE message_id = ?1 AND sink_state = 0"},
      {&stmts_->unpark_all, "UPDATE inbox SET sink_state = 0 WHERE sink_state = 4"},
      {&stmts_->save_catalog_held, "UPDATE catalog SET held_version = ?1, held_ms = ?2 WHERE id = 1"},
  };
  for (const auto& [stmt, text] : sql) {
    Result<Statement> prepared =
        (stmt == &stmts_->next_for_sink || stmt == &stmts_->pending_acks || stmt == &stmts_->pending_ack_of ||
         stmt == &stmts_->envelope_of)
            ? reader_.Prepare(text)
            : db_.Prepare(text);
    if (!prepared.ok()) return prepared.status();
    *stmt = std::move(prepared).value();
  }
  return Status::Ok();
}

Status Inbox::LoadResumePoint() {
  Result<int64_t> upto = db_.QueryInt("SELECT held_upto FROM resume WHERE id = 1");
  if (!upto.ok()) return upto.status();
  held_upto_ = static_cast<uint64_t>(*upto);
  Result<int64_t> catalog = db_.QueryInt("SELECT held_version FROM catalog WHERE id = 1");
  if (!catalog.ok()) return catalog.status();
  catalog_held_ = static_cast<uint64_t>(*catalog);
  Result<Statement> above = db_.Prepare("SELECT delivery_seq FROM held_above ORDER BY delivery_seq");
  if (!above.ok()) return above.status();
  for (;;) {
    Result<bool> row = above->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    held_above_.insert(static_cast<uint64_t>(above->ColumnInt64(0)));
  }
  return Status::Ok();
}

Status Inbox::Begin() {
  if (fenced_.load(std::memory_order_acquire)) return fence_;
  return db_.Exec("BEGIN IMMEDIATE");
}

Status Inbox::Commit() {
  if (sqlite3_get_autocommit(db_.get())) {
    return IOError("the inbox transaction was rolled back by SQLite after an earlier failure");
  }
  Status s = db_.Exec("COMMIT");
  if (!s.ok()) {
    const int failure = sqlite3_extended_errcode(db_.get());
    Rollback();
    if (failure == SQLITE_IOERR_FSYNC || failure == SQLITE_IOERR_DIR_FSYNC) {
      fence_ = s.WithContext(
          "the inbox's log could not be made durable, so the connector stores nothing more until it is "
          "restarted (check the disk first)");
      fenced_.store(true, std::memory_order_release);
      Log(LogLevel::kError, "inbox_fenced", {{"error", fence_.ToString()}});
      return fence_;
    }
  }
  return s;
}

Status Inbox::fence() const {
  // Without the mutex, which a write holds through its fsync: the systemd
  // watchdog ping asks, and must not wait for a stalled disk.
  return fenced_.load(std::memory_order_acquire) ? fence_ : Status::Ok();
}

Status Inbox::CheckWritable(uint64_t headroom_bytes) {
  std::lock_guard lock(mu_);
  if (fenced_.load(std::memory_order_acquire)) return fence_;
  if (headroom_bytes > 0) {
    const std::filesystem::path dir = std::filesystem::path(options_.path).parent_path();
    struct statvfs fs {};
    if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0) {
      const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
      if (free_bytes < headroom_bytes) {
        return Status(StatusCode::kNoSpace, std::to_string(free_bytes) + " bytes free beside the inbox, " +
                                                std::to_string(headroom_bytes) + " wanted");
      }
    }
  }
  Status s = Begin();
  // The same row there and back: the page is written although nothing
  // changes (SQLite skips a write that leaves a row's bytes as they were).
  if (s.ok()) {
    s = db_.Exec(
        "UPDATE resume SET held_upto = held_upto + 1 WHERE id = 1; "
        "UPDATE resume SET held_upto = held_upto - 1 WHERE id = 1");
  }
  if (s.ok()) s = Commit();
  Rollback();
  return s;
}

void Inbox::Rollback() {
  if (!sqlite3_get_autocommit(db_.get())) (void)db_.Exec("ROLLBACK");
}

Result<std::vector<bool>> Inbox::Insert(std::span<const Delivery> batch) {
  Result<std::vector<bool>> stored = Write(WriteBatch{batch, {}, {}, {}});
  if (!stored.ok())
    return stored.status().WithContext("storing " + std::to_string(batch.size()) + " deliveries in the inbox");
  return stored;
}

// Caller holds mu_ and has opened a transaction.
Status Inbox::InsertRows(std::span<const Delivery> batch, int64_t now, InsertPlan& plan) {
  plan.upto = held_upto_;
  plan.added.clear();
  plan.duplicate.clear();
  plan.duplicate.reserve(batch.size());
  auto held = [&](uint64_t seq) { return held_above_.count(seq) > 0 || plan.added.count(seq) > 0; };
  for (const Delivery& d : batch) {
    const IdKey key = d.id.ToBytes();
    Statement& ins = stmts_->insert;
    ins.Reset();
    BindId(ins, 1, key);
    ins.Bind(2, static_cast<int64_t>(d.delivery_seq))
        .Bind(3, static_cast<int64_t>(d.attempt))
        .Bind(4, static_cast<int64_t>(d.kind))
        .Bind(5, now);
    REGLINE_RETURN_IF_ERROR(ins.Run());
    const bool duplicate = db_.Changes() == 0;
    if (!duplicate) {
      Statement& env = stmts_->insert_envelope;
      env.Reset();
      env.Bind(1, sqlite3_last_insert_rowid(db_.get())).BindBlob(2, d.envelope.data(), d.envelope.size());
      REGLINE_RETURN_IF_ERROR(env.Run());
    } else {
      // Held already: the gateway delivered it again (under a new number).
      Statement& again = stmts_->redeliver;
      again.Reset();
      BindId(again, 1, key);
      again.Bind(2, static_cast<int64_t>(d.delivery_seq));
      REGLINE_RETURN_IF_ERROR(again.Run());
      if (db_.Changes() != 1) return Internal("inbox redelivery matched no row");
    }
    plan.duplicate.push_back(duplicate);
    if (d.delivery_seq > plan.upto && !held(d.delivery_seq)) plan.added.insert(d.delivery_seq);
    while (held(plan.upto + 1)) ++plan.upto;
  }
  for (auto it = plan.added.upper_bound(plan.upto); it != plan.added.end(); ++it) {
    Statement& add = stmts_->add_held_above;
    add.Reset();
    add.Bind(1, static_cast<int64_t>(*it));
    REGLINE_RETURN_IF_ERROR(add.Run());
  }
  if (plan.upto != held_upto_) {
    Statement& save = stmts_->save_held_upto;
    save.Reset();
    save.Bind(1, static_cast<int64_t>(plan.upto));
    REGLINE_RETURN_IF_ERROR(save.Run());
    Statement& remove = stmts_->remove_held_above;
    remove.Reset();
    remove.Bind(1, static_cast<int64_t>(plan.upto));
    REGLINE_RETURN_IF_ERROR(remove.Run());
  }
  return Status::Ok();
}

// Caller holds mu_; the transaction holding InsertRows committed.
void Inbox::ApplyInsert(std::span<const Delivery> batch, const InsertPlan& plan) {
  held_upto_ = plan.upto;
  held_above_.erase(held_above_.begin(), held_above_.upper_bound(plan.upto));
  held_above_.insert(plan.added.upper_bound(plan.upto), plan.added.end());
  // A redelivery made its row's acknowledgement due again under a number
  // a PendingAcks reader may already have passed.
  for (size_t i = 0; i < batch.size(); ++i) {
    if (plan.duplicate[i]) ack_rechecks_.push_back(batch[i].id);
  }
}

Result<std::vector<bool>> Inbox::Write(const WriteBatch& w) {
  if (w.deliveries.empty() && w.outcomes.empty() && w.catalog.empty() && w.sent.empty()) return std::vector<bool>();
  std::lock_guard lock(mu_);
  // Acknowledgement marks alone are not fsynced (see MarkAcksSent); with
  // anything else the commit is.
  const bool relax =
      options_.durability == Durability::kFull && w.deliveries.empty() && w.outcomes.empty() && w.catalog.empty();
  // Fresh statements, not prepared ones: SQLite applies a PRAGMA
  // synchronous when it prepares the statement, so a prepared one would
  // set its level at Prepare() (overriding the configured durability) and
  // again only from its second run on.
  if (relax) REGLINE_RETURN_IF_ERROR(db_.Exec("PRAGMA synchronous = NORMAL"));
  struct Restore {
    Database& db;
    bool on;
    ~Restore() {
      if (on) (void)db.Exec("PRAGMA synchronous = FULL");
    }
  } restore{db_, relax};
  const int64_t now = clock_.NowMs();
  InsertPlan plan;
  REGLINE_RETURN_IF_ERROR(Begin());
  // In the order things happened: the gateway's answers and the sink's
  // outcomes were taken before the deliveries now being stored.
  Status s = UpdateMarks(w.sent);
  if (s.ok()) s = UpdateOutcomes(w.outcomes, w.catalog, now);
  if (s.ok()) s = InsertRows(w.deliveries, now, plan);
  if (s.ok()) s = Commit();
  FinishRechecks(s.ok());
  if (!s.ok()) {
    Rollback();
    return s;
  }
  if (w.catalog.held != 0) catalog_held_ = w.catalog.held;
  ApplyInsert(w.deliveries, plan);
  return std::move(plan.duplicate);
}

uint64_t Inbox::ResumePoint() const {
  std::lock_guard lock(mu_);
  return held_upto_;
}

Result<std::optional<InboxMessage>> Inbox::NextForSink() {
  Result<std::vector<InboxMessage>> one = NextBatchForSink(1);
  if (!one.ok()) return one.status();
  if (one->empty()) return std::optional<InboxMessage>();
  return std::optional<InboxMessage>(std::move(one->front()));
}

Result<std::vector<InboxMessage>> Inbox::NextBatchForSink(int limit, uint64_t after_delivery_seq) {
  std::lock_guard lock(read_mu_);
  std::vector<InboxMessage> out;
  Statement& st = stmts_->next_for_sink;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(limit)).Bind(2, static_cast<int64_t>(after_delivery_seq));
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    InboxMessage m;
    m.delivery_seq = static_cast<uint64_t>(st.ColumnInt64(0));
    m.attempt = static_cast<uint32_t>(st.ColumnInt64(1));
    auto id = st.ColumnBlob(2);
    Result<MessageId> mid = MessageId::FromBytes(id.data(), id.size());
    if (!mid.ok()) return mid.status();
    m.id = *mid;
    m.kind = static_cast<int>(st.ColumnInt64(3));
    m.envelope = Bytes(st.ColumnBlob(4));
    m.received_ms = st.ColumnInt64(5);
    out.push_back(std::move(m));
  }
  st.Reset();
  return out;
}

// Caller holds mu_ and has opened a transaction.
Result<StageReceipt> Inbox::RaiseStage(const MessageId& id, uint64_t delivery_seq, AckStage stage,
                                       schema::RejectReason reason_code, std::string_view reason, int64_t at_ms) {
  const IdKey key = id.ToBytes();
  Statement& sel = stmts_->select_stage;
  sel.Reset();
  BindId(sel, 1, key);
  Result<bool> row = sel.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no message " + id.ToHex() + " in the inbox");
  auto held = static_cast<AckStage>(sel.ColumnInt64(0));
  int64_t held_ms = sel.ColumnInt64(1);
  auto first_seq = static_cast<uint64_t>(sel.ColumnInt64(2));
  auto latest_seq = static_cast<uint64_t>(sel.ColumnInt64(3));
  const bool confirmed_before = sel.ColumnInt64(4) != 0;
  sel.Reset();
  if (delivery_seq != 0 && delivery_seq != first_seq && delivery_seq != latest_seq) {
    return NotFound("message " + id.ToHex() + " is delivery #" + std::to_string(latest_seq) + ", not #" +
                    std::to_string(delivery_seq));
  }
  if (Conflicts(stage, held)) {
    return FailedPrecondition("message " + id.ToHex() + " is already " +
                              (held == AckStage::REJECTED ? std::string("rejected") : std::string("completed")) +
                              "; it cannot also be " +
                              (stage == AckStage::REJECTED    ? "rejected"
                               : stage == AckStage::COMPLETED ? "completed"
                                                              : "accepted"));
  }
  if (Rank(stage) <= Rank(held)) return StageReceipt{held, held_ms, true};
  Statement& up = stmts_->update_stage;
  up.Reset();
  BindId(up, 1, key);
  up.Bind(2, static_cast<int64_t>(stage))
      .Bind(3, at_ms)
      .Bind(4, static_cast<int64_t>(stage == AckStage::REJECTED ? reason_code : schema::RejectReason::UNSPECIFIED))
      .Bind(5, reason);
  REGLINE_RETURN_IF_ERROR(up.Run());
  // The gateway confirmed an earlier stage: this row is due again behind
  // where a PendingAcks reader may be (kept once the commit holds).
  if (confirmed_before) tx_rechecks_.push_back(id);
  return StageReceipt{stage, at_ms, false};
}

Status Inbox::RecordSinkOutcome(const MessageId& id, SinkVerdict verdict, std::string_view reason) {
  const SinkOutcomeRecord one{id, verdict, std::string(reason)};
  return RecordSinkOutcomes(std::span<const SinkOutcomeRecord>(&one, 1));
}

Status Inbox::RecordSinkOutcomes(std::span<const SinkOutcomeRecord> outcomes, const CatalogProgress& catalog) {
  return Write(WriteBatch{{}, {}, outcomes, catalog}).status();
}

// Caller holds mu_ and has opened a transaction.
Status Inbox::UpdateOutcomes(std::span<const SinkOutcomeRecord> outcomes, const CatalogProgress& catalog, int64_t now) {
  for (const SinkOutcomeRecord& o : outcomes) {
    // A stage set further by hand stands; the sink's outcome is still kept.
    const AckStage stage = StageFor(o.verdict);
    const IdKey key = o.id.ToBytes();
    Statement& sel = stmts_->select_stage;
    sel.Reset();
    BindId(sel, 1, key);
    Result<bool> found = sel.Step();
    if (!found.ok()) return found.status();
    if (!*found) return NotFound("no message " + o.id.ToHex() + " in the inbox");
    const auto held = static_cast<AckStage>(sel.ColumnInt64(0));
    const bool confirmed_before = sel.ColumnInt64(4) != 0;
    sel.Reset();
    // A higher rank never conflicts (Rank: rejected ranks with completed).
    const bool raise = Rank(stage) > Rank(held);
    Statement& up = stmts_->update_sink;
    up.Reset();
    BindId(up, 1, key);
    up.Bind(2, static_cast<int64_t>(o.verdict)).Bind(3, o.reason).Bind(4, o.decided_ms != 0 ? o.decided_ms : now);
    up.Bind(5, static_cast<int64_t>(stage))
        .Bind(6,
              static_cast<int64_t>(stage != AckStage::REJECTED ? schema::RejectReason::UNSPECIFIED
                                   : o.reason_code != schema::RejectReason::UNSPECIFIED ? o.reason_code
                                                                                        : schema::RejectReason::OTHER))
        .Bind(7, static_cast<int64_t>(raise));
    REGLINE_RETURN_IF_ERROR(up.Run());
    // Now wanted after the gateway confirmed an earlier stage: due again
    // behind where a PendingAcks reader may be.
    if ((raise || held == stage) && confirmed_before) tx_rechecks_.push_back(o.id);
  }
  if (catalog.held != 0 && catalog.held != catalog_held_) {
    // Parked updates are judged again against the new version.
    stmts_->unpark_all.Reset();
    REGLINE_RETURN_IF_ERROR(stmts_->unpark_all.Run());
    stmts_->save_catalog_held.Reset();
    stmts_->save_catalog_held.Bind(1, static_cast<int64_t>(catalog.held)).Bind(2, now);
    REGLINE_RETURN_IF_ERROR(stmts_->save_catalog_held.Run());
  }
  for (const MessageId& id : catalog.park) {
    const IdKey key = id.ToBytes();
    Statement& park = stmts_->park;
    park.Reset();
    BindId(park, 1, key);
    REGLINE_RETURN_IF_ERROR(park.Run());
  }
  return Status::Ok();
}

uint64_t Inbox::CatalogHeld() const { return catalog_held_.load(); }

Result<int64_t> Inbox::CatalogParked() {
  std::lock_guard lock(mu_);
  return db_.QueryInt("SELECT count(*) FROM inbox WHERE sink_state = 4");
}

Result<StageReceipt> Inbox::RecordStage(const MessageId& id, uint64_t delivery_seq, AckStage stage,
                                        schema::RejectReason reason_code, std::string_view reason, int64_t at_ms) {
  if (Rank(stage) == 0) return InvalidArgument("stage must be received, accepted, completed or rejected");
  if (stage == AckStage::REJECTED && reason_code == schema::RejectReason::UNSPECIFIED) {
    reason_code = schema::RejectReason::OTHER;
  }
  std::lock_guard lock(mu_);
  REGLINE_RETURN_IF_ERROR(Begin());
  Result<StageReceipt> r =
      RaiseStage(id, delivery_seq, stage, reason_code, reason, at_ms != 0 ? at_ms : clock_.NowMs());
  Status s = r.ok() ? Commit() : r.status();
  FinishRechecks(s.ok());
  if (!s.ok()) {
    Rollback();
    return s;
  }
  return r;
}

namespace {

Result<PendingAck> ReadPendingAck(Statement& st) {
  PendingAck a;
  auto id = st.ColumnBlob(0);
  Result<MessageId> mid = MessageId::FromBytes(id.data(), id.size());
  if (!mid.ok()) return mid.status();
  a.id = *mid;
  a.delivery_seq = static_cast<uint64_t>(st.ColumnInt64(1));
  a.stage = static_cast<AckStage>(st.ColumnInt64(2));
  a.reason_code = static_cast<schema::RejectReason>(st.ColumnInt64(3));
  a.reason = st.ColumnText(4);
  a.at_ms = st.ColumnInt64(5);
  return a;
}

}  // namespace

Result<std::vector<PendingAck>> Inbox::PendingAcks(int limit, uint64_t after_ack_seq) {
  std::lock_guard lock(read_mu_);
  std::vector<PendingAck> out;
  Statement& st = stmts_->pending_acks;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(limit)).Bind(2, static_cast<int64_t>(after_ack_seq));
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Result<PendingAck> a = ReadPendingAck(st);
    if (!a.ok()) return a.status();
    out.push_back(std::move(a).value());
  }
  st.Reset();
  return out;
}

Result<std::vector<PendingAck>> Inbox::PendingAcksFor(std::span<const MessageId> ids) {
  std::lock_guard lock(read_mu_);
  std::vector<PendingAck> out;
  std::set<MessageId> seen;
  Statement& st = stmts_->pending_ack_of;
  for (const MessageId& id : ids) {
    if (!seen.insert(id).second) continue;
    const IdKey key = id.ToBytes();
    st.Reset();
    BindId(st, 1, key);
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (*row) {
      Result<PendingAck> a = ReadPendingAck(st);
      if (!a.ok()) return a.status();
      out.push_back(std::move(a).value());
    }
    st.Reset();
  }
  std::sort(out.begin(), out.end(),
            [](const PendingAck& a, const PendingAck& b) { return a.delivery_seq < b.delivery_seq; });
  return out;
}

Result<std::string> Inbox::StoredEnvelope(const MessageId& id) {
  std::lock_guard lock(read_mu_);
  Statement& st = stmts_->envelope_of;
  const IdKey key = id.ToBytes();
  st.Reset();
  BindId(st, 1, key);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no message " + id.ToHex() + " in the inbox");
  std::string envelope = Bytes(st.ColumnBlob(0));
  st.Reset();
  return envelope;
}

std::vector<MessageId> Inbox::TakeAckRechecks() {
  std::lock_guard lock(mu_);
  std::vector<MessageId> out;
  out.swap(ack_rechecks_);
  return out;
}

void Inbox::FinishRechecks(bool committed) {
  if (committed) ack_rechecks_.insert(ack_rechecks_.end(), tx_rechecks_.begin(), tx_rechecks_.end());
  tx_rechecks_.clear();
}

Status Inbox::MarkAcksSent(std::span<const SentAck> sent) {
  // Write() commits marks alone without an fsync of their own: losing them
  // in a crash only means the acks are sent again and the gateway answers
  // "duplicate". The next fsynced commit makes them durable too (WAL frames
  // are written in order).
  return Write(WriteBatch{{}, sent, {}, {}}).status();
}

// Caller holds mu_ and has opened a transaction.
Status Inbox::UpdateMarks(std::span<const SentAck> sent) {
  for (const SentAck& a : sent) {
    const IdKey key = a.id.ToBytes();
    // Rows changed by `st` bound to this mark.
    auto mark = [&](Statement& st) -> Result<int> {
      st.Reset();
      BindId(st, 1, key);
      st.Bind(2, static_cast<int64_t>(a.stage)).Bind(3, a.error);
      REGLINE_RETURN_IF_ERROR(st.Run());
      return db_.Changes();
    };
    // Usually the stage sent is still the one wanted; the second statement
    // runs only when it is not (or the row is gone).
    Result<int> marked = mark(stmts_->mark_sent);
    if (!marked.ok()) return marked.status();
    if (*marked != 0) continue;
    Result<int> raised = mark(stmts_->mark_sent_raised);
    if (!raised.ok()) return raised.status();
    // Raised while this stage was on its way: still due.
    if (*raised != 0) tx_rechecks_.push_back(a.id);
  }
  return Status::Ok();
}

Result<std::vector<InboxEntry>> Inbox::List(uint64_t after_delivery_seq, int limit) {
  std::lock_guard lock(read_mu_);
  Result<Statement> st = reader_.Prepare(
      "SELECT i.delivery_seq, i.attempt, i.message_id, i.kind, e.envelope, i.received_ms, i.sink_state, "
      "i.sink_reason, i.sink_ms, i.stage_wanted, i.stage_sent FROM inbox i CROSS JOIN envelopes e ON e.row_id = "
      "i.row_id WHERE i.delivery_seq > ?1 ORDER BY i.delivery_seq LIMIT ?2");
  if (!st.ok()) return st.status();
  st->Bind(1, static_cast<int64_t>(after_delivery_seq)).Bind(2, static_cast<int64_t>(limit));
  std::vector<InboxEntry> out;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    InboxEntry e;
    e.message.delivery_seq = static_cast<uint64_t>(st->ColumnInt64(0));
    e.message.attempt = static_cast<uint32_t>(st->ColumnInt64(1));
    auto id = st->ColumnBlob(2);
    Result<MessageId> mid = MessageId::FromBytes(id.data(), id.size());
    if (!mid.ok()) return mid.status();
    e.message.id = *mid;
    e.message.kind = static_cast<int>(st->ColumnInt64(3));
    e.message.envelope = Bytes(st->ColumnBlob(4));
    e.message.received_ms = st->ColumnInt64(5);
    e.sink_state = static_cast<int>(st->ColumnInt64(6));
    e.sink_reason = st->ColumnText(7);
    e.sink_ms = st->ColumnInt64(8);
    e.stage_wanted = static_cast<schema::AckStage>(st->ColumnInt64(9));
    e.stage_sent = static_cast<schema::AckStage>(st->ColumnInt64(10));
    out.push_back(std::move(e));
  }
  return out;
}

Result<int> Inbox::Prune(int64_t before_ms, int limit) {
  std::lock_guard lock(mu_);
  // sink_state 1 accepted, 2 completed, 3 rejected, 5 undeliverable; the
  // row_id order is arrival order.
  Result<Statement> del = db_.Prepare(
      "DELETE FROM inbox WHERE row_id IN (SELECT row_id FROM inbox WHERE received_ms < ?1 "
      "AND sink_state IN (1, 2, 3, 5) AND stage_sent = stage_wanted ORDER BY row_id LIMIT ?2)");
  if (!del.ok()) return del.status();
  del->Bind(1, before_ms).Bind(2, static_cast<int64_t>(limit));
  REGLINE_RETURN_IF_ERROR(Begin());
  Status s = del->Run();
  const int deleted = s.ok() ? sqlite3_changes(db_.get()) : 0;
  if (s.ok()) s = Commit();
  if (!s.ok()) {
    Rollback();
    return s.WithContext("pruning the inbox");
  }
  return deleted;
}

Result<InboxCounts> Inbox::Counts() {
  std::lock_guard lock(mu_);
  InboxCounts c;
  Result<int64_t> n = db_.QueryInt("SELECT count(*) FROM inbox");
  if (!n.ok()) return n.status();
  c.messages = *n;
  n = db_.QueryInt("SELECT count(*) FROM inbox WHERE sink_state = 0");
  if (!n.ok()) return n.status();
  c.awaiting_sink = *n;
  n = db_.QueryInt("SELECT count(*) FROM inbox WHERE stage_wanted <> stage_sent");
  if (!n.ok()) return n.status();
  c.pending_acks = *n;
  n = db_.QueryInt("SELECT count(*) FROM inbox WHERE sink_state = 4");
  if (!n.ok()) return n.status();
  c.parked = *n;
  n = db_.QueryInt("SELECT count(*) FROM inbox WHERE sink_state = 5");
  if (!n.ok()) return n.status();
  c.undeliverable = *n;
  return c;
}

}  // namespace regline::connector
