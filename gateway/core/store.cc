#include "gateway/core/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "gateway/core/files.h"
#include "gateway/core/log.h"
#include "gateway/core/store_rows.h"
#include "gateway/core/store_schema.h"

namespace regline {

std::string_view DeliveryStateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kQueued: return "queued";
    case DeliveryState::kInFlight: return "in_flight";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kAccepted: return "accepted";
    case DeliveryState::kCompleted: return "completed";
    case DeliveryState::kRejected: return "rejected";
    case DeliveryState::kExpired: return "expired";
    case DeliveryState::kDeadLettered: return "dead_lettered";
  }
  return "unknown";
}

std::string_view AckStageName(AckStage s) {
  switch (s) {
    case AckStage::kReceived: return "received";
    case AckStage::kAccepted: return "accepted";
    case AckStage::kCompleted: return "completed";
    case AckStage::kRejected: return "rejected";
  }
  return "unknown";
}

const char* const kDeliveryColumns =
    "d.message_seq, d.recipient, d.state, d.attempts, d.queued_ms, d.next_attempt_ms, d.lease_until_ms, "
    "d.received_ms, d.accepted_ms, d.completed_ms, d.rejected_ms, d.expired_ms, d.dead_lettered_ms, d.reason, "
    "d.delivery_seq, m.message_id, m.sender, m.kind FROM deliveries d JOIN messages m ON m.seq = d.message_seq";

DeliveryStatus ReadDeliveryStatus(const Statement& st) {
  DeliveryStatus d;
  d.seq = static_cast<uint64_t>(st.ColumnInt64(0));
  d.recipient = st.ColumnText(1);
  d.state = static_cast<DeliveryState>(st.ColumnInt64(2));
  d.attempts = static_cast<int>(st.ColumnInt64(3));
  d.queued_ms = st.ColumnInt64(4);
  d.next_attempt_ms = st.ColumnInt64(5);
  d.lease_until_ms = st.ColumnInt64(6);
  d.received_ms = st.ColumnInt64(7);
  d.accepted_ms = st.ColumnInt64(8);
  d.completed_ms = st.ColumnInt64(9);
  d.rejected_ms = st.ColumnInt64(10);
  d.expired_ms = st.ColumnInt64(11);
  d.dead_lettered_ms = st.ColumnInt64(12);
  d.reason = st.ColumnText(13);
  d.delivery_seq = static_cast<uint64_t>(st.ColumnInt64(14));
  auto id = st.ColumnBlob(15);
  if (Result<MessageId> mid = MessageId::FromBytes(id.data(), id.size()); mid.ok()) d.message_id = *mid;
  d.sender = st.ColumnText(16);
  d.kind = static_cast<int>(st.ColumnInt64(17));
  return d;
}

namespace {

bool IsPending(DeliveryState s) { return s == DeliveryState::kQueued || s == DeliveryState::kInFlight; }

// A message id as 32 hex digits, without allocating.
class IdHex {
 public:
  explicit IdHex(const MessageId& id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
      text_[i] = kDigits[(id.hi >> (60 - 4 * i)) & 0xf];
      text_[16 + i] = kDigits[(id.lo >> (60 - 4 * i)) & 0xf];
    }
  }
  std::string_view view() const { return {text_, sizeof text_}; }

 private:
  char text_[32];
};

// Builds an audit entry's detail, "key=value key=value", in a buffer that
// keeps its capacity from one entry to the next. Values go in verbatim; a
// free-text value (a reason) comes last by convention.
class AuditDetail {
 public:
  explicit AuditDetail(std::string& buffer) : text_(buffer) { text_.clear(); }
  AuditDetail& Text(std::string_view key, std::string_view value) {
    Key(key);
    text_.append(value);
    return *this;
  }
  AuditDetail& Number(std::string_view key, int64_t value) {
    Key(key);
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    text_.append(digits, end);
    return *this;
  }
  // key=a,b,c
  AuditDetail& List(std::string_view key, const std::vector<std::string>& values) {
    Key(key);
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) text_.push_back(',');
      text_.append(values[i]);
    }
    return *this;
  }
  // recipient=R delivery_seq=N: how every delivery event starts.
  AuditDetail& Delivery(std::string_view recipient, uint64_t delivery_seq) {
    return Text("recipient", recipient).Number("delivery_seq", static_cast<int64_t>(delivery_seq));
  }

 private:
  void Key(std::string_view key) {
    if (!text_.empty()) text_.push_back(' ');
    text_.append(key);
    text_.push_back('=');
  }
  std::string& text_;
};

}  // namespace

// Prepared once at open; every statement the hot paths run.
struct Store::Statements {
  Statement begin, commit, rollback, savepoint, release, rollback_to;
  Statement find_message, insert_message, insert_delivery, insert_delivery_leased, queue_head;
  Statement select_due, lease_delivery, expire_delivery, save_delivery_seq;
  Statement select_delivery, update_ack;
  Statement select_expired_leases, requeue, dead_letter;
  Statement select_expired, find_seq, deliveries_of, depths, dead_letters, replay;
  Statement find_by_number, select_in_flight, select_received_up_to, received_up_to, find_seq_by_id;
  Statement insert_acknowledgement, acknowledgements_of, envelope_of;
};

// Runs `body` atomically: in a transaction of its own (BEGIN IMMEDIATE ...
// COMMIT), or, when the caller opened one with Begin(), in a savepoint of
// it. Rolls back what the body did when it or the commit fails.
template <typename Body>
Status Store::Atomically(Body&& body) {
  const bool nested = !sqlite3_get_autocommit(db_.get());
  if (nested && !doomed_.ok()) return doomed_;  // all of it will be rolled back
  const AuditAppender::Mark audit_mark = audit_->mark();
  Statement& open = nested ? stmts_->savepoint : stmts_->begin;
  open.Reset();
  REGLINE_RETURN_IF_ERROR(open.Run());
  Status s = body();
  if (s.ok()) {
    Statement& close = nested ? stmts_->release : stmts_->commit;
    close.Reset();
    s = close.Run();
  }
  if (!s.ok() && !sqlite3_get_autocommit(db_.get())) {
    Statement& undo = nested ? stmts_->rollback_to : stmts_->rollback;
    undo.Reset();
    (void)undo.Run();
    if (nested) {
      stmts_->release.Reset();
      (void)stmts_->release.Run();
    }
  }
  if (!s.ok()) {
    // The body's audit entries are gone with it. When SQLite ended the
    // caller's whole transaction by itself, earlier ones went too: then the
    // head is read again before the next append.
    if (nested && sqlite3_get_autocommit(db_.get())) {
      audit_->ForgetHead();
    } else {
      audit_->Restore(audit_mark);
    }
  }
  return s;
}

// Atomically for a body that fails only as a whole transaction would (I/O,
// disk full, corruption). Inside the caller's transaction it runs without a
// savepoint, which would copy each page it touches before its first change
// (with 16 KiB pages that cost a tenth of the throughput on the
// acknowledgement path). A failure there cannot be undone alone, so it dooms
// the transaction, and Commit() rolls all of it back.
template <typename Body>
Status Store::AtomicallyOrDoom(Body&& body) {
  if (sqlite3_get_autocommit(db_.get())) return Atomically(std::forward<Body>(body));
  if (!doomed_.ok()) return doomed_;
  Status s = body();
  if (!s.ok()) doomed_ = s;
  return s;
}

Status Store::Begin() {
  if (!sqlite3_get_autocommit(db_.get())) return Internal("Store::Begin inside an open transaction");
  doomed_ = Status::Ok();
  stmts_->begin.Reset();
  return stmts_->begin.Run();
}

Status Store::Commit() {
  Status s;
  if (sqlite3_get_autocommit(db_.get())) {
    // SQLite already rolled the transaction back (it does so by itself
    // after some I/O and disk-full errors): what it held is gone.
    s = IOError("the transaction was rolled back by SQLite after an earlier failure");
  } else if (!doomed_.ok()) {
    RollBackOpenTransaction();
    s = doomed_.WithContext("the transaction was rolled back after a call failed halfway");
  } else {
    stmts_->commit.Reset();
    s = stmts_->commit.Run();
    if (!s.ok()) RollBackOpenTransaction();
  }
  doomed_ = Status::Ok();
  if (!s.ok()) return Reload(s, "after a failed commit");
  return s;
}

