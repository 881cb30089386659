#include "gateway/core/retention_ledger.h"

#include <algorithm>

namespace regline {

struct RetentionLedger::Statements {
  Database* db;  // for Changes()
  Statement add_hold, remove_hold, holds, prunable, any_young;
  Statement delete_acks, delete_escalations, delete_directive, delete_deliveries, delete_message;
  Statement audit_after, message_with_id, held, delete_audit, set_anchor;
};

RetentionLedger::RetentionLedger(std::unique_ptr<Statements> s) : stmts_(std::move(s)) {}
RetentionLedger::~RetentionLedger() = default;

Result<std::unique_ptr<RetentionLedger>> RetentionLedger::Open(Database& db) {
  auto s = std::make_unique<Statements>();
  s->db = &db;
  const StatementSql all[] = {
      {&s->add_hold,
       "INSERT INTO legal_holds(subject, reason, set_by, set_ms) VALUES(?1, ?2, ?3, ?4) "
       "ON CONFLICT(subject) DO NOTHING"},
      {&s->remove_hold, "DELETE FROM legal_holds WHERE subject = ?1"},
      {&s->holds, "SELECT subject, reason, set_by, set_ms FROM legal_holds ORDER BY subject"},
      // The rules of retention_ledger.h, one NOT EXISTS each. Delivery
      // states 0 and 1 are queued and in flight.
      {&s->prunable,
       "SELECT m.seq, m.message_id FROM messages m WHERE m.accepted_ms < ?1 "
       "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.state IN (0, 1)) "
       "AND NOT EXISTS (SELECT 1 FROM catalog_versions c WHERE c.message_seq = m.seq) "
       "AND NOT EXISTS (SELECT 1 FROM catalog_applied c WHERE c.message_seq = m.seq) "
       "AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.message_seq = m.seq) "
       "AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.subject IN (m.sender, lower(hex(m.message_id)), "
       "lower(hex(m.correlation_id)))) "
       "AND NOT EXISTS (SELECT 1 FROM deliveries d JOIN legal_holds h ON h.subject = d.recipient "
       "WHERE d.message_seq = m.seq) "
       "AND m.seq > ?3 AND m.seq <= ?4 ORDER BY m.seq LIMIT ?2"},
      {&s->any_young, "SELECT EXISTS (SELECT 1 FROM messages WHERE seq > ?2 AND seq <= ?3 AND accepted_ms >= ?1)"},
      {&s->delete_acks, "DELETE FROM acknowledgements WHERE message_seq = ?1"},
      {&s->delete_escalations, "DELETE FROM escalations WHERE message_seq = ?1"},
      {&s->delete_directive, "DELETE FROM directives WHERE message_seq = ?1"},
      {&s->delete_deliveries, "DELETE FROM deliveries WHERE message_seq = ?1"},
      {&s->delete_message, "DELETE FROM messages WHERE seq = ?1"},
      {&s->audit_after, "SELECT seq, at_ms, subject, hash FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"},
      {&s->message_with_id, "SELECT 1 FROM messages WHERE message_id = ?1 LIMIT 1"},
      {&s->held, "SELECT 1 FROM legal_holds WHERE subject = ?1"},
      {&s->delete_audit, "DELETE FROM audit_log WHERE seq <= ?1"},
      {&s->set_anchor,
       "INSERT INTO audit_anchor(id, seq, hash, pruned_ms) VALUES(1, ?1, ?2, ?3) "
       "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_ms = excluded.pruned_ms"},
  };
  REGLINE_RETURN_IF_ERROR(PrepareAll(db, all, "retention ledger"));
  return std::unique_ptr<RetentionLedger>(new RetentionLedger(std::move(s)));
}

Result<bool> RetentionLedger::AddHold(const LegalHold& hold) {
  Statement& st = stmts_->add_hold;
  st.Reset();
  st.Bind(1, hold.subject).Bind(2, hold.reason).Bind(3, hold.set_by).Bind(4, hold.set_ms);
  REGLINE_RETURN_IF_ERROR(st.Run());
  return stmts_->db->Changes() > 0;
}

Result<bool> RetentionLedger::RemoveHold(const std::string& subject) {
  Statement& st = stmts_->remove_hold;
  st.Reset();
  st.Bind(1, subject);
  REGLINE_RETURN_IF_ERROR(st.Run());
  return stmts_->db->Changes() > 0;
}

Result<std::vector<LegalHold>> RetentionLedger::Holds() {
  Statement& st = stmts_->holds;
  st.Reset();
  std::vector<LegalHold> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({st.ColumnText(0), st.ColumnText(1), st.ColumnText(2), st.ColumnInt64(3)});
  }
  st.Reset();
  return out;
}

