#include "gateway/core/report_ledger.h"

namespace regline {

struct ReportLedger::Statements {
  Database* db;  // for Changes()
  Statement insert, all;
};

ReportLedger::ReportLedger(std::unique_ptr<Statements> s) : stmts_(std::move(s)) {}
ReportLedger::~ReportLedger() = default;

Result<std::unique_ptr<ReportLedger>> ReportLedger::Open(Database& db) {
  auto s = std::make_unique<Statements>();
  s->db = &db;
  const StatementSql all[] = {
      {&s->insert,
       "INSERT INTO reports(platform, kind, period_start_ms, period_end_ms, message_seq, received_ms) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(platform, kind, period_start_ms) DO NOTHING"},
      {&s->all,
       "SELECT r.platform, r.kind, r.period_start_ms, r.period_end_ms, r.message_seq, m.message_id, r.received_ms "
       "FROM reports r JOIN messages m ON m.seq = r.message_seq ORDER BY r.platform, r.kind, r.period_start_ms"},
  };
  REGLINE_RETURN_IF_ERROR(PrepareAll(db, all, "report ledger"));
  return std::unique_ptr<ReportLedger>(new ReportLedger(std::move(s)));
}

Result<bool> ReportLedger::Record(const std::string& platform, const ReportTerms& terms, uint64_t seq, int64_t now) {
  Statement& st = stmts_->insert;
  st.Reset();
  st.Bind(1, platform).Bind(2, static_cast<int64_t>(terms.kind)).Bind(3, terms.period_start_ms);
  st.Bind(4, terms.period_end_ms).Bind(5, static_cast<int64_t>(seq)).Bind(6, now);
  REGLINE_RETURN_IF_ERROR(st.Run());
  return stmts_->db->Changes() > 0;
}

Result<std::vector<ReportRow>> ReportLedger::All() {
  Statement& st = stmts_->all;
  st.Reset();
  std::vector<ReportRow> out;
  for (;;) {
    Result<bool> row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ReportRow r;
    r.platform = st.ColumnText(0);
    r.kind = static_cast<int>(st.ColumnInt64(1));
    r.period_start_ms = st.ColumnInt64(2);
    r.period_end_ms = st.ColumnInt64(3);
    r.message_seq = static_cast<uint64_t>(st.ColumnInt64(4));
    std::span<const uint8_t> id = st.ColumnBlob(5);
    Result<MessageId> parsed = MessageId::FromBytes(id.data(), id.size());
    if (parsed.ok()) r.message_id = *parsed;
    r.received_ms = st.ColumnInt64(6);
    out.push_back(std::move(r));
  }
  st.Reset();
  return out;
}

}  // namespace regline