Status Store::Abandon(Status why) {
  RollBackOpenTransaction();
  doomed_ = Status::Ok();
  return Reload(std::move(why), "after an abandoned transaction");
}

void Store::RollBackOpenTransaction() {
  if (sqlite3_get_autocommit(db_.get())) return;  // none open (SQLite may have ended it itself)
  stmts_->rollback.Reset();
  (void)stmts_->rollback.Run();
}

Status Store::Reload(Status why, const char* when) {
  // The in-memory counters and the audit head followed changes that are
  // now undone.
  audit_->ForgetHead();
  Status reload = LoadCounters();
  if (reload.ok()) reload = audit_->ReloadHead();
  if (!reload.ok()) return reload.WithContext(std::string(when) + " (" + why.ToString() + ")");
  return why;
}

Store::Store(StoreOptions options, const Clock& clock, Database db)
    : options_(std::move(options)), clock_(clock), db_(std::move(db)) {}

Store::~Store() {
  if (log_fd_ >= 0) ::close(log_fd_);
}

bool Store::DeferSync() {
  if (log_fd_ >= 0) return true;
  if (options_.durability != Durability::kFull) return false;
  // The log exists once the connection has read (Open read the counters);
  // it keeps its inode while this connection stays open, so this
  // descriptor syncs the same file SQLite writes.
  const std::string wal = options_.path + "-wal";
  const int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Log(LogLevel::kWarning, "store_sync_not_deferred",
        {{"path", wal}, {"error", std::strerror(errno)}, {"note", "each commit waits for the disk itself"}});
    return false;
  }
  // SQLite syncs a new log's directory entry on the log's first sync, which
  // at NORMAL only a checkpoint makes: sync the directory here instead.
  const std::filesystem::path parent = std::filesystem::path(options_.path).parent_path();
  Status dir = SyncDirectory(parent.empty() ? std::string(".") : parent.string());
  Status normal = dir.ok() ? db_.Exec("PRAGMA synchronous = NORMAL") : dir;
  if (!normal.ok()) {
    ::close(fd);
    Log(LogLevel::kWarning, "store_sync_not_deferred",
        {{"path", wal}, {"error", normal.ToString()}, {"note", "each commit waits for the disk itself"}});
    return false;
  }
  log_fd_ = fd;
  return true;
}

Status Store::SyncLog() const {
  if (log_fd_ < 0) return Status::Ok();
  if (::fdatasync(log_fd_) != 0) {
    return IOError(std::string("fdatasync of ") + options_.path + "-wal: " + std::strerror(errno));
  }
  return Status::Ok();
}

