#include "gateway/core/catalog_ledger.h"

namespace regline {

struct CatalogLedger::Statements {
  Statement current, insert, upsert_applied, versions, applied;
};

CatalogLedger::CatalogLedger(std::unique_ptr<Statements> s) : stmts_(std::move(s)) {}
CatalogLedger::~CatalogLedger() = default;

Result<std::unique_ptr<CatalogLedger>> CatalogLedger::Open(Database& db) {
  auto s = std::make_unique<Statements>();
  const StatementSql all[] = {
      {&s->current, "SELECT coalesce(max(version), 0) FROM catalog_versions"},
      {&s->insert, "INSERT INTO catalog_versions(version, base, message_seq, accepted_ms) VALUES(?1, ?2, ?3, ?4)"},
      {&s->upsert_applied,
       "INSERT INTO catalog_applied(platform, version, attested_ms, message_seq, stale) VALUES(?1, ?2, ?3, ?4, ?5) "
       "ON CONFLICT(platform) DO UPDATE SET version = excluded.version, attested_ms = excluded.attested_ms, "
       "message_seq = excluded.message_seq, stale = excluded.stale"},
      {&s->versions,
       "SELECT v.version, v.base, v.message_seq, v.accepted_ms, m.message_id FROM catalog_versions v JOIN messages m "
       "ON m.seq = v.message_seq ORDER BY v.version"},
      {&s->applied, "SELECT platform, version, attested_ms, message_seq, stale FROM catalog_applied ORDER BY platform"},
  };
  REGLINE_RETURN_IF_ERROR(PrepareAll(db, all, "catalog ledger"));
  return std::unique_ptr<CatalogLedger>(new CatalogLedger(std::move(s)));
}

Result<uint64_t> CatalogLedger::Current() {
  Statement& st = stmts_->current;
  st.Reset();
  Result<bool> row = st.Step();
  if (!row.ok()) return row.status();
  uint64_t v = *row ? static_cast<uint64_t>(st.ColumnInt64(0)) : 0;
  st.Reset();
  return v;
}

Status CatalogLedger::CheckNext(const CatalogVersionTerms& terms) {
  Result<uint64_t> current = Current();
  if (!current.ok()) return current.status();
  if (terms.base != *current) {
    return FailedPrecondition("catalog version " + std::to_string(terms.version) + " is on base " +
                              std::to_string(terms.base) + ", but the current version is " + std::to_string(*current) +
                              ": publish it on base " + std::to_string(*current));
  }
  if (terms.version != terms.base + 1) {
    return FailedPrecondition("catalog version " + std::to_string(terms.version) + " on base " +
                              std::to_string(terms.base) + ": the next version must be " +
                              std::to_string(terms.base + 1));
  }
  return Status::Ok();
}

Status CatalogLedger::Record(const CatalogVersionTerms& terms, uint64_t seq, int64_t now) {
  Statement& st = stmts_->insert;
  st.Reset();
  st.Bind(1, static_cast<int64_t>(terms.version)).Bind(2, static_cast<int64_t>(terms.base));
  st.Bind(3, static_cast<int64_t>(seq)).Bind(4, now);
  return st.Run();
}

Result<bool> CatalogLedger::RecordApplied(const std::string& platform, uint64_t version, uint64_t seq, int64_t now) {
  Result<uint64_t> current = Current();
  if (!current.ok()) return current.status();
  const bool stale = version < *current;
  Statement& st = stmts_->upsert_applied;
  st.Reset();
  st.Bind(1, platform).Bind(2, static_cast<int64_t>(version)).Bind(3, now).Bind(4, static_cast<int64_t>(seq));
  st.Bind(5, stale ? 1 : 0);
  REGLINE_RETURN_IF_ERROR(st.Run());
  return stale;
}

Result<std::vector<CatalogVersionRow>> CatalogLedger::Versions() {
  Statement& st = stmts_->versions;
  st.Reset();
  std::vector<CatalogVersionRow> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto id = st.ColumnBlob(4);
    Result<MessageId> message_id = MessageId::FromBytes(id.data(), id.size());
    out.push_back({static_cast<uint64_t>(st.ColumnInt64(0)), static_cast<uint64_t>(st.ColumnInt64(1)),
                   static_cast<uint64_t>(st.ColumnInt64(2)), st.ColumnInt64(3),
                   message_id.ok() ? *message_id : MessageId()});
  }
  st.Reset();
  return out;
}

Result<std::vector<CatalogApplied>> CatalogLedger::Applied() {
  Statement& st = stmts_->applied;
  st.Reset();
  std::vector<CatalogApplied> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({st.ColumnText(0), static_cast<uint64_t>(st.ColumnInt64(1)), st.ColumnInt64(2),
                   static_cast<uint64_t>(st.ColumnInt64(3)), st.ColumnInt64(4) != 0});
  }
  st.Reset();
  return out;
}

}  // namespace regline
