#include "gateway/core/audit_chain.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "gateway/core/store_schema.h"

namespace regline {

// SHA-256 of audit entries. The digest is fetched from OpenSSL once and
// the context reused, so an entry costs no allocation; the encoding is
// built in a buffer that keeps its capacity. One owner thread.
class AuditHasher {
 public:
  static std::unique_ptr<AuditHasher> Make() {
    std::unique_ptr<AuditHasher> h(new AuditHasher);
    h->md_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    h->ctx_.reset(EVP_MD_CTX_new());
    if (!h->md_ || !h->ctx_) return nullptr;
    h->buffer_.reserve(256);
    return h;
  }

  // False only when OpenSSL fails.
  bool Hash(int64_t seq, int64_t at_ms, std::string_view event, std::string_view subject, std::string_view detail,
            const AuditHash& prev_hash, AuditHash& out) {
    buffer_.clear();
    PutUint64(static_cast<uint64_t>(seq));
    PutUint64(static_cast<uint64_t>(at_ms));
    PutField(event);
    PutField(subject);
    PutField(detail);
    buffer_.append(reinterpret_cast<const char*>(prev_hash.data()), prev_hash.size());
    unsigned int size = 0;
    return EVP_DigestInit_ex2(ctx_.get(), md_.get(), nullptr) == 1 &&
           EVP_DigestUpdate(ctx_.get(), buffer_.data(), buffer_.size()) == 1 &&
           EVP_DigestFinal_ex(ctx_.get(), out.data(), &size) == 1 && size == out.size();
  }

 private:
  struct MdFree {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
  };
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };

  AuditHasher() = default;

  void PutUint64(uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) buffer_.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  void PutField(std::string_view text) {
    auto n = static_cast<uint32_t>(text.size());
    for (int shift = 24; shift >= 0; shift -= 8) buffer_.push_back(static_cast<char>((n >> shift) & 0xff));
    buffer_.append(text);
  }

  std::unique_ptr<EVP_MD, MdFree> md_;
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
  std::string buffer_;
};

std::string AuditHashHex(const AuditHash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(hash.size() * 2);
  for (uint8_t b : hash) {
    hex.push_back(kDigits[b >> 4]);
    hex.push_back(kDigits[b & 0xf]);
  }
  return hex;
}