int Store::SchemaVersion() { return store_schema::LatestVersion(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options, const Clock& clock) {
  if (options.path.empty()) return InvalidArgument("store path is empty");
  if (options.max_attempts < 1) return InvalidArgument("max_attempts must be at least 1");
  Result<Database> db = Database::Open(options.path);
  if (!db.ok()) return db.status();
  std::unique_ptr<Store> store(new Store(options, clock, std::move(db).value()));
  Status s = store_schema::PrepareDatabase(store->db_, options.durability == Durability::kFull);
  if (s.ok()) s = store->StartCheckpointer();
  if (s.ok()) s = store->Prepare();
  if (s.ok()) s = store->LoadCounters();
  if (s.ok()) {
    Result<std::unique_ptr<AuditAppender>> audit = AuditAppender::Open(store->db_);
    s = audit.status();
    if (s.ok()) store->audit_ = std::move(audit).value();
  }
  if (s.ok()) {
    Result<std::unique_ptr<DirectiveLedger>> ledger = DirectiveLedger::Open(store->db_, options.directive_action_name);
    s = ledger.status();
    if (s.ok()) store->directives_ = std::move(ledger).value();
  }
  if (s.ok()) {
    Result<std::unique_ptr<CatalogLedger>> catalog = CatalogLedger::Open(store->db_);
    s = catalog.status();
    if (s.ok()) store->catalog_ = std::move(catalog).value();
  }
  if (s.ok()) {
    Result<std::unique_ptr<ReportLedger>> reports = ReportLedger::Open(store->db_);
    s = reports.status();
    if (s.ok()) store->reports_ = std::move(reports).value();
  }
  if (s.ok()) {
    Result<std::unique_ptr<RetentionLedger>> retention = RetentionLedger::Open(store->db_);
    s = retention.status();
    if (s.ok()) store->retention_ = std::move(retention).value();
  }
  if (!s.ok()) return s.WithContext("opening store " + options.path);
  return store;
}

Status Store::Prepare() {
  stmts_ = std::make_unique<Statements>();
  struct {
    Statement* stmt;
    const char* sql;
  } const table[] = {
      {&stmts_->begin, "BEGIN IMMEDIATE"},
      {&stmts_->commit, "COMMIT"},
      {&stmts_->rollback, "ROLLBACK"},
      {&stmts_->savepoint, "SAVEPOINT store_op"},
      {&stmts_->release, "RELEASE store_op"},
      {&stmts_->rollback_to, "ROLLBACK TO store_op"},
      {&stmts_->find_message,
       "SELECT seq, accepted_ms, envelope, submitted_digest FROM messages WHERE sender = ?1 AND message_id = ?2"},
      {&stmts_->envelope_of, "SELECT envelope FROM messages WHERE seq = ?1"},
      {&stmts_->insert_message,
       "INSERT INTO messages(sender, message_id, kind, priority, created_ms, expires_ms, correlation_id, "
       "accepted_ms, envelope, submitted_digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
      {&stmts_->insert_delivery,
       "INSERT INTO deliveries(message_seq, recipient, priority, state, expires_ms, queued_ms, next_attempt_ms) "
       "VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5)"},
      {&stmts_->insert_delivery_leased,
       "INSERT INTO deliveries(message_seq, recipient, priority, state, attempts, expires_ms, queued_ms, "
       "next_attempt_ms, lease_until_ms, delivery_seq) VALUES (?1, ?2, ?3, 1, 1, ?4, ?5, ?5, ?6, ?7)"},
      {&stmts_->queue_head, "SELECT 1 FROM deliveries WHERE recipient = ?1 AND state = 0 LIMIT 1"},
      {&stmts_->select_due,
       "SELECT d.message_seq, d.attempts, d.expires_ms, m.sender, m.message_id, m.kind, m.priority, m.envelope, "
       "d.delivery_seq "
       "FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
       "WHERE d.recipient = ?1 AND d.state = 0 AND d.next_attempt_ms <= ?2 "
       "ORDER BY d.priority DESC, d.message_seq LIMIT ?3"},
      {&stmts_->lease_delivery,
       "UPDATE deliveries SET state = 1, attempts = attempts + 1, lease_until_ms = ?3, delivery_seq = ?4 "
       "WHERE message_seq = ?1 AND recipient = ?2"},
      {&stmts_->save_delivery_seq,
       "INSERT INTO recipients(recipient, last_delivery_seq) VALUES (?1, ?2) "
       "ON CONFLICT(recipient) DO UPDATE SET last_delivery_seq = excluded.last_delivery_seq"},
      {&stmts_->expire_delivery,
       "UPDATE deliveries SET state = 6, expired_ms = ?3, lease_until_ms = 0 "
       "WHERE message_seq = ?1 AND recipient = ?2"},
      {&stmts_->select_delivery,
       "SELECT d.state, d.received_ms, d.accepted_ms, d.completed_ms, d.rejected_ms, d.reason, d.attempts, "
       "m.message_id, d.delivery_seq, m.kind FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
       "WHERE d.message_seq = ?1 AND d.recipient = ?2"},
      {&stmts_->update_ack,
       "UPDATE deliveries SET state = ?3, received_ms = ?4, accepted_ms = ?5, completed_ms = ?6, "
       "rejected_ms = ?7, reason = ?8, lease_until_ms = 0 WHERE message_seq = ?1 AND recipient = ?2"},
      // The Select* statements that feed ReadRows yield (message_seq,
      // recipient, attempts, message_id, delivery_seq).
      {&stmts_->select_expired_leases,
       "SELECT d.message_seq, d.recipient, d.attempts, m.message_id, d.delivery_seq, m.kind "
       "FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
       "WHERE d.state = 1 AND d.lease_until_ms <= ?1"},
      {&stmts_->requeue,
       "UPDATE deliveries SET state = 0, next_attempt_ms = ?3, lease_until_ms = 0 "
       "WHERE message_seq = ?1 AND recipient = ?2"},
      {&stmts_->dead_letter,
       "UPDATE deliveries SET state = 7, dead_lettered_ms = ?3, lease_until_ms = 0, reason = ?4 "
       "WHERE message_seq = ?1 AND recipient = ?2"},
      {&stmts_->select_expired,
       "SELECT d.message_seq, d.recipient, d.attempts, m.message_id, d.delivery_seq, m.kind "
       "FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
       "WHERE d.state = 0 AND d.attempts = 0 AND d.expires_ms > 0 AND d.expires_ms <= ?1 AND d.delivery_seq = 0"},
      {&stmts_->find_seq, "SELECT seq FROM messages WHERE sender = ?1 AND message_id = ?2"},
      {&stmts_->find_seq_by_id, "SELECT seq FROM messages WHERE message_id = ?1 ORDER BY seq LIMIT 1"},
      {&stmts_->find_by_number,
       "SELECT d.message_seq, m.message_id, d.state, d.received_ms, d.accepted_ms, d.completed_ms, d.rejected_ms, "
       "d.reason, m.kind FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
       // "delivery_seq > 0" lets SQLite use the partial index; without it,
       // every acknowledgement scanned the whole table.
       "WHERE d.recipient = ?1 AND d.delivery_seq = ?2 AND d.delivery_seq > 0"},
      // "delivery_seq > 0" (true of anything ever sent) lets SQLite use the
      // per-recipient numbering index.
      {&stmts_->select_in_flight,
       "SELECT d.message_seq, d.recipient, d.attempts, m.message_id, d.delivery_seq, m.kind "
       "FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
       "WHERE d.recipient = ?1 AND d.state = 1 AND d.delivery_seq > 0"},
      // What received_up_to changes, in the same transaction: for the
      // pending counters and the audit chain.
      {&stmts_->select_received_up_to,
       "SELECT d.state, m.message_id, d.delivery_seq, m.kind FROM deliveries d JOIN messages m "
       "ON m.seq = d.message_seq "
       "WHERE d.recipient = ?1 AND d.delivery_seq > 0 AND d.delivery_seq <= ?2 AND d.state IN (0, 1, 6, 7) "
       "ORDER BY d.delivery_seq"},
      {&stmts_->received_up_to,
       "UPDATE deliveries SET state = 2, received_ms = ?3, lease_until_ms = 0 "
       "WHERE recipient = ?1 AND delivery_seq > 0 AND delivery_seq <= ?2 AND state IN (0, 1, 6, 7)"},
      {&stmts_->insert_acknowledgement,
       "INSERT INTO acknowledgements(message_seq, recipient, stage, recorded_ms, envelope) "
       "VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&stmts_->acknowledgements_of,
       "SELECT recipient, stage, recorded_ms, envelope FROM acknowledgements WHERE message_seq = ?1 "
       "ORDER BY recipient, stage"},
      {&stmts_->deliveries_of, nullptr},
      {&stmts_->depths,
       "SELECT recipient, sum(state = 0), sum(state = 1), sum(state = 7), min(CASE WHEN state = 0 THEN queued_ms END), "
       "min(CASE WHEN state IN (0, 1) THEN queued_ms END) "
       "FROM deliveries WHERE state IN (0, 1, 7) GROUP BY recipient ORDER BY recipient"},
      {&stmts_->dead_letters, nullptr},
      {&stmts_->replay,
       "UPDATE deliveries SET state = 0, attempts = 0, next_attempt_ms = ?3, lease_until_ms = 0 "
       "WHERE message_seq = ?1 AND recipient = ?2 AND state = 7"},
  };
  for (const auto& [stmt, sql] : table) {
    if (sql == nullptr) continue;
    Result<Statement> prepared = db_.Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *stmt = std::move(prepared).value();
  }
  std::string columns = kDeliveryColumns;
  Result<Statement> of = db_.Prepare("SELECT " + columns + " WHERE d.message_seq = ?1 ORDER BY d.recipient");
  if (!of.ok()) return of.status();
  stmts_->deliveries_of = std::move(of).value();
  Result<Statement> dead = db_.Prepare("SELECT " + columns +
                                       " WHERE d.state = 7 AND (?1 = '' OR d.recipient = ?1) "
                                       "ORDER BY d.message_seq LIMIT ?2");
  if (!dead.ok()) return dead.status();
  stmts_->dead_letters = std::move(dead).value();
  return Status::Ok();
}

Status Store::StartCheckpointer() {
  Result<std::unique_ptr<Checkpointer>> c = Checkpointer::Start(options_.path, options_.checkpoint_pages);
  if (!c.ok()) return c.status();
  checkpointer_ = std::move(c).value();
  checkpointer_->Attach(db_.get());
  return Status::Ok();
}

// Fills `counters` from a query of (recipient, number) rows.
static Status LoadCounter(Database& db, const char* sql, std::unordered_map<std::string, int64_t>& counters) {
  Result<Statement> st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  counters.clear();
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    counters[st->ColumnText(0)] = st->ColumnInt64(1);
  }
}

Status Store::LoadCounters() {
  pending_.clear();
  Result<Statement> st = db_.Prepare(
      "SELECT d.recipient, m.kind, count(*) FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
      "WHERE d.state IN (0, 1) GROUP BY d.recipient, m.kind");
  if (!st.ok()) return st.status();
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    pending_.Add(st->ColumnText(0), static_cast<int>(st->ColumnInt64(1)), st->ColumnInt64(2));
  }
  std::unordered_map<std::string, int64_t> seqs;
  REGLINE_RETURN_IF_ERROR(LoadCounter(db_, "SELECT recipient, last_delivery_seq FROM recipients", seqs));
  last_delivery_seq_.clear();
  for (const auto& [r, n] : seqs) last_delivery_seq_[r] = static_cast<uint64_t>(n);
  return Status::Ok();
}

uint64_t Store::LastDeliverySeq(const std::string& recipient) const {
  auto it = last_delivery_seq_.find(recipient);
  return it == last_delivery_seq_.end() ? 0 : it->second;
}

int64_t Store::QuotaFor(std::string_view recipient) const {
  auto it = options_.quotas.find(std::string(recipient));
  return it == options_.quotas.end() ? options_.default_quota : it->second;
}

Status Store::CheckQuotas(const std::string& recipient, int kind, const PendingCounts& added) const {
  const int64_t pending = Pending(recipient) + added.Total(recipient);
  const int64_t quota = QuotaFor(recipient);
  if (pending >= quota) {
    return Overloaded("queue for '" + recipient + "' is full (" + std::to_string(pending) + " pending, quota " +
                      std::to_string(quota) + "); retry later");
  }
  auto family = options_.quota_by_kind.find(kind);
  if (family == options_.quota_by_kind.end()) return Status::Ok();
  const int64_t of_kind = PendingOfKind(recipient, kind) + added.OfKind(recipient, kind);
  if (of_kind >= family->second.limit) {
    return Overloaded("queue for '" + recipient + "' is full for " + family->second.family + " (" +
                      std::to_string(of_kind) + " pending, family quota " + std::to_string(family->second.limit) +
                      "); retry later");
  }
  return Status::Ok();
}

Status Store::ValidateSubmission(const Submission& s) const {
  if (s.sender.empty()) return InvalidArgument("submission has no sender");
  if (s.id.IsZero()) return InvalidArgument("submission has a zero message id");
  if (s.recipients.empty()) return InvalidArgument("message " + s.id.ToHex() + " has no recipients");
  if (s.envelope.empty()) return InvalidArgument("message " + s.id.ToHex() + " has an empty envelope");
  std::set<std::string_view> seen;
  for (const auto& r : s.recipients) {
    if (r.empty()) return InvalidArgument("message " + s.id.ToHex() + " names an empty recipient");
    if (!seen.insert(r).second) {
      return InvalidArgument("message " + s.id.ToHex() + " names recipient '" + r + "' twice");
    }
  }
  return Status::Ok();
}

