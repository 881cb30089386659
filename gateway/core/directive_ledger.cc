#include "gateway/core/directive_ledger.h"

#include <algorithm>

namespace regline {
namespace {

constexpr int kDirectiveKind = 1;  // schema MessageKind.directive
constexpr int kSuperseded = 1;
constexpr int kRevoked = 2;

MessageId IdFromBlob(std::span<const uint8_t> blob) {
  Result<MessageId> id = MessageId::FromBytes(blob.data(), blob.size());
  return id.ok() ? *id : MessageId();
}

}  // namespace

std::string_view DeadlineStageName(DeadlineStage s) { return s == DeadlineStage::kAccept ? "accept" : "complete"; }

struct DirectiveLedger::Statements {
  Statement find_by_id, insert, close, overdue, insert_escalation, lineage, deadlines, escalation_count;
};

DirectiveLedger::DirectiveLedger(std::unique_ptr<Statements> s, ActionNamer action_name)
    : stmts_(std::move(s)), action_name_(std::move(action_name)) {}
DirectiveLedger::~DirectiveLedger() = default;

Result<std::unique_ptr<DirectiveLedger>> DirectiveLedger::Open(Database& db, ActionNamer action_name) {
  auto s = std::make_unique<Statements>();
  const StatementSql all[] = {
      {&s->find_by_id, "SELECT seq, kind FROM messages WHERE message_id = ?1 ORDER BY seq LIMIT 1"},
      {&s->insert,
       "INSERT INTO directives(message_seq, department, action, severity, ack_deadline_ms, completion_deadline_ms, "
       "supersedes_seq, revokes_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&s->close,
       "UPDATE directives SET closed_by_seq = ?2, closed_how = ?3, closed_ms = ?4 WHERE message_seq = ?1 AND "
       "closed_by_seq = 0"},
      // Open directives whose acknowledgement deadline passed (the earlier
      // of the two), with each recipient's stages and escalation counts.
      {&s->overdue,
       "SELECT d.message_seq, m.message_id, m.sender, d.department, d.action, d.severity, x.recipient, x.state, "
       "d.ack_deadline_ms, d.completion_deadline_ms, m.accepted_ms, x.accepted_ms, x.rejected_ms, x.completed_ms, "
       "(SELECT count(*) FROM escalations e WHERE e.message_seq = d.message_seq AND e.recipient = x.recipient AND "
       "e.stage = 1), (SELECT count(*) FROM escalations e WHERE e.message_seq = d.message_seq AND e.recipient = "
       "x.recipient AND e.stage = 2) FROM directives d JOIN messages m ON m.seq = d.message_seq JOIN deliveries x "
       "ON x.message_seq = d.message_seq WHERE d.closed_by_seq = 0 AND d.ack_deadline_ms < ?1 AND x.completed_ms "
       "= 0 AND x.rejected_ms = 0 ORDER BY d.ack_deadline_ms"},
      {&s->insert_escalation,
       "INSERT INTO escalations(message_seq, recipient, stage, level, escalated_ms, escalation_seq) VALUES(?1, ?2, "
       "?3, ?4, ?5, ?6)"},
      {&s->lineage,
       "SELECT d.department, d.action, d.severity, d.ack_deadline_ms, d.completion_deadline_ms, (SELECT message_id "
       "FROM messages WHERE seq = d.supersedes_seq), (SELECT message_id FROM messages WHERE seq = d.revokes_seq), "
       "d.closed_how, d.closed_ms, (SELECT message_id FROM messages WHERE seq = d.closed_by_seq) FROM directives d "
       "WHERE d.message_seq = ?1"},
      {&s->deadlines, "SELECT ack_deadline_ms, completion_deadline_ms FROM directives WHERE message_seq = ?1"},
      {&s->escalation_count, "SELECT count(*) FROM escalations WHERE message_seq = ?1 AND recipient = ?2"},
  };
  REGLINE_RETURN_IF_ERROR(PrepareAll(db, all, "directive ledger"));
  return std::unique_ptr<DirectiveLedger>(new DirectiveLedger(std::move(s), std::move(action_name)));
}

// The directive with message id `id`: nullopt when the message exists but
// is not a tracked directive; kNotFound when there is no such message.
Result<std::optional<DirectiveLineage>> DirectiveLedger::FindById(const MessageId& id, uint64_t* seq) {
  Statement& st = stmts_->find_by_id;
  st.Reset();
  auto bytes = id.ToBytes();
  st.BindBlob(1, bytes.data(), bytes.size());
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    st.Reset();
    return NotFound("no message " + id.ToHex());
  }
  *seq = static_cast<uint64_t>(st.ColumnInt64(0));
  const bool directive = st.ColumnInt64(1) == kDirectiveKind;
  st.Reset();
  if (!directive) return std::optional<DirectiveLineage>();
  Result<DirectiveLineage> lineage = Lineage(*seq);
  if (lineage.ok()) return std::optional<DirectiveLineage>(std::move(lineage).value());
  if (lineage.status().code() == StatusCode::kNotFound) return std::optional<DirectiveLineage>();
  return lineage.status();
}