Result<AuditHash> ParseAuditHash(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  AuditHash hash{};
  if (hex.size() != hash.size() * 2) {
    return InvalidArgument("an audit hash has 64 hex digits, not " + std::to_string(hex.size()));
  }
  for (size_t i = 0; i < hash.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("'" + std::string(hex) + "' is not hex");
    hash[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return hash;
}

Result<AuditHash> AuditEntryHash(int64_t seq, int64_t at_ms, std::string_view event, std::string_view subject,
                                 std::string_view detail, const AuditHash& prev_hash) {
  std::unique_ptr<AuditHasher> hasher = AuditHasher::Make();
  AuditHash out{};
  if (!hasher || !hasher->Hash(seq, at_ms, event, subject, detail, prev_hash, out)) {
    return Internal("OpenSSL could not compute SHA-256");
  }
  return out;
}

namespace {

// Reads a 32-byte hash column; false for any other size.
bool ReadHash(const Statement& st, int col, AuditHash& out) {
  std::span<const uint8_t> bytes = st.ColumnBlob(col);
  if (bytes.size() != out.size()) return false;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return true;
}

// Reads the newest entry's seq and hash from `last` (reset afterwards).
Result<AuditHead> ReadHead(Statement& last) {
  last.Reset();
  Result<bool> row = last.Step();
  if (!row.ok()) return row.status();
  AuditHead head;
  if (*row) {
    head.seq = last.ColumnInt64(0);
    if (!ReadHash(last, 1, head.hash)) {
      last.Reset();
      return Corruption("audit entry " + std::to_string(head.seq) + " has a hash that is not 32 bytes");
    }
  }
  last.Reset();
  return head;
}

constexpr const char* kLastEntrySql = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

}  // namespace

AuditAppender::AuditAppender(Statement insert, Statement last, std::unique_ptr<AuditHasher> hasher)
    : insert_(std::move(insert)), last_(std::move(last)), hasher_(std::move(hasher)) {}

AuditAppender::~AuditAppender() = default;

Result<std::unique_ptr<AuditAppender>> AuditAppender::Open(Database& db) {
  Result<Statement> insert = db.Prepare(
      "INSERT INTO audit_log(seq, at_ms, event, subject, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert.ok()) return insert.status().WithContext("preparing the audit log");
  Result<Statement> last = db.Prepare(kLastEntrySql);
  if (!last.ok()) return last.status().WithContext("preparing the audit log");
  std::unique_ptr<AuditHasher> hasher = AuditHasher::Make();
  if (!hasher) return Internal("OpenSSL has no SHA-256 for the audit log");
  std::unique_ptr<AuditAppender> appender(
      new AuditAppender(std::move(insert).value(), std::move(last).value(), std::move(hasher)));
  REGLINE_RETURN_IF_ERROR(appender->ReloadHead());
  return appender;
}

Status AuditAppender::ReloadHead() {
  known_ = false;
  Result<AuditHead> head = ReadHead(last_);
  if (!head.ok()) return head.status().WithContext("reading the audit log's head");
  head_ = *head;
  known_ = true;
  return Status::Ok();
}

Status AuditAppender::Append(int64_t at_ms, std::string_view event, std::string_view subject, std::string_view detail) {
  if (!known_) REGLINE_RETURN_IF_ERROR(ReloadHead());
  const int64_t seq = head_.seq + 1;
  AuditHash hash;
  if (!hasher_->Hash(seq, at_ms, event, subject, detail, head_.hash, hash)) {
    return Internal("OpenSSL could not compute SHA-256 for audit entry " + std::to_string(seq));
  }
  insert_.Reset();
  insert_.Bind(1, seq).Bind(2, at_ms).Bind(3, event).Bind(4, subject).Bind(5, detail);
  // Both hashes live until Run() returns, as BindBlob requires.
  insert_.BindBlob(6, head_.hash.data(), head_.hash.size()).BindBlob(7, hash.data(), hash.size());
  Status s = insert_.Run();
  insert_.Reset();
  if (!s.ok()) return s.WithContext("appending audit entry " + std::to_string(seq));
  head_ = {seq, hash};
  return Status::Ok();
}

namespace {

struct ChainWalk {
  AuditVerdict verdict;
  AuditHash prev{};
  int64_t next_seq = 1;

  void Break(int64_t seq, std::string problem) {
    verdict.intact = false;
    verdict.first_broken = seq;
    verdict.problem = std::move(problem);
  }

  static std::string Range(int64_t from, int64_t to) {
    return from == to ? "entry " + std::to_string(from) : "entries " + std::to_string(from) + ".." + std::to_string(to);
  }

  // Checks one row; false once the chain is broken.
  bool Check(const Statement& row, AuditHasher& hasher, const std::optional<AuditHead>& expected) {
    const int64_t seq = row.ColumnInt64(0);
    const std::string at = "entry " + std::to_string(seq) + ": ";
    if (seq < next_seq) {  // only a first row numbered 0 or below gets here
      Break(seq, at + "numbered below 1 (inserted)");
      return false;
    }
    if (seq > next_seq) {
      Break(next_seq, Range(next_seq, seq - 1) + " missing (deleted)");
      return false;
    }
    AuditHash prev_hash, hash, computed;
    if (!ReadHash(row, 5, prev_hash) || prev_hash != prev) {
      Break(seq, seq == 1 ? at + "prev_hash is not 32 zero bytes (edited, or entries before it removed)"
                          : at + "prev_hash does not match entry " + std::to_string(seq - 1) +
                                " (reordered, or an entry inserted or rewritten with a new hash)");
      return false;
    }
    std::string event = row.ColumnText(2), subject = row.ColumnText(3), detail = row.ColumnText(4);
    if (!hasher.Hash(seq, row.ColumnInt64(1), event, subject, detail, prev_hash, computed)) {
      Break(seq, at + "SHA-256 failed in OpenSSL");
      return false;
    }
    if (!ReadHash(row, 6, hash) || hash != computed) {
      Break(seq, at + "hash does not match its contents (edited)");
      return false;
    }
    if (expected && expected->seq == seq && expected->hash != hash) {
      Break(seq, at + "hash differs from the recorded head (the log was rewritten from here on)");
      return false;
    }
    ++verdict.checked;
    verdict.head = {seq, hash};
    prev = hash;
    ++next_seq;
    return true;
  }
};

Status CheckIsStoreWithAuditLog(Database& db, const std::string& path) {
  Result<int64_t> app = db.QueryInt("PRAGMA application_id");
  if (!app.ok()) return app.status().WithContext("reading " + path);
  if (*app != store_schema::kApplicationId) return Corruption(path + " is not a Regline store");
  Result<int64_t> tables =
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit_log'");
  if (!tables.ok()) return tables.status().WithContext("reading " + path);
  if (*tables == 0) {
    return FailedPrecondition(path +
                              " is a Regline store from before the audit log; the gateway adds it when it "
                              "next opens the store");
  }
  return Status::Ok();
}

}  // namespace

namespace {

// The walk behind both public functions: from the start (or the retention
// anchor) when `from` is empty, else from the entry after from->seq once
// that entry is found to still be what an earlier walk verified.
Result<AuditVerdict> WalkAuditChain(const std::string& db_path, std::optional<AuditHead> expected,
                                    std::optional<AuditHead> from, const std::atomic<bool>* stop) {
  Result<Database> db = Database::OpenReadOnly(db_path);
  if (!db.ok()) return db.status();
  REGLINE_RETURN_IF_ERROR(db->Exec("PRAGMA busy_timeout = 5000"));
  // One read transaction: the checks and the walk see one snapshot, however
  // the gateway writes meanwhile.
  REGLINE_RETURN_IF_ERROR(db->Exec("BEGIN"));
  REGLINE_RETURN_IF_ERROR(CheckIsStoreWithAuditLog(*db, db_path));
  Result<Statement> rows = db->Prepare(
      "SELECT seq, at_ms, event, subject, detail, prev_hash, hash FROM audit_log WHERE seq > ?1 ORDER BY seq");
  if (!rows.ok()) return rows.status();
  std::unique_ptr<AuditHasher> hasher = AuditHasher::Make();
  if (!hasher) return Internal("OpenSSL has no SHA-256");
  ChainWalk walk;
  // After legal retention pruned the oldest entries (schema 7), the chain
  // starts from the anchor: the last pruned entry's seq and hash.
  Result<int64_t> has_anchor =
      db->QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit_anchor'");
  if (!has_anchor.ok()) return has_anchor.status();
  if (*has_anchor > 0) {
    Result<Statement> anchor = db->Prepare("SELECT seq, hash FROM audit_anchor WHERE id = 1");
    if (!anchor.ok()) return anchor.status();
    Result<bool> row = anchor->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      walk.next_seq = anchor->ColumnInt64(0) + 1;
      if (!ReadHash(*anchor, 1, walk.prev)) {
        walk.Break(walk.next_seq, "the audit anchor's hash is not 32 bytes (edited)");
        return walk.verdict;
      }
      walk.verdict.pruned_through = anchor->ColumnInt64(0);
      walk.verdict.head = {walk.verdict.pruned_through, walk.prev};
      if (expected && expected->seq == walk.verdict.pruned_through && expected->hash != walk.prev) {
        walk.Break(walk.next_seq, "the audit anchor differs from the recorded head (the log was rewritten)");
        return walk.verdict;
      }
    }
  }
  if (from.has_value() && from->seq > 0) {
    const int64_t pruned = walk.verdict.pruned_through;
    if (from->seq < pruned) {
      return FailedPrecondition("audit entry " + std::to_string(from->seq) +
                                " was pruned by legal retention; walk the whole chain");
    }
    if (from->seq == pruned) {
      if (from->hash != walk.prev) {
        walk.Break(from->seq, "the audit anchor differs from the entry verified before (the log was rewritten)");
        return walk.verdict;
      }
    } else {
      // The entry the earlier walk ended at must still be there, unchanged.
      Result<Statement> at =
          db->Prepare("SELECT seq, at_ms, event, subject, detail, prev_hash, hash FROM audit_log WHERE seq = ?1");
      if (!at.ok()) return at.status();
      at->Bind(1, from->seq);
      Result<bool> row = at->Step();
      if (!row.ok()) return row.status().WithContext("reading the audit log of " + db_path);
      const std::string where = "entry " + std::to_string(from->seq) + ": ";
      if (!*row) {
        walk.Break(from->seq, "entry " + std::to_string(from->seq) + " missing (deleted)");
        return walk.verdict;
      }
      AuditHash prev_hash, hash, computed;
      const std::string event = at->ColumnText(2), subject = at->ColumnText(3), detail = at->ColumnText(4);
      if (!ReadHash(*at, 5, prev_hash) || !ReadHash(*at, 6, hash) ||
          !hasher->Hash(from->seq, at->ColumnInt64(1), event, subject, detail, prev_hash, computed) ||
          hash != computed) {
        walk.Break(from->seq, where + "hash does not match its contents (edited)");
        return walk.verdict;
      }
      if (hash != from->hash) {
        walk.Break(from->seq, where + "hash differs from the one verified before (the log was rewritten from here on)");
        return walk.verdict;
      }
    }
    walk.next_seq = from->seq + 1;
    walk.prev = from->hash;
    walk.verdict.head = *from;
  }
  // A full walk reads every row, so that one numbered below the start shows.
  rows->Bind(1, from.has_value() && from->seq > 0 ? from->seq : std::numeric_limits<int64_t>::min());
  for (;;) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
      return Unavailable("the walk of the audit log of " + db_path + " was stopped after " +
                         std::to_string(walk.verdict.checked) + " entries");
    }
    Result<bool> row = rows->Step();
    if (!row.ok()) return row.status().WithContext("reading the audit log of " + db_path);
    if (!*row || !walk.Check(*rows, *hasher, expected)) break;
  }
  rows->Reset();
  AuditVerdict& verdict = walk.verdict;
  if (!verdict.intact) {
    // Report the newest entry in the file, whatever lies before it.
    Result<Statement> last = db->Prepare(kLastEntrySql);
    if (!last.ok()) return last.status();
    Result<bool> row = last->Step();
    if (!row.ok()) return row.status();
    verdict.head = {};
    if (*row) {
      verdict.head.seq = last->ColumnInt64(0);
      ReadHash(*last, 1, verdict.head.hash);  // a mangled hash shows as zeros
    }
  } else if (expected && expected->seq > verdict.head.seq) {
    walk.Break(verdict.head.seq + 1, ChainWalk::Range(verdict.head.seq + 1, expected->seq) +
                                         " missing from the end (deleted; the log ends at entry " +
                                         std::to_string(verdict.head.seq) + ", the recorded head is entry " +
                                         std::to_string(expected->seq) + ")");
  }
  return verdict;
}

}  // namespace

Result<AuditVerdict> VerifyAuditChain(const std::string& db_path, std::optional<AuditHead> expected,
                                      const std::atomic<bool>* stop) {
  return WalkAuditChain(db_path, expected, std::nullopt, stop);
}

Result<AuditVerdict> VerifyAuditChainAfter(const std::string& db_path, const AuditHead& from,
                                           const std::atomic<bool>* stop) {
  return WalkAuditChain(db_path, std::nullopt, from, stop);
}

}  // namespace regline