// The receipt of an earlier submission with the same (sender, id), kNotFound
// when there is none, kAlreadyExists when the id was used for other bytes.
Result<SubmitReceipt> Store::ExistingReceipt(const Submission& s) {
  Statement& st = stmts_->find_message;
  st.Reset();
  auto id = s.id.ToBytes();
  st.Bind(1, s.sender).BindBlob(2, id.data(), id.size());
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("");
  // A transformed envelope (Submission::submitted_digest) is compared by
  // the digest of what was submitted, any other by its bytes.
  auto stored = st.ColumnBlob(s.submitted_digest.empty() ? 2 : 3);
  const std::string& compare = s.submitted_digest.empty() ? s.envelope : s.submitted_digest;
  if (std::string_view(reinterpret_cast<const char*>(stored.data()), stored.size()) != compare) {
    st.Reset();
    return AlreadyExists("message id " + s.id.ToHex() + " from '" + s.sender +
                         "' was already used for a different message");
  }
  SubmitReceipt r{static_cast<uint64_t>(st.ColumnInt64(0)), st.ColumnInt64(1), true, {}};
  st.Reset();
  return r;
}

namespace {
// A failure that ends the whole transaction, as opposed to a refusal of one
// submission.
bool IsTransactionFailure(const Status& s) {
  switch (s.code()) {
    case StatusCode::kIOError:
    case StatusCode::kNoSpace:
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}
}  // namespace

Result<SubmitReceipt> Store::SubmitOne(const Submission& s, int64_t now, PendingCounts& added,
                                       std::unordered_map<std::string, uint64_t>& next_seq) {
  REGLINE_RETURN_IF_ERROR(ValidateSubmission(s));
  Result<SubmitReceipt> existing = ExistingReceipt(s);
  if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
  if (s.expires_ms != 0 && s.expires_ms <= now) {
    return InvalidArgument("message " + s.id.ToHex() + " expired before it was submitted");
  }
  for (const auto& r : s.recipients) REGLINE_RETURN_IF_ERROR(CheckQuotas(r, s.kind, added));
  uint64_t closes = 0;  // the earlier directive this one supersedes or revokes
  if (s.directive.has_value()) {
    Result<uint64_t> earlier = directives_->CheckLineage(*s.directive);
    if (!earlier.ok()) return earlier.status();
    closes = *earlier;
  }
  if (s.catalog_version.has_value()) REGLINE_RETURN_IF_ERROR(catalog_->CheckNext(*s.catalog_version));
  auto id = s.id.ToBytes();
  auto correlation = s.correlation_id.ToBytes();
  Statement& ins = stmts_->insert_message;
  ins.Reset();
  ins.Bind(1, s.sender).BindBlob(2, id.data(), id.size()).Bind(3, s.kind).Bind(4, s.priority);
  ins.Bind(5, s.created_ms).Bind(6, s.expires_ms).Bind(8, now).BindBlob(9, s.envelope.data(), s.envelope.size());
  if (s.submitted_digest.empty()) {
    ins.BindNull(10);
  } else {
    ins.BindBlob(10, s.submitted_digest.data(), s.submitted_digest.size());
  }
  if (s.correlation_id.IsZero()) {
    ins.BindNull(7);
  } else {
    ins.BindBlob(7, correlation.data(), correlation.size());
  }
  // Past this point a failure has half-written the message: it must end the
  // transaction, whatever SQLite called it.
  auto fatal = [](Status st) { return IsTransactionFailure(st) ? st : Internal(st.ToString()); };
  if (Status st = ins.Run(); !st.ok()) return fatal(st);
  int64_t seq = db_.LastInsertRowId();
  SubmitReceipt receipt{static_cast<uint64_t>(seq), now, false, {}};
  AuditDetail submitted(audit_detail_);
  submitted.Number("seq", seq).Text("sender", s.sender).Number("kind", s.kind).List("recipients", s.recipients);
  if (s.directive.has_value()) {
    submitted.Number("ack_deadline_ms", s.directive->ack_deadline_ms)
        .Number("completion_deadline_ms", s.directive->completion_deadline_ms);
  }
  if (Status st = AuditMessage(now, "submitted", s.id); !st.ok()) return fatal(st);
  if (s.catalog_version.has_value()) {
    if (Status st = catalog_->Record(*s.catalog_version, static_cast<uint64_t>(seq), now); !st.ok()) return fatal(st);
  }
  if (s.attested_catalog_version.has_value()) {
    Result<bool> stale = catalog_->RecordApplied(s.sender, *s.attested_catalog_version, static_cast<uint64_t>(seq), now);
    if (!stale.ok()) return fatal(stale.status());
    AuditDetail(audit_detail_)
        .Text("platform", s.sender)
        .Number("catalog_version", static_cast<int64_t>(*s.attested_catalog_version))
        .Text("stale", *stale ? "true" : "false");
    if (Status st = AuditMessage(now, "catalog_attested", s.id); !st.ok()) return fatal(st);
  }
  if (s.report.has_value()) {
    Result<bool> first = reports_->Record(s.sender, *s.report, static_cast<uint64_t>(seq), now);
    if (!first.ok()) return fatal(first.status());
    AuditDetail(audit_detail_)
        .Text("platform", s.sender)
        .Number("kind", s.report->kind)
        .Number("period_start_ms", s.report->period_start_ms)
        .Number("period_end_ms", s.report->period_end_ms)
        .Text("counts", *first ? "true" : "false");
    if (Status st = AuditMessage(now, "report_received", s.id); !st.ok()) return fatal(st);
  }
  if (s.directive.has_value()) {
    if (Status st = directives_->Record(static_cast<uint64_t>(seq), *s.directive, closes, now); !st.ok()) {
      return fatal(st);
    }
    if (closes != 0) {
      const bool revokes = !s.directive->revokes.IsZero();
      AuditDetail(audit_detail_).Text(revokes ? "revoked_by" : "superseded_by", s.id.ToHex());
      Status st = AuditMessage(now, revokes ? "revoked" : "superseded",
                               revokes ? s.directive->revokes : s.directive->supersedes);
      if (!st.ok()) return fatal(st);
    }
  }
  for (const auto& r : s.recipients) {
    bool lease = false;
    if (!s.lease_to.empty() && std::find(s.lease_to.begin(), s.lease_to.end(), r) != s.lease_to.end()) {
      // Leased at once only when nothing is queued for r (back-offs
      // included): then this message is r's next in any order.
      Statement& head = stmts_->queue_head;
      head.Reset();
      head.Bind(1, r);
      Result<bool> queued = head.Step();
      head.Reset();
      if (!queued.ok()) return fatal(queued.status());
      lease = !*queued;
    }
    Statement& del = lease ? stmts_->insert_delivery_leased : stmts_->insert_delivery;
    del.Reset();
    del.Bind(1, seq).Bind(2, r).Bind(3, s.priority).Bind(4, s.expires_ms).Bind(5, now);
    uint64_t number = 0;
    if (lease) {
      auto it = next_seq.find(r);
      number = (it == next_seq.end() ? LastDeliverySeq(r) : it->second) + 1;
      del.Bind(6, now + s.lease_ms).Bind(7, static_cast<int64_t>(number));
    }
    if (Status st = del.Run(); !st.ok()) return fatal(st);
    added.Add(r, s.kind, 1);
    if (lease) {
      next_seq[r] = number;
      receipt.leased.push_back({r, number});
      AuditDetail(audit_detail_).Delivery(r, number).Number("attempt", 1);
      if (Status st = AuditMessage(now, "sent", s.id); !st.ok()) return fatal(st);
    }
  }
  return receipt;
}

Result<SubmitReceipt> Store::Submit(const Submission& s) {
  const Submission* one[] = {&s};
  return std::move(SubmitBatch(one).front());
}

Status Store::SaveDeliverySeqs(const std::unordered_map<std::string, uint64_t>& next_seq) {
  for (const auto& [recipient, number] : next_seq) {
    Statement& save = stmts_->save_delivery_seq;
    save.Reset();
    save.Bind(1, recipient).Bind(2, static_cast<int64_t>(number));
    REGLINE_RETURN_IF_ERROR(save.Run());
  }
  return Status::Ok();
}

void Store::NoteSubmitted(const PendingCounts& added, const std::unordered_map<std::string, uint64_t>& next_seq) {
  pending_.Merge(added, +1);
  for (const auto& [recipient, number] : next_seq) last_delivery_seq_[recipient] = number;
}

std::vector<Result<SubmitReceipt>> Store::SubmitBatch(std::span<const Submission* const> batch) {
  std::vector<Result<SubmitReceipt>> results;
  results.reserve(batch.size());
  PendingCounts added;
  std::unordered_map<std::string, uint64_t> next_seq;
  const int64_t now = clock_.NowMs();
  Status tx = Atomically([&]() -> Status {
    for (const Submission* s : batch) {
      Result<SubmitReceipt> r = SubmitOne(*s, now, added, next_seq);
      if (!r.ok() && IsTransactionFailure(r.status())) return r.status();
      results.push_back(std::move(r));
    }
    return SaveDeliverySeqs(next_seq);
  });
  if (!tx.ok()) {
    results.assign(batch.size(), tx.WithContext("storing submissions"));
    return results;
  }
  NoteSubmitted(added, next_seq);
  return results;
}

Result<std::vector<LeasedDelivery>> Store::Lease(std::string_view recipient, int max, int64_t lease_ms,
                                                 size_t max_bytes, bool* stopped_at_bytes) {
  if (stopped_at_bytes != nullptr) *stopped_at_bytes = false;
  std::vector<LeasedDelivery> leased;
  PendingCounts expired;
  const int64_t now = clock_.NowMs();
  const std::string who(recipient);
  const uint64_t last_seq = LastDeliverySeq(who);
  uint64_t next_seq = last_seq;
  Status tx = Atomically([&]() -> Status {
    Statement& due = stmts_->select_due;
    due.Reset();
    due.Bind(1, recipient).Bind(2, now).Bind(3, max);
    std::vector<LeasedDelivery> rows;
    size_t bytes = 0;
    bool at_bytes = false;
    for (;;) {
      if (max_bytes > 0 && bytes >= max_bytes) {
        at_bytes = true;
        break;
      }
      Result<bool> row = due.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      LeasedDelivery d;
      d.seq = static_cast<uint64_t>(due.ColumnInt64(0));
      d.recipient = std::string(recipient);
      d.attempt = static_cast<int>(due.ColumnInt64(1)) + 1;
      d.expires_ms = due.ColumnInt64(2);
      d.sender = due.ColumnText(3);
      auto id = due.ColumnBlob(4);
      Result<MessageId> mid = MessageId::FromBytes(id.data(), id.size());
      if (!mid.ok()) return mid.status();
      d.id = *mid;
      d.kind = static_cast<int>(due.ColumnInt64(5));
      d.priority = static_cast<int>(due.ColumnInt64(6));
      auto env = due.ColumnBlob(7);
      d.envelope.assign(reinterpret_cast<const char*>(env.data()), env.size());
      d.delivery_seq = static_cast<uint64_t>(due.ColumnInt64(8));
      bytes += d.envelope.size();
      rows.push_back(std::move(d));
    }
    due.Reset();
    // Set here, not after the commit: a failed transaction returns no
    // deliveries, and the flag then says nothing.
    if (stopped_at_bytes != nullptr) *stopped_at_bytes = at_bytes && static_cast<int>(rows.size()) < max;
    // Updates run after the scan: the queue index changes under them.
    for (auto& d : rows) {
      // Only a first transmission is refused for expiry: a message the
      // recipient may already hold is re-sent until it is acknowledged.
      // (A replayed dead letter starts again at attempt 1 but was sent
      // before: it has its number, and is sent whatever its expiry.)
      bool is_expired = d.delivery_seq == 0 && d.expires_ms != 0 && d.expires_ms <= now;
      Statement& up = is_expired ? stmts_->expire_delivery : stmts_->lease_delivery;
      up.Reset();
      up.Bind(1, static_cast<int64_t>(d.seq)).Bind(2, recipient).Bind(3, is_expired ? now : now + lease_ms);
      if (is_expired) {
        REGLINE_RETURN_IF_ERROR(up.Run());
        expired.Add(who, d.kind, 1);
        AuditDetail(audit_detail_).Text("recipient", recipient);
        REGLINE_RETURN_IF_ERROR(AuditMessage(now, "expired", d.id));
        continue;
      }
      if (d.delivery_seq == 0) d.delivery_seq = ++next_seq;  // first transmission
      up.Bind(4, static_cast<int64_t>(d.delivery_seq));
      REGLINE_RETURN_IF_ERROR(up.Run());
      AuditDetail(audit_detail_).Delivery(recipient, d.delivery_seq).Number("attempt", d.attempt);
      REGLINE_RETURN_IF_ERROR(AuditMessage(now, "sent", d.id));
      leased.push_back(std::move(d));
    }
    if (next_seq != last_seq) {
      Statement& save = stmts_->save_delivery_seq;
      save.Reset();
      save.Bind(1, recipient).Bind(2, static_cast<int64_t>(next_seq));
      REGLINE_RETURN_IF_ERROR(save.Run());
    }
    return Status::Ok();
  });
  if (!tx.ok()) return tx.WithContext("leasing deliveries for '" + who + "'");
  pending_.Merge(expired, -1);
  if (next_seq != last_seq) last_delivery_seq_[who] = next_seq;
  return leased;
}

Result<AckReceipt> Store::Acknowledge(uint64_t seq, std::string_view recipient, AckStage stage,
                                      std::string_view reason, std::string_view acknowledgement) {
  Statement& sel = stmts_->select_delivery;
  sel.Reset();
  sel.Bind(1, static_cast<int64_t>(seq)).Bind(2, recipient);
  Result<bool> row = sel.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return NotFound("no delivery of message #" + std::to_string(seq) + " to '" + std::string(recipient) + "'");
  }
  auto stored = sel.ColumnBlob(7);
  Result<MessageId> id = MessageId::FromBytes(stored.data(), stored.size());
  if (!id.ok()) {
    sel.Reset();
    return id.status();
  }
  return RecordAck(sel, 0, seq, static_cast<int>(sel.ColumnInt64(9)), recipient, *id,
                   static_cast<uint64_t>(sel.ColumnInt64(8)), stage, reason, acknowledgement);
}