Result<uint64_t> DirectiveLedger::CheckLineage(const DirectiveTerms& terms) {
  if (!terms.supersedes.IsZero() && !terms.revokes.IsZero()) {
    return InvalidArgument("a directive may supersede or revoke an earlier one, not both");
  }
  const bool revoking = !terms.revokes.IsZero();
  const MessageId& earlier = revoking ? terms.revokes : terms.supersedes;
  if (earlier.IsZero()) return uint64_t{0};
  const char* verb = revoking ? "revoke" : "supersede";
  uint64_t seq = 0;  // the earlier directive's
  Result<std::optional<DirectiveLineage>> found = FindById(earlier, &seq);
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) {
      return NotFound(std::string("cannot ") + verb + " directive " + earlier.ToHex() +
                      ": the gateway holds no such message");
    }
    return found.status();
  }
  if (!found->has_value()) {
    return InvalidArgument(std::string("cannot ") + verb + " message " + earlier.ToHex() + ": it is not a directive");
  }
  const DirectiveLineage& old = **found;
  if (old.terms.department != terms.department) {
    return PermissionDenied(std::string("cannot ") + verb + " directive " + earlier.ToHex() + ": it was issued by " +
                            old.terms.department + ", not " + terms.department);
  }
  if (old.closed_ms != 0) {
    const bool superseded = !old.superseded_by.IsZero();
    return FailedPrecondition(
        std::string("cannot ") + verb + " directive " + earlier.ToHex() + ": it was already " +
        (superseded ? "superseded by " + old.superseded_by.ToHex() : "revoked by " + old.revoked_by.ToHex()));
  }
  if (revoking && old.terms.action != terms.action) {
    return InvalidArgument("a revocation repeats the revoked directive's action: directive " + earlier.ToHex() +
                           " has action " + ActionText(old.terms.action) + ", this one " + ActionText(terms.action));
  }
  return seq;
}

std::string DirectiveLedger::ActionText(int action) const {
  std::string name = action_name_ ? action_name_(action) : std::string();
  return name.empty() ? std::to_string(action) : name + " (" + std::to_string(action) + ")";
}

Status DirectiveLedger::Record(uint64_t seq, const DirectiveTerms& terms, uint64_t earlier_seq, int64_t now) {
  const bool revoking = !terms.revokes.IsZero();
  Statement& ins = stmts_->insert;
  ins.Reset();
  ins.Bind(1, static_cast<int64_t>(seq)).Bind(2, terms.department).Bind(3, terms.action).Bind(4, terms.severity);
  ins.Bind(5, terms.ack_deadline_ms).Bind(6, terms.completion_deadline_ms);
  ins.Bind(7, revoking ? 0 : static_cast<int64_t>(earlier_seq))
      .Bind(8, revoking ? static_cast<int64_t>(earlier_seq) : 0);
  REGLINE_RETURN_IF_ERROR(ins.Run());
  if (earlier_seq == 0) return Status::Ok();
  Statement& close = stmts_->close;
  close.Reset();
  close.Bind(1, static_cast<int64_t>(earlier_seq)).Bind(2, static_cast<int64_t>(seq));
  close.Bind(3, revoking ? kRevoked : kSuperseded).Bind(4, now);
  return close.Run();
}