Result<bool> RetentionLedger::AnyYoungIn(int64_t cutoff_ms, uint64_t after_seq, uint64_t upto_seq) {
  Statement& st = stmts_->any_young;
  st.Reset();
  st.Bind(1, cutoff_ms).Bind(2, static_cast<int64_t>(after_seq)).Bind(3, static_cast<int64_t>(upto_seq));
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  const bool young = *row && st.ColumnInt64(0) != 0;
  st.Reset();
  return young;
}

Result<uint64_t> RetentionLedger::LastSeq() {
  Result<int64_t> last = stmts_->db->QueryInt("SELECT coalesce(max(seq), 0) FROM messages");
  if (!last.ok()) return last.status();
  return static_cast<uint64_t>(*last);
}

Result<std::vector<PrunableMessage>> RetentionLedger::Prunable(int64_t cutoff_ms, int limit, uint64_t after_seq,
                                                               uint64_t upto_seq) {
  Statement& st = stmts_->prunable;
  st.Reset();
  st.Bind(1, cutoff_ms).Bind(2, static_cast<int64_t>(limit));
  st.Bind(3, static_cast<int64_t>(after_seq)).Bind(4, static_cast<int64_t>(upto_seq));
  std::vector<PrunableMessage> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto blob = st.ColumnBlob(1);
    Result<MessageId> id = MessageId::FromBytes(blob.data(), blob.size());
    if (!id.ok()) return Corruption("message #" + std::to_string(st.ColumnInt64(0)) + " has a malformed id");
    out.push_back({static_cast<uint64_t>(st.ColumnInt64(0)), *id});
  }
  st.Reset();
  return out;
}

Status RetentionLedger::DeleteMessage(uint64_t seq) {
  for (Statement* st : {&stmts_->delete_acks, &stmts_->delete_escalations, &stmts_->delete_directive,
                        &stmts_->delete_deliveries, &stmts_->delete_message}) {
    st->Reset();
    st->Bind(1, static_cast<int64_t>(seq));
    REGLINE_RETURN_IF_ERROR(st->Run());
  }
  return Status::Ok();
}

Result<bool> RetentionLedger::KeepsAudit(const std::string& subject) {
  Statement& held = stmts_->held;
  held.Reset();
  held.Bind(1, subject);
  Result<bool> row = held.Step();
  held.Reset();
  if (!row.ok()) return row.status();
  if (*row) return true;
  Result<MessageId> id = MessageId::FromHex(subject);
  if (!id.ok()) return false;  // not about a message
  const std::array<uint8_t, 16> bytes = id->ToBytes();
  Statement& stored = stmts_->message_with_id;
  stored.Reset();
  stored.BindBlob(1, bytes.data(), bytes.size());
  row = stored.Step();
  stored.Reset();
  return row;
}

Result<PruneCounts> RetentionLedger::PruneAudit(int64_t cutoff_ms, int limit, int64_t now_ms) {
  PruneCounts counts;
  Result<int64_t> anchor = stmts_->db->QueryInt("SELECT coalesce((SELECT seq FROM audit_anchor WHERE id = 1), 0)");
  if (!anchor.ok()) return anchor.status();
  Result<int64_t> last = stmts_->db->QueryInt("SELECT coalesce(max(seq), 0) FROM audit_log");
  if (!last.ok()) return last.status();
  counts.audit_through = *anchor;
  // The newest entry always stays: the appender continues the chain from it.
  Statement& st = stmts_->audit_after;
  st.Reset();
  st.Bind(1, *anchor).Bind(2, static_cast<int64_t>(std::max(0, limit)));
  int64_t through = *anchor;
  AuditHash hash{};
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const int64_t seq = st.ColumnInt64(0);
    if (seq >= *last || st.ColumnInt64(1) >= cutoff_ms) break;
    Result<bool> keep = KeepsAudit(st.ColumnText(2));
    if (!keep.ok()) return keep.status();
    if (*keep) break;
    auto blob = st.ColumnBlob(3);
    if (blob.size() != hash.size()) return Corruption("audit entry " + std::to_string(seq) + " has no 32-byte hash");
    std::copy(blob.begin(), blob.end(), hash.begin());
    through = seq;
  }
  st.Reset();
  if (through == *anchor) return counts;
  Statement& del = stmts_->delete_audit;
  del.Reset();
  del.Bind(1, through);
  REGLINE_RETURN_IF_ERROR(del.Run());
  counts.audit_entries = stmts_->db->Changes();
  Statement& set = stmts_->set_anchor;
  set.Reset();
  set.Bind(1, through).BindBlob(2, hash.data(), hash.size()).Bind(3, now_ms);
  REGLINE_RETURN_IF_ERROR(set.Run());
  counts.audit_through = through;
  return counts;
}

}  // namespace regline
