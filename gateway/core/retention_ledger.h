// RetentionLedger: legal retention of the gateway's records, apart from
// queue retention (expiry). Tables `legal_holds` and `audit_anchor`
// (schema version 7, docs/store.md "Retention").
//
// A message, with its deliveries, its signed acknowledgements (evidence)
// and its directive ledger rows, may be pruned once
//   - it was accepted longer ago than the retention period (the policy's
//     [retention] days, three years by default),
//   - none of its deliveries is still queued or in flight,
//   - no ledger the gateway answers from still points at it: catalog
//     versions (the catalog's history is kept for good), each platform's
//     latest catalogApplied attestation, the report that counts for a
//     scheduled period, and
//   - no legal hold names its sender, one of its recipients, its id or
//     the id it correlates with (an escalation with its directive).
// The audit chain is pruned only from its oldest end, so that what is left
// still verifies: entries older than the retention period, up to the
// first one about a message still stored or about a held subject. The
// last pruned entry's seq and hash become the anchor the chain is checked
// from (audit_chain.h VerifyAuditChain), and the prune itself is an audit
// entry. A directive whose lineage neighbour was pruned reads that link as
// none.
//
// Owned by the Store, called inside its transactions on its writer
// thread. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/audit_chain.h"
#include "gateway/core/message_id.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline {

struct LegalHold {
  std::string subject;  // an identity name, or a message id as 32 hex digits
  std::string reason;
  std::string set_by;
  int64_t set_ms = 0;
};

// A message the retention rules let go.
struct PrunableMessage {
  uint64_t seq = 0;
  MessageId id;
};

// What one prune pass removed.
struct PruneCounts {
  int64_t messages = 0;
  int64_t audit_entries = 0;
  int64_t audit_through = 0;  // the anchor after the pass; 0: the log was never pruned
};

class RetentionLedger {
 public:
  static Result<std::unique_ptr<RetentionLedger>> Open(Database& db);
  ~RetentionLedger();
  RetentionLedger(const RetentionLedger&) = delete;
  RetentionLedger& operator=(const RetentionLedger&) = delete;

  // Sets a hold; false when one was already set on the subject (it is left
  // as it was).
  Result<bool> AddHold(const LegalHold& hold);
  // Lifts the hold on `subject`; false when there was none.
  Result<bool> RemoveHold(const std::string& subject);
  // Every hold in force, by subject.
  Result<std::vector<LegalHold>> Holds();

  // Up to `limit` messages accepted before `cutoff_ms` that may go, oldest
  // first, among those numbered in (after_seq, upto_seq]: a pass looks at
  // one bounded range of the messages table at a time, never all of it.
  Result<std::vector<PrunableMessage>> Prunable(int64_t cutoff_ms, int limit, uint64_t after_seq, uint64_t upto_seq);
  // Whether a message numbered in (after_seq, upto_seq] was accepted at or
  // after `cutoff_ms` (the scan has reached the messages still in their
  // period), and the highest message number (0: none).
  Result<bool> AnyYoungIn(int64_t cutoff_ms, uint64_t after_seq, uint64_t upto_seq);
  Result<uint64_t> LastSeq();
  // Deletes message `seq` and everything kept with it.
  Status DeleteMessage(uint64_t seq);
  // Deletes up to `limit` of the oldest audit entries that may go (older
  // than `cutoff_ms`, up to the first about a stored message or a held
  // subject) and moves the anchor; returns how many went and the anchor.
  Result<PruneCounts> PruneAudit(int64_t cutoff_ms, int limit, int64_t now_ms);

  // Where the next pass's scan starts (a message number; 0: the start).
  // Kept in memory only: after a restart the scan starts over.
  uint64_t scan_from = 0;

 private:
  struct Statements;
  explicit RetentionLedger(std::unique_ptr<Statements> s);
  // Whether the audit entry subject names a stored message or a held subject.
  Result<bool> KeepsAudit(const std::string& subject);
  std::unique_ptr<Statements> stmts_;
};

}  // namespace regline