Result<std::vector<OverdueItem>> DirectiveLedger::Overdue(int64_t now, int limit, bool unescalated_only) {
  Statement& st = stmts_->overdue;
  st.Reset();
  st.Bind(1, now);
  std::vector<OverdueItem> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) {
      st.Reset();
      return row.status();
    }
    if (!*row) break;
    OverdueItem item;
    item.seq = static_cast<uint64_t>(st.ColumnInt64(0));
    item.directive = IdFromBlob(st.ColumnBlob(1));
    item.issuer = st.ColumnText(2);
    item.department = st.ColumnText(3);
    item.action = static_cast<int>(st.ColumnInt64(4));
    item.severity = static_cast<int>(st.ColumnInt64(5));
    item.recipient = st.ColumnText(6);
    item.last_state = static_cast<int>(st.ColumnInt64(7));
    const int64_t ack_deadline = st.ColumnInt64(8);
    const int64_t completion_deadline = st.ColumnInt64(9);
    item.issued_ms = st.ColumnInt64(10);
    const bool accepted = st.ColumnInt64(11) != 0;  // completed and rejected are excluded by the query
    const int64_t escalated[] = {st.ColumnInt64(14), st.ColumnInt64(15)};
    auto add = [&](DeadlineStage stage, int64_t deadline, int64_t escalations) {
      if (unescalated_only && escalations > 0) return;
      OverdueItem one = item;
      one.missing = stage;
      one.deadline_ms = deadline;
      one.escalations = static_cast<int>(escalations);
      out.push_back(std::move(one));
    };
    if (!accepted && ack_deadline < now) add(DeadlineStage::kAccept, ack_deadline, escalated[0]);
    if (completion_deadline < now) add(DeadlineStage::kComplete, completion_deadline, escalated[1]);
  }
  st.Reset();
  std::stable_sort(out.begin(), out.end(),
                   [](const OverdueItem& a, const OverdueItem& b) { return a.deadline_ms < b.deadline_ms; });
  if (limit > 0 && static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

Status DirectiveLedger::RecordEscalation(const OverdueItem& item, int level, int64_t now, uint64_t escalation_seq) {
  Statement& st = stmts_->insert_escalation;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(item.seq)).Bind(2, item.recipient).Bind(3, static_cast<int>(item.missing));
  st.Bind(4, level).Bind(5, now).Bind(6, static_cast<int64_t>(escalation_seq));
  return st.Run();
}

Result<DirectiveLineage> DirectiveLedger::Lineage(uint64_t seq) {
  Statement& st = stmts_->lineage;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(seq));
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    st.Reset();
    return NotFound("message " + std::to_string(seq) + " is not a tracked directive");
  }
  DirectiveLineage l;
  l.terms.department = st.ColumnText(0);
  l.terms.action = static_cast<int>(st.ColumnInt64(1));
  l.terms.severity = static_cast<int>(st.ColumnInt64(2));
  l.terms.ack_deadline_ms = st.ColumnInt64(3);
  l.terms.completion_deadline_ms = st.ColumnInt64(4);
  l.terms.supersedes = IdFromBlob(st.ColumnBlob(5));
  l.terms.revokes = IdFromBlob(st.ColumnBlob(6));
  const int64_t how = st.ColumnInt64(7);
  l.closed_ms = st.ColumnInt64(8);
  MessageId closer = IdFromBlob(st.ColumnBlob(9));
  if (how == kSuperseded) l.superseded_by = closer;
  if (how == kRevoked) l.revoked_by = closer;
  st.Reset();
  return l;
}

Result<std::optional<DirectiveDeadlines>> DirectiveLedger::Deadlines(uint64_t seq) {
  if (auto known = deadlines_.find(seq); known != deadlines_.end()) return known->second;
  Statement& st = stmts_->deadlines;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(seq));
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  std::optional<DirectiveDeadlines> found;
  if (*row) found = DirectiveDeadlines{st.ColumnInt64(0), st.ColumnInt64(1)};
  st.Reset();
  if (deadlines_.size() >= kRememberedDeadlines) deadlines_.clear();
  deadlines_.emplace(seq, found);
  return found;
}

Result<int> DirectiveLedger::EscalationCount(uint64_t seq, std::string_view recipient) {
  Statement& st = stmts_->escalation_count;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(seq)).Bind(2, recipient);
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  int n = *row ? static_cast<int>(st.ColumnInt64(0)) : 0;
  st.Reset();
  return n;
}

}  // namespace regline
