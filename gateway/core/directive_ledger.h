// DirectiveLedger: what the gateway's store knows about directives beyond
// their delivery: the deadlines it tracks for each (the directive's own or
// the policy's defaults, resolved before submission), which directive
// superseded or revoked which, and the escalations raised for missed
// deadlines. Tables `directives` and `escalations` (schema version 4,
// docs/store.md).
//
// Deadlines, per recipient of an open directive (one neither superseded
// nor revoked):
//   - the acknowledgement deadline is met by stage accepted, rejected or
//     completed recorded before it;
//   - the completion deadline by completed, or by rejected (a rejection
//     ends the platform's duty; the regulator sees it in the status).
// A recipient that has not met a deadline once it has passed is overdue
// for that stage, whatever its delivery state (a dead-lettered directive
// is overdue too: nobody acted on it).
//
// Owned by the Store, which calls it inside its own transactions on its
// writer thread; statements live on the Store's connection. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/core/message_id.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"

namespace regline {

// A directive's terms as the gateway resolved them at acceptance.
struct DirectiveTerms {
  std::string department;              // issuing department, lower-case code ("samr")
  int action = 0;                      // schema DirectiveAction ordinal
  int severity = 0;                    // schema Severity ordinal
  int64_t ack_deadline_ms = 0;         // accepted or rejected by then
  int64_t completion_deadline_ms = 0;  // completed by then
  MessageId supersedes;                // zero: none
  MessageId revokes;                   // zero: none
};

// The stage a deadline asks for.
enum class DeadlineStage : int { kAccept = 1, kComplete = 2 };
std::string_view DeadlineStageName(DeadlineStage s);  // "accept", "complete"

// One recipient of one open directive past one deadline.
struct OverdueItem {
  uint64_t seq = 0;     // the directive's gateway sequence number
  MessageId directive;  // its id
  std::string issuer;   // its sender identity
  std::string department;
  int action = 0;
  int severity = 0;
  std::string recipient;
  DeadlineStage missing = DeadlineStage::kAccept;
  int64_t deadline_ms = 0;
  int last_state = 0;     // DeliveryState ordinal of the recipient's delivery
  int64_t issued_ms = 0;  // when the gateway accepted the directive
  int escalations = 0;    // escalations raised for this miss so far
};

// Where a directive stands in its lineage; zero ids: none.
struct DirectiveLineage {
  DirectiveTerms terms;
  MessageId superseded_by;
  MessageId revoked_by;
  int64_t closed_ms = 0;  // when it was superseded or revoked; 0: open
};

// The two deadlines of a directive, as DirectiveTerms has them.
struct DirectiveDeadlines {
  int64_t ack_ms = 0;
  int64_t completion_ms = 0;
};

class DirectiveLedger {
 public:
  // The schema's name of a DirectiveAction ordinal ("suspendBroadcast"),
  // for error texts; core does not depend on the schemas, so the gateway
  // hands one in. Empty, or an empty answer: the number is used.
  using ActionNamer = std::function<std::string(int action)>;

  // Prepares the statements on `db` (which must outlive the ledger).
  // kInternal when the tables are missing (schema not migrated).
  static Result<std::unique_ptr<DirectiveLedger>> Open(Database& db, ActionNamer action_name = {});
  ~DirectiveLedger();
  DirectiveLedger(const DirectiveLedger&) = delete;
  DirectiveLedger& operator=(const DirectiveLedger&) = delete;

  // Before a directive is stored: the earlier directive it supersedes or
  // revokes must exist (kNotFound), be a directive of the same department
  // (kPermissionDenied), still be open (kFailedPrecondition naming what
  // closed it), and a revocation must repeat the revoked action
  // (kInvalidArgument). Supersedes and revokes together are
  // kInvalidArgument. Returns the earlier directive's seq (0: none) for
  // Record. Changes nothing.
  Result<uint64_t> CheckLineage(const DirectiveTerms& terms);

  // Records directive `seq` and closes `earlier_seq` (CheckLineage's answer
  // in the same transaction; 0: nothing to close). A failure leaves a
  // half-done change: roll back.
  Status Record(uint64_t seq, const DirectiveTerms& terms, uint64_t earlier_seq, int64_t now);

  // Recipients of open directives past a deadline at `now`, oldest deadline
  // first, at most `limit`. With `unescalated_only`, only misses that have
  // no escalation yet.
  Result<std::vector<OverdueItem>> Overdue(int64_t now, int limit, bool unescalated_only);

  // Records escalation `level` of `item`'s miss, made at `now` as message
  // `escalation_seq`. kAlreadyExists when that level was recorded before.
  Status RecordEscalation(const OverdueItem& item, int level, int64_t now, uint64_t escalation_seq);

  // Directive `seq`'s terms and lineage; kNotFound when `seq` is not a
  // tracked directive.
  Result<DirectiveLineage> Lineage(uint64_t seq);
  // Directive `seq`'s deadlines; nullopt when `seq` is a message that is
  // not a tracked directive. For each acknowledgement's lateness, so the
  // answers are remembered (a directive's deadlines never change, nor does
  // whether a stored message is one): at most kRememberedDeadlines, all
  // forgotten when that many are held. `seq` must be a stored message.
  Result<std::optional<DirectiveDeadlines>> Deadlines(uint64_t seq);
  // Forgets what Deadlines remembered. The store calls it after deleting
  // messages: a deleted number can be given to a new message.
  void ForgetDeadlines() { deadlines_.clear(); }
  static constexpr size_t kRememberedDeadlines = 4096;
  // Escalations raised for (seq, recipient), all stages.
  Result<int> EscalationCount(uint64_t seq, std::string_view recipient);

 private:
  struct Statements;
  DirectiveLedger(std::unique_ptr<Statements> s, ActionNamer action_name);
  Result<std::optional<DirectiveLineage>> FindById(const MessageId& id, uint64_t* seq);
  // "suspendBroadcast (5)", or "5" without a name.
  std::string ActionText(int action) const;

  std::unique_ptr<Statements> stmts_;
  const ActionNamer action_name_;
  std::unordered_map<uint64_t, std::optional<DirectiveDeadlines>> deadlines_;
};

}  // namespace regline