Result<AckReceipt> Store::RecordAck(Statement& row, int first, uint64_t seq, int kind, std::string_view recipient,
                                    const MessageId& id, uint64_t delivery_seq, AckStage stage, std::string_view reason,
                                    std::string_view acknowledgement) {
  const int64_t now = clock_.NowMs();
  auto old_state = static_cast<DeliveryState>(row.ColumnInt64(first));
  int64_t received = row.ColumnInt64(first + 1), accepted = row.ColumnInt64(first + 2);
  int64_t completed = row.ColumnInt64(first + 3), rejected = row.ColumnInt64(first + 4);
  std::string stored_reason = row.ColumnText(first + 5);
  row.Reset();
  auto who = [&] {
    return "delivery of message #" + std::to_string(seq) + " to '" + std::string(recipient) + "'";
  };

  int64_t* slot = nullptr;
  switch (stage) {
    case AckStage::kReceived: slot = &received; break;
    case AckStage::kAccepted: slot = &accepted; break;
    case AckStage::kCompleted: slot = &completed; break;
    case AckStage::kRejected: slot = &rejected; break;
  }
  if (*slot != 0) return AckReceipt{old_state, *slot, true};
  if (stage != AckStage::kRejected && stage != AckStage::kReceived && rejected != 0) {
    return FailedPrecondition(who() + " was rejected; it cannot be " + std::string(AckStageName(stage)));
  }
  if (stage == AckStage::kRejected && completed != 0) {
    return FailedPrecondition(who() + " was completed; it cannot be rejected");
  }
  *slot = now;
  if (received == 0) received = now;  // any later stage implies receipt

  DeliveryState state = DeliveryState::kDelivered;
  if (rejected != 0) {
    state = DeliveryState::kRejected;
    stored_reason = std::string(reason);
  } else if (completed != 0) {
    state = DeliveryState::kCompleted;
  } else if (accepted != 0) {
    state = DeliveryState::kAccepted;
  }
  int64_t late_ms = 0;
  if (stage != AckStage::kReceived) {
    Result<std::optional<DirectiveDeadlines>> deadlines = directives_->Deadlines(seq);
    if (!deadlines.ok()) return deadlines.status();
    if (*deadlines) {
      const int64_t deadline = stage == AckStage::kCompleted ? (*deadlines)->completion_ms : (*deadlines)->ack_ms;
      late_ms = std::max<int64_t>(0, now - deadline);
    }
  }
  REGLINE_RETURN_IF_ERROR(AtomicallyOrDoom([&]() -> Status {
    Statement& up = stmts_->update_ack;
    up.Reset();
    up.Bind(1, static_cast<int64_t>(seq)).Bind(2, recipient).Bind(3, static_cast<int>(state)).Bind(4, received);
    up.Bind(5, accepted).Bind(6, completed).Bind(7, rejected).Bind(8, stored_reason);
    REGLINE_RETURN_IF_ERROR(up.Run());
    AuditDetail detail(audit_detail_);
    detail.Delivery(recipient, delivery_seq).Text("stage", AckStageName(stage));
    if (stage == AckStage::kRejected) detail.Text("reason", reason);
    if (late_ms > 0) detail.Number("late_ms", late_ms);
    REGLINE_RETURN_IF_ERROR(AuditMessage(now, "acknowledged", id));
    if (acknowledgement.empty()) return Status::Ok();  // the usual case: no evidence to keep
    Statement& keep = stmts_->insert_acknowledgement;
    keep.Reset();
    keep.Bind(1, static_cast<int64_t>(seq)).Bind(2, recipient).Bind(3, static_cast<int>(stage)).Bind(4, now);
    keep.BindBlob(5, acknowledgement.data(), acknowledgement.size());
    return keep.Run();
  }));
  if (IsPending(old_state)) pending_.Add(std::string(recipient), kind, -1);
  return AckReceipt{state, now, false, late_ms};
}

