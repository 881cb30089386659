#include "gateway/core/store_evidence.h"

#include <algorithm>

#include "gateway/core/store_rows.h"
#include "gateway/core/store_schema.h"

namespace regline {
namespace {

std::string BlobText(const Statement& st, int col) {
  auto blob = st.ColumnBlob(col);
  return std::string(reinterpret_cast<const char*>(blob.data()), blob.size());
}

bool HasTable(Database& db, const char* name, Status& error) {
  Result<Statement> st = db.Prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  if (!st.ok()) {
    error = st.status();
    return false;
  }
  st->Bind(1, name);
  Result<bool> row = st->Step();
  if (!row.ok()) {
    error = row.status();
    return false;
  }
  return *row && st->ColumnInt64(0) > 0;
}

// Runs `sql` bound with `bind`, calling `read` for each row.
template <typename Bind, typename Read>
Status EachRow(Database& db, const char* sql, Bind&& bind, Read&& read) {
  Result<Statement> st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  bind(*st);
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    REGLINE_RETURN_IF_ERROR(read(*st));
  }
}

Status ReadMessage(Database& db, const MessageId& id, MessageEvidence& out) {
  auto bytes = id.ToBytes();
  bool found = false;
  REGLINE_RETURN_IF_ERROR(EachRow(
      db,
      "SELECT seq, sender, kind, created_ms, accepted_ms, envelope FROM messages WHERE message_id = ?1 "
      "ORDER BY seq LIMIT 1",
      [&](Statement& st) { st.BindBlob(1, bytes.data(), bytes.size()); },
      [&](Statement& st) {
        found = true;
        out.seq = static_cast<uint64_t>(st.ColumnInt64(0));
        out.id = id;
        out.sender = st.ColumnText(1);
        out.kind = static_cast<int>(st.ColumnInt64(2));
        out.created_ms = st.ColumnInt64(3);
        out.accepted_ms = st.ColumnInt64(4);
        out.envelope = BlobText(st, 5);
        return Status::Ok();
      }));
  if (!found) return NotFound("no message " + id.ToHex());
  return Status::Ok();
}

Status ReadDeliveries(Database& db, MessageEvidence& out) {
  const std::string sql = std::string("SELECT ") + kDeliveryColumns + " WHERE d.message_seq = ?1 ORDER BY d.recipient";
  return EachRow(
      db, sql.c_str(), [&](Statement& st) { st.Bind(1, static_cast<int64_t>(out.seq)); },
      [&](Statement& st) {
        out.deliveries.push_back(ReadDeliveryStatus(st));
        return Status::Ok();
      });
}

Status ReadAcknowledgements(Database& db, MessageEvidence& out) {
  return EachRow(
      db,
      "SELECT recipient, stage, recorded_ms, envelope FROM acknowledgements WHERE message_seq = ?1 "
      "ORDER BY recipient, stage",
      [&](Statement& st) { st.Bind(1, static_cast<int64_t>(out.seq)); },
      [&](Statement& st) {
        out.acknowledgements.push_back({st.ColumnText(0), static_cast<AckStage>(st.ColumnInt64(1)),
                                        st.ColumnInt64(2), BlobText(st, 3)});
        return Status::Ok();
      });
}

// A mangled hash reads as zeros: judging the chain is audit verify's job.
void CopyHash(const Statement& st, int col, AuditHash& hash) {
  auto blob = st.ColumnBlob(col);
  if (blob.size() == hash.size()) std::copy(blob.begin(), blob.end(), hash.begin());
}

// Entries about the message (a scan of the log: subject has no index; an
// export is rare) and the chain's head.
Status ReadAudit(Database& db, MessageEvidence& out) {
  const std::string subject = out.id.ToHex();
  REGLINE_RETURN_IF_ERROR(EachRow(
      db, "SELECT seq, at_ms, event, subject, detail, hash FROM audit_log WHERE subject = ?1 ORDER BY seq",
      [&](Statement& st) { st.Bind(1, subject); },
      [&](Statement& st) {
        AuditRecord r{st.ColumnInt64(0), st.ColumnInt64(1), st.ColumnText(2), st.ColumnText(3), st.ColumnText(4), {}};
        CopyHash(st, 5, r.hash);
        out.audit.push_back(std::move(r));
        return Status::Ok();
      }));
  return EachRow(
      db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [](Statement&) {},
      [&](Statement& st) {
        out.audit_head.seq = st.ColumnInt64(0);
        CopyHash(st, 1, out.audit_head.hash);
        return Status::Ok();
      });
}

}  // namespace

Result<MessageEvidence> ReadMessageEvidence(const std::string& db_path, const MessageId& id) {
  Result<Database> db = Database::OpenReadOnly(db_path);
  if (!db.ok()) return db.status();
  REGLINE_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000"));
  REGLINE_RETURN_IF_ERROR(db->Exec("BEGIN"));  // one snapshot for all of it
  Result<int64_t> app = db->QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.status().WithContext("reading " + db_path);
  if (*app != store_schema::kApplicationId) return Corruption(db_path + " is not a Regline store");
  MessageEvidence out;
  Status s = ReadMessage(*db, id, out);
  if (s.ok()) s = ReadDeliveries(*db, out);
  Status table_error;
  if (s.ok() && HasTable(*db, "acknowledgements", table_error)) s = ReadAcknowledgements(*db, out);
  if (s.ok()) s = table_error;
  if (s.ok() && HasTable(*db, "audit_log", table_error)) s = ReadAudit(*db, out);
  if (s.ok()) s = table_error;
  if (!s.ok()) {
    if (s.code() == StatusCode::kNotFound) return NotFound(s.message() + " in " + db_path);
    return s.WithContext("reading " + db_path);
  }
  return out;
}

}  // namespace regline
