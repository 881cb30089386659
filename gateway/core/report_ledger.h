// ReportLedger: which platform sent which scheduled report (complaint
// statistics, tax-assistance responses) for which period, as the gateway's
// store keeps it. Table `reports` (schema version 6, docs/store.md).
//
// The first report a platform sends for a (kind, period) counts: it is the
// row, with its message and the time the gateway accepted it. A later one
// for the same period is stored and delivered as any message, but leaves
// the row alone, so a correction cannot turn a late report into an on-time
// one (nor the reverse). Which periods are owed, and when they are due,
// is the policy's (gateway/policy/report_schedule.h); the ledger only
// remembers what arrived.
//
// Owned by the Store, called inside its transactions on its writer thread.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline {

// What a scheduled report covers, as the gateway resolved it.
struct ReportTerms {
  int kind = 0;                 // schema MessageKind ordinal
  int64_t period_start_ms = 0;  // the scheduled period [start, end)
  int64_t period_end_ms = 0;
};

// The report that counts for one (platform, kind, period).
struct ReportRow {
  std::string platform;
  int kind = 0;
  int64_t period_start_ms = 0;
  int64_t period_end_ms = 0;
  uint64_t message_seq = 0;
  MessageId message_id;
  int64_t received_ms = 0;  // when the gateway accepted it
};

class ReportLedger {
 public:
  static Result<std::unique_ptr<ReportLedger>> Open(Database& db);
  ~ReportLedger();
  ReportLedger(const ReportLedger&) = delete;
  ReportLedger& operator=(const ReportLedger&) = delete;

  // Records message `seq` from `platform` as its report for `terms`, at
  // `now`. Returns true when it is the first for that period (the row was
  // written), false when one was recorded before (nothing changes).
  Result<bool> Record(const std::string& platform, const ReportTerms& terms, uint64_t seq, int64_t now);
  // Every recorded report, by platform, kind and period.
  Result<std::vector<ReportRow>> All();

 private:
  struct Statements;
  explicit ReportLedger(std::unique_ptr<Statements> s);
  std::unique_ptr<Statements> stmts_;
};

}  // namespace regline