int64_t Store::BackoffMs(int attempts) const {
  int64_t delay = options_.retry_base_ms;
  for (int i = 1; i < attempts && delay < options_.retry_max_ms; ++i) delay *= 2;
  return std::min(delay, options_.retry_max_ms);
}

// Moves in-flight deliveries back to the queue, after back-off when
// `with_backoff`, or to the dead-letter queue once they have had
// max_attempts. Runs inside the caller's transaction.
// Returns the rows it dead-lettered.
Result<PendingCounts> Store::RetryOrDeadLetter(std::span<const RetryRow> rows, int64_t now, bool with_backoff,
                                               std::string_view reason) {
  PendingCounts dead;
  for (const RetryRow& r : rows) {
    const int max_attempts = MaxAttemptsFor(r.kind);
    if (r.attempts >= max_attempts) {
      Statement& dl = stmts_->dead_letter;
      dl.Reset();
      std::string why = std::string(reason) + " (attempt " + std::to_string(r.attempts) + " of " +
                        std::to_string(max_attempts) + ")";
      dl.Bind(1, static_cast<int64_t>(r.seq)).Bind(2, r.recipient).Bind(3, now).Bind(4, why);
      REGLINE_RETURN_IF_ERROR(dl.Run());
      AuditDetail(audit_detail_).Delivery(r.recipient, r.delivery_seq).Number("attempts", r.attempts).Text("reason",
                                                                                                          reason);
      REGLINE_RETURN_IF_ERROR(AuditMessage(now, "dead_lettered", r.id));
      dead.Add(r.recipient, r.kind, 1);
    } else {
      Statement& rq = stmts_->requeue;
      rq.Reset();
      const int64_t next_attempt = with_backoff ? now + BackoffMs(r.attempts) : now;
      rq.Bind(1, static_cast<int64_t>(r.seq)).Bind(2, r.recipient).Bind(3, next_attempt);
      REGLINE_RETURN_IF_ERROR(rq.Run());
      // Released by the recipient (with back-off), or taken back from it.
      AuditDetail detail(audit_detail_);
      detail.Delivery(r.recipient, r.delivery_seq).Number("attempt", r.attempts);
      if (with_backoff) detail.Number("retry_at_ms", next_attempt);
      detail.Text("reason", reason);
      REGLINE_RETURN_IF_ERROR(AuditMessage(now, with_backoff ? "released" : "requeued", r.id));
    }
  }
  return dead;
}

