// Console queries (schemas/query.capnp): read on the session thread into a
// plain QueryRequest, answered on the store's writer thread as an encoded
// S:QUERY-RESULT or S:ERROR frame.
#pragma once

#include <string>
#include <vector>

#include "gateway/core/store.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/policy/report_schedule.h"
#include "schemas/query.capnp.h"

namespace regline::server {

struct QueryRequest {
  enum class Kind { kMessageStatus, kQueueDepths, kDeadLetters, kReplay, kOverdue, kCatalogShow, kCatalogStatus,
                    kReportsDue, kCatalogSnapshot, kLegalHold };
  Kind kind = Kind::kMessageStatus;
  uint64_t tag = 0;
  MessageId id;                         // status, replay
  std::vector<std::string> recipients;  // depths filter; replay: one or none (all)
  std::string recipient;                // dead letters filter; overdue, reports due: platform filter
  std::string department;               // overdue filter
  uint64_t version = 0;                 // catalog show; 0 = current. Catalog snapshot: the version the platform has
  std::string reason;                   // catalog snapshot: why the platform asks (logged); legal hold: why
  schema::LegalHoldAction hold_action = schema::LegalHoldAction::LIST;  // legal hold
  std::string subject;                  // legal hold: the held identity or message id
  std::vector<std::string> platforms;   // catalog status, reports due: every registered platform (filled by the caller)
  schema::MessageKind report_kind = schema::MessageKind::UNSPECIFIED;  // reports due filter
  bool all_reports = false;             // reports due: open and on-time ones too
  std::vector<policy::ReportSchedule> schedules;  // reports due: the running policy's (filled by the caller)
  uint32_t limit = 100;
  // Catalog snapshot: who the gateway is and how it signs what it sends
  // (filled by the caller; the signer outlives the answer).
  std::string gateway_identity;
  const identity::Signer* signer = nullptr;
};

// Puts message `seq`'s dead-lettered deliveries (only the one to
// `recipient`, when not empty) back in their queues with fresh attempts
// (Store::Replay, audited as "replayed"), and logs each as
// dead_letter_replayed naming `via` ("query", "admin_http"). On the writer
// thread, for the replay query and the console's replay alike. The
// recipients requeued; kFailedPrecondition when none was dead-lettered.
Result<std::vector<std::string>> ReplayDeadLetters(Store& store, uint64_t seq, const std::string& recipient,
                                                   std::string_view via);

// kUnimplemented for query kinds this gateway does not answer yet.
Result<QueryRequest> ReadQuery(schema::Query::Reader query);

// Whether `viewer` may ask `request` at all (authorization.h); any thread.
Status AuthorizeQuery(const QueryRequest& request, const identity::Identity& viewer);

// Runs on the writer thread. `connected` lists identities with a session;
// `viewer` asked (what it may see is filtered here); `now_ms` is the
// gateway's clock (overdue answers say how late).
std::string AnswerQuery(Store& store, const QueryRequest& request, const std::vector<std::string>& connected,
                        const identity::Identity& viewer, int64_t now_ms);

}  // namespace regline::server
