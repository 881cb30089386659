// The audit chain: an append-only log of the store's state changes in which
// each entry carries the SHA-256 of the one before it, so that editing,
// deleting or reordering entries in the SQLite file afterwards shows.
//
// The log is the table audit_log of the store (schema version 2):
//
//   audit_log(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,
//             event TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL,
//             prev_hash BLOB NOT NULL, hash BLOB NOT NULL)
//
// Entries are numbered 1, 2, 3, ... without gaps. An entry's hash is
// SHA-256 over (AuditEntryHash below; docs/store.md has a script)
//
//   seq as 8 bytes big-endian  ||  at_ms as 8 bytes big-endian (two's complement)
//   || for event, subject, detail each: its byte length as 4 bytes big-endian, then its UTF-8 bytes
//   || prev_hash (32 bytes)
//
// and its prev_hash is the previous entry's hash; entry 1's is 32 zero
// bytes. A chain alone cannot show that its newest entries were cut off:
// operators record the head VerifyAuditChain reports (say, daily) and pass
// it back as `expected` to catch that. Nor can it show that every entry
// from some point on was rewritten with recomputed hashes (the encoding is
// public): the recorded head catches that too.
//
// AuditAppender writes entries from inside the store's own transactions:
// it is owned by the Store and called only on the store's thread.
// VerifyAuditChain opens the file read-only on a connection of its own and
// may run in any thread or process while the gateway writes (it reads one
// WAL snapshot).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline {

using AuditHash = std::array<uint8_t, 32>;

// 64 lower-case hex digits.
std::string AuditHashHex(const AuditHash& hash);
// Parses 64 hex digits (either case); kInvalidArgument otherwise.
Result<AuditHash> ParseAuditHash(std::string_view hex);

// The hash of one entry, with the encoding described above. kInternal only
// when OpenSSL has no SHA-256 (a broken installation).
Result<AuditHash> AuditEntryHash(int64_t seq, int64_t at_ms, std::string_view event, std::string_view subject,
                                 std::string_view detail, const AuditHash& prev_hash);

// The newest entry: seq 0 and a zero hash for an empty log.
struct AuditHead {
  int64_t seq = 0;
  AuditHash hash{};
  friend bool operator==(const AuditHead&, const AuditHead&) = default;
};

// Writes entries into audit_log on the store's connection, inside whatever
// transaction is open there. It keeps the head in memory so that an append
// costs one INSERT and one SHA-256; whoever rolls back a transaction that
// appended must put the head back: Restore() a mark() taken before, or
// ForgetHead() so that the next append reads it from disk first.
class AuditHasher;  // audit_chain.cc: SHA-256 through OpenSSL's EVP, reused

class AuditAppender {
 public:
  ~AuditAppender();
  AuditAppender(const AuditAppender&) = delete;
  AuditAppender& operator=(const AuditAppender&) = delete;

  // Prepares the INSERT on `db` (which must outlive the appender) and reads
  // the head. kInternal when the table is missing (schema not migrated).
  static Result<std::unique_ptr<AuditAppender>> Open(Database& db);

  // Appends entry head().seq + 1 (reading the head first if it was
  // forgotten). On failure the head is unchanged and the caller must roll
  // back its transaction (the INSERT may have been half done).
  Status Append(int64_t at_ms, std::string_view event, std::string_view subject, std::string_view detail);

  // The newest entry as appended through this object; stale after
  // ForgetHead() until the next Append or ReloadHead.
  const AuditHead& head() const { return head_; }

  // The head as it stands, to put back after a rollback.
  struct Mark {
    AuditHead head;
    bool known = false;
  };
  Mark mark() const { return {head_, known_}; }
  void Restore(const Mark& mark) {
    head_ = mark.head;
    known_ = mark.known;
  }
  // The head on disk is no longer what this object last wrote (a whole
  // transaction was rolled back): read it again before the next append.
  void ForgetHead() { known_ = false; }
  // Reads the head from the table, as the connection's open transaction
  // (or the last commit) has it.
  Status ReloadHead();

 private:
  AuditAppender(Statement insert, Statement last, std::unique_ptr<AuditHasher> hasher);
  Statement insert_;  // INSERT INTO audit_log ...
  Statement last_;    // the newest row's seq and hash
  std::unique_ptr<AuditHasher> hasher_;
  AuditHead head_;
  bool known_ = false;  // head_ is what the table holds
};

struct AuditVerdict {
  int64_t checked = 0;  // entries found intact (all of them when intact)
  AuditHead head;       // the newest entry in the file (seq 0: none)
  bool intact = true;
  int64_t first_broken = 0;  // when not intact: the seq of the first broken entry
  // When not intact, e.g. "entry 17: hash does not match its contents (edited)".
  std::string problem;
  // Entries 1..pruned_through were pruned by legal retention
  // (retention_ledger.h); the walk started after them, from the anchor.
  // A recorded head inside that range can no longer be checked.
  int64_t pruned_through = 0;
};

// Walks the audit log of the store at `db_path` in seq order and checks
// that seqs are dense from 1 (or from the retention anchor's seq + 1, the
// first entry's prev_hash being the anchor's hash), each prev_hash is the
// previous entry's hash,
// and each hash matches its entry. With `expected` (a head recorded
// earlier) it also checks that the entry at expected->seq still exists and
// still has that hash, so cutting off the newest entries shows. A broken
// chain is a verdict, not an error: errors are kIOError (cannot open or
// read), kCorruption (not a Regline store), kFailedPrecondition (a store
// from before the audit log: the gateway adds it when it next opens the
// store), kUnavailable once `stop` (read before each entry) is true: a
// walk reads and hashes every entry (about a million a second on the
// build machine: minutes for a busy gateway's months of entries), and a
// gateway shutting down does not wait for it.
Result<AuditVerdict> VerifyAuditChain(const std::string& db_path, std::optional<AuditHead> expected = std::nullopt,
                                      const std::atomic<bool>* stop = nullptr);

// Continues an earlier walk that found the chain intact up to `from` (its
// verdict's head): checks that the entry at from.seq is still there with
// contents matching from.hash, then walks only the entries after it, as
// VerifyAuditChain does. Finds anything done at or after from.seq (edits,
// deletions, reordering, entries cut off the end down to from.seq); what was
// done before it goes unseen until the next full walk. `checked` counts the
// entries after from.seq; `head` is the newest entry (from itself when none
// follow). kFailedPrecondition when legal retention pruned the entry at
// from.seq (walk everything instead); other errors as VerifyAuditChain.
// Its cost is that of the new entries, which is what lets the console show
// the chain's state on every page view. `stop`, when set, ends the walk as
// VerifyAuditChain's does (entries appended over a long time without a view
// can be many).
Result<AuditVerdict> VerifyAuditChainAfter(const std::string& db_path, const AuditHead& from,
                                           const std::atomic<bool>* stop = nullptr);

}  // namespace regline