Status Store::Release(uint64_t seq, std::string_view recipient, std::string_view reason) {
  const int64_t now = clock_.NowMs();
  Statement& sel = stmts_->select_delivery;
  sel.Reset();
  sel.Bind(1, static_cast<int64_t>(seq)).Bind(2, recipient);
  Result<bool> row = sel.Step();
  if (!row.ok()) return row.status();
  const std::string who = "delivery of message #" + std::to_string(seq) + " to '" + std::string(recipient) + "'";
  if (!*row) return NotFound("no " + who);
  auto state = static_cast<DeliveryState>(sel.ColumnInt64(0));
  auto stored = sel.ColumnBlob(7);
  Result<MessageId> id = MessageId::FromBytes(stored.data(), stored.size());
  RetryRow r{seq, std::string(recipient), static_cast<int>(sel.ColumnInt64(6)), id.ok() ? *id : MessageId{},
             static_cast<uint64_t>(sel.ColumnInt64(8)), static_cast<int>(sel.ColumnInt64(9))};
  sel.Reset();
  if (!id.ok()) return id.status();
  if (state != DeliveryState::kInFlight) {
    return FailedPrecondition(who + " is " + std::string(DeliveryStateName(state)) + ", not in flight");
  }
  PendingCounts dead;
  std::string why = "released by recipient: " + std::string(reason);
  Status s = Atomically([&]() -> Status {
    Result<PendingCounts> d = RetryOrDeadLetter({&r, 1}, now, true, why);
    if (!d.ok()) return d.status();
    dead = std::move(d).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  pending_.Merge(dead, -1);
  return Status::Ok();
}

// Reads (seq, recipient, attempts, message_id, delivery_seq) rows from a
// statement bound by the caller.
int Store::MaxAttemptsFor(int kind) const {
  auto it = options_.max_attempts_by_kind.find(kind);
  return it != options_.max_attempts_by_kind.end() ? it->second : options_.max_attempts;
}

static Result<std::vector<Store::RetryRow>> ReadRows(Statement& st) {
  std::vector<Store::RetryRow> rows;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto stored = st.ColumnBlob(3);
    Result<MessageId> id = MessageId::FromBytes(stored.data(), stored.size());
    if (!id.ok()) {
      st.Reset();
      return id.status();
    }
    rows.push_back({static_cast<uint64_t>(st.ColumnInt64(0)), st.ColumnText(1), static_cast<int>(st.ColumnInt64(2)),
                    *id, static_cast<uint64_t>(st.ColumnInt64(4)), static_cast<int>(st.ColumnInt64(5))});
  }
  st.Reset();
  return rows;
}

Result<int> Store::RequeueSelected(Statement& select, int64_t now, std::string_view reason) {
  PendingCounts dead;
  int moved = 0;
  Status s = Atomically([&]() -> Status {
    Result<std::vector<RetryRow>> rows = ReadRows(select);
    if (!rows.ok()) return rows.status();
    moved = static_cast<int>(rows->size());
    Result<PendingCounts> d = RetryOrDeadLetter(*rows, now, false, reason);
    if (!d.ok()) return d.status();
    dead = std::move(d).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  pending_.Merge(dead, -1);  // queued and in flight count as pending; dead do not
  return moved;
}

Result<int> Store::RequeueExpiredLeases() {
  const int64_t now = clock_.NowMs();
  Statement& sel = stmts_->select_expired_leases;
  sel.Reset();
  sel.Bind(1, now);
  Result<int> moved = RequeueSelected(sel, now, "lease expired without acknowledgement");
  if (!moved.ok()) return moved.status().WithContext("requeueing expired leases");
  return moved;
}

Result<int> Store::ExpireDue() {
  const int64_t now = clock_.NowMs();
  std::vector<RetryRow> expired;
  Status s = Atomically([&]() -> Status {
    Statement& sel = stmts_->select_expired;
    sel.Reset();
    sel.Bind(1, now);
    Result<std::vector<RetryRow>> rows = ReadRows(sel);
    if (!rows.ok()) return rows.status();
    for (const RetryRow& r : *rows) {
      Statement& up = stmts_->expire_delivery;
      up.Reset();
      up.Bind(1, static_cast<int64_t>(r.seq)).Bind(2, r.recipient).Bind(3, now);
      REGLINE_RETURN_IF_ERROR(up.Run());
      AuditDetail(audit_detail_).Text("recipient", r.recipient);
      REGLINE_RETURN_IF_ERROR(AuditMessage(now, "expired", r.id));
    }
    expired = std::move(rows).value();
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("expiring messages");
  for (const auto& r : expired) pending_.Add(r.recipient, r.kind, -1);
  return static_cast<int>(expired.size());
}

Status Store::Replay(uint64_t seq, std::string_view recipient) {
  const int64_t now = clock_.NowMs();
  int kind = 0;
  Status s = Atomically([&]() -> Status {
    Statement& up = stmts_->replay;
    up.Reset();
    up.Bind(1, static_cast<int64_t>(seq)).Bind(2, recipient).Bind(3, now);
    REGLINE_RETURN_IF_ERROR(up.Run());
    if (db_.Changes() == 0) {
      return FailedPrecondition("delivery of message #" + std::to_string(seq) + " to '" + std::string(recipient) +
                                "' is not in the dead-letter queue");
    }
    Statement& sel = stmts_->select_delivery;
    sel.Reset();
    sel.Bind(1, static_cast<int64_t>(seq)).Bind(2, recipient);
    Result<bool> row = sel.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Internal("a replayed delivery vanished");
    auto stored = sel.ColumnBlob(7);
    Result<MessageId> id = MessageId::FromBytes(stored.data(), stored.size());
    const auto delivery_seq = static_cast<uint64_t>(sel.ColumnInt64(8));
    kind = static_cast<int>(sel.ColumnInt64(9));
    sel.Reset();
    if (!id.ok()) return id.status();
    AuditDetail(audit_detail_).Delivery(recipient, delivery_seq);
    return AuditMessage(now, "replayed", *id);
  });
  if (!s.ok()) return s;
  pending_.Add(std::string(recipient), kind, +1);
  return Status::Ok();
}

Result<AckReceipt> Store::AcknowledgeDelivery(std::string_view recipient, uint64_t delivery_seq,
                                              const MessageId& id, AckStage stage, std::string_view reason,
                                              std::string_view acknowledgement) {
  Statement& st = stmts_->find_by_number;
  st.Reset();
  st.Bind(1, recipient).Bind(2, static_cast<int64_t>(delivery_seq));
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  auto who = [&] { return "delivery #" + std::to_string(delivery_seq) + " to '" + std::string(recipient) + "'"; };
  if (!*row) return NotFound("no " + who());
  auto seq = static_cast<uint64_t>(st.ColumnInt64(0));
  auto stored = st.ColumnBlob(1);
  Result<MessageId> mid = MessageId::FromBytes(stored.data(), stored.size());
  if (!mid.ok() || *mid != id) {
    st.Reset();
    if (!mid.ok()) return mid.status();
    return NotFound(who() + " is message " + mid->ToHex() + ", not " + id.ToHex());
  }
  return RecordAck(st, 2, seq, static_cast<int>(st.ColumnInt64(8)), recipient, id, delivery_seq, stage, reason,
                   acknowledgement);
}

Result<int> Store::RequeueInFlight(std::string_view recipient) {
  // Each lease counted an attempt: a message that never gets acknowledged
  // because its recipient's session keeps ending (a message that crashes
  // the recipient, say) reaches max_attempts and is dead-lettered instead
  // of being sent forever.
  Statement& sel = stmts_->select_in_flight;
  sel.Reset();
  sel.Bind(1, recipient);
  Result<int> moved = RequeueSelected(sel, clock_.NowMs(), "the recipient's session ended before it acknowledged");
  if (!moved.ok()) return moved.status().WithContext("requeueing what '" + std::string(recipient) + "' had in flight");
  return moved;
}

Result<int> Store::ReceivedUpTo(std::string_view recipient, uint64_t upto) {
  // Pending shrinks by the rows that were queued or in flight; count them
  // first, in the same transaction as the update; the audit chain gets
  // one entry per row.
  PendingCounts leaving;
  int changed = 0;
  const int64_t now = clock_.NowMs();
  const uint64_t last = LastDeliverySeq(std::string(recipient));
  Status s = Atomically([&]() -> Status {
    if (upto > last) {
      Statement& save = stmts_->save_delivery_seq;
      save.Reset();
      save.Bind(1, recipient).Bind(2, static_cast<int64_t>(upto));
      REGLINE_RETURN_IF_ERROR(save.Run());
      if (options_.audit) {
        const std::string detail = "from=" + std::to_string(last) + " to=" + std::to_string(upto) + " via=resume";
        REGLINE_RETURN_IF_ERROR(audit_->Append(now, "delivery_seq_advanced", recipient, detail));
      }
    }
    struct Received {
      MessageId id;
      uint64_t delivery_seq;
    };
    std::vector<Received> rows;
    leaving.clear();
    Statement& sel = stmts_->select_received_up_to;
    sel.Reset();
    sel.Bind(1, recipient).Bind(2, static_cast<int64_t>(upto));
    for (;;) {
      Result<bool> row = sel.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      if (IsPending(static_cast<DeliveryState>(sel.ColumnInt64(0)))) {
        leaving.Add(std::string(recipient), static_cast<int>(sel.ColumnInt64(3)), 1);
      }
      auto stored = sel.ColumnBlob(1);
      Result<MessageId> id = MessageId::FromBytes(stored.data(), stored.size());
      if (!id.ok()) {
        sel.Reset();
        return id.status();
      }
      rows.push_back({*id, static_cast<uint64_t>(sel.ColumnInt64(2))});
    }
    sel.Reset();
    if (rows.empty()) return Status::Ok();
    Statement& up = stmts_->received_up_to;
    up.Reset();
    up.Bind(1, recipient).Bind(2, static_cast<int64_t>(upto)).Bind(3, now);
    REGLINE_RETURN_IF_ERROR(up.Run());
    changed = db_.Changes();
    for (const Received& r : rows) {
      AuditDetail(audit_detail_).Delivery(recipient, r.delivery_seq).Text("stage", "received").Text("via",
                                                                                                   "resume");
      REGLINE_RETURN_IF_ERROR(AuditMessage(now, "acknowledged", r.id));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("recording resume point for '" + std::string(recipient) + "'");
  pending_.Merge(leaving, -1);
  if (upto > last) last_delivery_seq_[std::string(recipient)] = upto;
  return changed;
}

Status Store::AuditMessage(int64_t now, std::string_view event, const MessageId& id) {
  if (!options_.audit) return Status::Ok();
  return audit_->Append(now, event, IdHex(id).view(), audit_detail_);
}

Status Store::AppendAudit(std::string_view event, std::string_view subject, std::string_view detail) {
  auto allowed = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; };
  if (event.empty() || !std::all_of(event.begin(), event.end(), allowed)) {
    return InvalidArgument("audit event '" + std::string(event) + "' is not lower-case letters, digits and '_'");
  }
  if (!options_.audit) return Status::Ok();
  const int64_t now = clock_.NowMs();
  return Atomically([&] { return audit_->Append(now, event, subject, detail); });
}

Result<bool> Store::AddLegalHold(const LegalHold& hold) {
  if (hold.subject.empty()) return InvalidArgument("a legal hold needs a subject (an identity or a message id)");
  bool added = false;
  Status s = Atomically([&]() -> Status {
    Result<bool> r = retention_->AddHold(hold);
    if (!r.ok()) return r.status();
    added = *r;
    if (!added || !options_.audit) return Status::Ok();
    AuditDetail(audit_detail_).Text("by", hold.set_by).Text("reason", hold.reason);
    return audit_->Append(hold.set_ms, "hold_added", hold.subject, audit_detail_);
  });
  if (!s.ok()) return s.WithContext("setting a legal hold");
  return added;
}

Result<bool> Store::RemoveLegalHold(const std::string& subject, const std::string& by) {
  const int64_t now = clock_.NowMs();
  bool removed = false;
  Status s = Atomically([&]() -> Status {
    Result<bool> r = retention_->RemoveHold(subject);
    if (!r.ok()) return r.status();
    removed = *r;
    if (!removed || !options_.audit) return Status::Ok();
    AuditDetail(audit_detail_).Text("by", by);
    return audit_->Append(now, "hold_removed", subject, audit_detail_);
  });
  if (!s.ok()) return s.WithContext("lifting a legal hold");
  return removed;
}

Result<std::vector<LegalHold>> Store::LegalHolds() { return retention_->Holds(); }

Result<PruneCounts> Store::PruneRetained(int64_t retention_ms, int limit) {
  const int64_t now = clock_.NowMs();
  const int64_t cutoff = now - retention_ms;
  PruneCounts counts;
  // The scan walks the messages table in ranges of `window` numbers from
  // where the last pass stopped, at most kWindows ranges a pass, and starts
  // over from the beginning once it meets messages still in their period
  // (or the end): so a pass costs a bounded amount of work however large
  // the store, and a message kept for a hold is looked at again on the
  // next round after the hold is lifted.
  constexpr int kWindows = 20;
  const uint64_t window = static_cast<uint64_t>(std::max(1, limit)) * 10;
  uint64_t next_from = retention_->scan_from;
  Status s = Atomically([&]() -> Status {
    uint64_t from = retention_->scan_from;
    Result<uint64_t> last = retention_->LastSeq();
    if (!last.ok()) return last.status();
    for (int w = 0; w < kWindows && counts.messages < limit; ++w) {
      Result<std::vector<PrunableMessage>> prunable =
          retention_->Prunable(cutoff, limit - static_cast<int>(counts.messages), from, from + window);
      if (!prunable.ok()) return prunable.status();
      for (const PrunableMessage& m : *prunable) REGLINE_RETURN_IF_ERROR(retention_->DeleteMessage(m.seq));
      counts.messages += static_cast<int64_t>(prunable->size());
      if (counts.messages >= limit) break;  // more may go in this range: start here next time
      Result<bool> young = retention_->AnyYoungIn(cutoff, from, from + window);
      if (!young.ok()) return young.status();
      if (*young || from + window >= *last) {
        from = 0;
        break;
      }
      from += window;
    }
    next_from = from;
    if (!options_.audit) return Status::Ok();
    Result<PruneCounts> audit = retention_->PruneAudit(cutoff, 10 * limit, now);
    if (!audit.ok()) return audit.status();
    counts.audit_entries = audit->audit_entries;
    counts.audit_through = audit->audit_through;
    if (counts.messages == 0 && counts.audit_entries == 0) return Status::Ok();
    AuditDetail(audit_detail_)
        .Number("messages", counts.messages)
        .Number("audit_entries", counts.audit_entries)
        .Number("audit_through", counts.audit_through)
        .Number("accepted_before_ms", cutoff);
    return audit_->Append(now, "retention_pruned", "retention", audit_detail_);
  });
  if (counts.messages != 0) directives_->ForgetDeadlines();  // their numbers may be given again
  if (!s.ok()) return s.WithContext("pruning retained records");
  retention_->scan_from = next_from;
  return counts;
}

Result<uint64_t> Store::FindSeqById(const MessageId& id) {
  Statement& st = stmts_->find_seq_by_id;
  st.Reset();
  auto bytes = id.ToBytes();
  st.BindBlob(1, bytes.data(), bytes.size());
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no message " + id.ToHex());
  auto seq = static_cast<uint64_t>(st.ColumnInt64(0));
  st.Reset();
  return seq;
}

Result<uint64_t> Store::FindSeq(std::string_view sender, const MessageId& id) {
  Statement& st = stmts_->find_seq;
  st.Reset();
  auto bytes = id.ToBytes();
  st.Bind(1, sender).BindBlob(2, bytes.data(), bytes.size());
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no message " + id.ToHex() + " from '" + std::string(sender) + "'");
  auto seq = static_cast<uint64_t>(st.ColumnInt64(0));
  st.Reset();
  return seq;
}

static Result<std::vector<DeliveryStatus>> ReadStatuses(Statement& st) {
  std::vector<DeliveryStatus> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadDeliveryStatus(st));
  }
  st.Reset();
  return out;
}

Result<std::vector<OverdueItem>> Store::Overdue(int limit, bool unescalated_only) {
  return directives_->Overdue(clock_.NowMs(), limit, unescalated_only);
}

Result<SubmitReceipt> Store::Escalate(const OverdueItem& item, int level, const Submission& escalation) {
  const int64_t now = clock_.NowMs();
  PendingCounts added;
  std::unordered_map<std::string, uint64_t> next_seq;
  Result<SubmitReceipt> receipt = Internal("escalation not stored");
  Status tx = Atomically([&]() -> Status {
    receipt = SubmitOne(escalation, now, added, next_seq);
    if (!receipt.ok()) return receipt.status();
    if (receipt->duplicate) return AlreadyExists("escalation " + escalation.id.ToHex() + " was stored before");
    REGLINE_RETURN_IF_ERROR(directives_->RecordEscalation(item, level, now, receipt->seq));
    AuditDetail(audit_detail_)
        .Text("recipient", item.recipient)
        .Text("missing", DeadlineStageName(item.missing))
        .Number("deadline_ms", item.deadline_ms)
        .Number("level", level)
        .Text("escalation", escalation.id.ToHex());
    REGLINE_RETURN_IF_ERROR(AuditMessage(now, "escalated", item.directive));
    return SaveDeliverySeqs(next_seq);
  });
  if (!tx.ok()) return tx;
  NoteSubmitted(added, next_seq);
  return receipt;
}

Result<DirectiveLineage> Store::Lineage(uint64_t seq) { return directives_->Lineage(seq); }

Result<uint64_t> Store::CatalogCurrent() { return catalog_->Current(); }
Result<std::vector<CatalogVersionRow>> Store::CatalogVersions() { return catalog_->Versions(); }
Result<std::vector<CatalogApplied>> Store::CatalogAppliedByPlatform() { return catalog_->Applied(); }
Result<std::vector<ReportRow>> Store::Reports() { return reports_->All(); }

Result<std::string> Store::EnvelopeOf(uint64_t seq) {
  Statement& st = stmts_->envelope_of;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(seq));
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("no message #" + std::to_string(seq));
  auto blob = st.ColumnBlob(0);
  std::string envelope(reinterpret_cast<const char*>(blob.data()), blob.size());
  st.Reset();
  return envelope;
}

Result<int> Store::EscalationCount(uint64_t seq, std::string_view recipient) {
  return directives_->EscalationCount(seq, recipient);
}

Result<std::vector<DeliveryStatus>> Store::Deliveries(uint64_t seq) {
  Statement& st = stmts_->deliveries_of;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(seq));
  return ReadStatuses(st);
}

Result<std::vector<StoredAcknowledgement>> Store::Acknowledgements(uint64_t seq) {
  Statement& st = stmts_->acknowledgements_of;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(seq));
  std::vector<StoredAcknowledgement> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto envelope = st.ColumnBlob(3);
    out.push_back({st.ColumnText(0), static_cast<AckStage>(st.ColumnInt64(1)), st.ColumnInt64(2),
                   std::string(reinterpret_cast<const char*>(envelope.data()), envelope.size())});
  }
  st.Reset();
  return out;
}

Result<std::vector<DeliveryStatus>> Store::DeadLetters(std::string_view recipient, int limit) {
  Statement& st = stmts_->dead_letters;
  st.Reset();
  st.Bind(1, recipient).Bind(2, limit);
  return ReadStatuses(st);
}

Result<std::vector<QueueDepth>> Store::Depths() {
  Statement& st = stmts_->depths;
  st.Reset();
  std::vector<QueueDepth> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({st.ColumnText(0), st.ColumnInt64(1), st.ColumnInt64(2), st.ColumnInt64(3),
                   st.ColumnIsNull(4) ? 0 : st.ColumnInt64(4), st.ColumnIsNull(5) ? 0 : st.ColumnInt64(5)});
  }
  st.Reset();
  return out;
}

}  // namespace regline
