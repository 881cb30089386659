// ConsoleApi: the JSON API under /api/v1 of the admin endpoint, which the
// web console (gateway/console/) reads and other tools may read too. The
// endpoints, their fields and examples are in docs/console.md:
//
//   GET  /overview                       platforms, catalog, audit chain
//   GET  /messages?limit=N               recent messages x recipients
//   GET  /overdue?limit=N                directive stages past deadline
//   GET  /reports?platform=P             complaint statistics by period
//   GET  /dead-letters?recipient=R&limit=N
//   POST /dead-letters/SEQ/RECIPIENT/replay
//
// Times are Unix milliseconds (UTC). Errors are {"error": {"code",
// "message"}} with an HTTP status that matches the code.
//
// RouteApi is pure; AnswerApi runs on the store's writer thread (through
// GroupCommitter::Run), with what the main loop knows passed in.
// NewestMessageSeqs reads the store's file on a read-only connection of its
// own (as VerifyAuditChain does), on the caller's thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/audit_chain.h"
#include "gateway/core/store.h"
#include "gateway/server/admin_http.h"
#include "gateway/server/metrics.h"

namespace regline::server {

struct ApiCall {
  enum class Route { kOverview, kMessages, kOverdue, kReports, kDeadLetters, kReplay };
  Route route = Route::kOverview;
  int limit = 100;
  uint64_t seq = 0;       // replay
  std::string recipient;  // replay; dead-letters filter
  std::string platform;   // reports filter
};

// The call `request` names; kNotFound for an unknown path,
// kInvalidArgument for a bad parameter, kUnimplemented for a method the
// path does not take.
Result<ApiCall> RouteApi(const ApiRequest& request);

// What the console shows beside the store's contents.
struct ConsoleContext {
  std::string gateway_identity;
  std::string time_zone;
  std::vector<std::string> platforms;  // registered, not revoked
  std::map<std::string, PeerConnection> connections;
  Result<AuditVerdict> audit = AuditVerdict{};
  bool audit_full_walk = false;       // `audit` came from a walk of the whole chain (audit_overview.h)
  int64_t audit_full_walk_at_ms = 0;  // when the last full walk ran; 0: none yet
  std::vector<uint64_t> recent;  // messages: the newest messages' sequence numbers, newest first
  int64_t now_ms = 0;
};

// The gateway sequence numbers of the newest `limit` messages in the store
// file at `db_path`, newest first; kIOError when it cannot be read. Any
// thread (its own read-only connection, one WAL snapshot); the messages'
// rows are then read through the Store (AnswerApi), which skips any that
// legal retention removed in between.
Result<std::vector<uint64_t>> NewestMessageSeqs(const std::string& db_path, int limit);

// The answer to `call` (writer thread). Replays go through
// ReplayDeadLetters (queries.h), as the replay query does.
ApiResponse AnswerApi(Store& store, const ApiCall& call, const ConsoleContext& context);

// An error answer for `status`, with the HTTP status core/http_status.h
// gives its code.
ApiResponse ApiError(const Status& status);

// RouteApi's answer to `request` as an HTTP error: ApiError, and for a 405
// the Allow header naming the methods the path does take.
ApiResponse RouteError(const ApiRequest& request, const Status& status);

}  // namespace regline::server
