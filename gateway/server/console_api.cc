#include "gateway/server/console_api.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "gateway/core/http_status.h"
#include "gateway/policy/schema_names.h"
#include "gateway/protocol/frames.h"
#include "gateway/server/queries.h"
#include "schemas/complaints.capnp.h"
#include "schemas/directive.capnp.h"
#include "schemas/envelope.capnp.h"

namespace regline::server {
namespace {

using nlohmann::json;

constexpr int kMaxLimit = 1000;

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;  // after the leading '/'
  while (start <= path.size()) {
    const size_t end = path.find('/', start);
    const std::string part = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

Result<int> LimitOf(const ApiRequest& r, int fallback) {
  auto it = r.params.find("limit");
  if (it == r.params.end()) return fallback;
  int n = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || n < 1 || n > kMaxLimit) {
    return InvalidArgument("limit must be a whole number from 1 to " + std::to_string(kMaxLimit));
  }
  return n;
}

std::string Param(const ApiRequest& r, const std::string& name) {
  auto it = r.params.find(name);
  return it == r.params.end() ? std::string() : it->second;
}

ApiResponse Ok(const json& body) { return {200, body.dump(), ""}; }

std::string KindName(int kind) { return std::string(policy::EnumerantName(static_cast<schema::MessageKind>(kind))); }

// How late a stage came, or how far past its deadline it is while not
// reached: 0 when on time, untracked (deadline 0) or not yet due.
int64_t Lateness(int64_t deadline_ms, int64_t reached_ms, int64_t now_ms) {
  if (deadline_ms == 0) return 0;
  const int64_t at = reached_ms != 0 ? reached_ms : now_ms;
  return at > deadline_ms ? at - deadline_ms : 0;
}

json DeliveryJson(const DeliveryStatus& d, const DirectiveTerms* terms, int64_t now_ms) {
  json r = {{"recipient", d.recipient},
            {"state", DeliveryStateName(d.state)},
            {"attempts", d.attempts},
            {"delivery_seq", d.delivery_seq},
            {"queued_ms", d.queued_ms},
            {"received_ms", d.received_ms},
            {"accepted_ms", d.accepted_ms},
            {"completed_ms", d.completed_ms},
            {"rejected_ms", d.rejected_ms},
            {"expired_ms", d.expired_ms},
            {"dead_lettered_ms", d.dead_lettered_ms},
            {"reason", d.reason}};
  if (terms != nullptr) {
    // The acknowledgement deadline is met by accepted or rejected (or a
    // completion that skipped accepted); a rejection ends the completion's.
    int64_t answered = d.accepted_ms != 0 ? d.accepted_ms : d.rejected_ms != 0 ? d.rejected_ms : d.completed_ms;
    const bool closed = d.state == DeliveryState::kExpired;
    r["ack_late_ms"] = closed ? 0 : Lateness(terms->ack_deadline_ms, answered, now_ms);
    r["ack_pending"] = answered == 0 && !closed;
    const bool completion_open = d.rejected_ms == 0 && !closed;
    r["completion_late_ms"] = completion_open ? Lateness(terms->completion_deadline_ms, d.completed_ms, now_ms) : 0;
    r["completion_pending"] = completion_open && d.completed_ms == 0;
  }
  return r;
}

// The payload of stored message `seq`, handed to `read` while the decoded
// envelope lives; kCorruption when it cannot be read.
template <typename Fn>
Status WithPayload(Store& store, uint64_t seq, Fn&& read) {
  Result<std::string> envelope = store.EnvelopeOf(seq);
  if (!envelope.ok()) return envelope.status();
  Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(*envelope, envelope->size());
  if (!env.ok()) return Corruption("message #" + std::to_string(seq) + ": " + env.status().message());
  Status status;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    auto bytes = env->get().getPayload();
    status = read(std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
  });
  if (failure != nullptr) return Corruption("message #" + std::to_string(seq) + ": payload unreadable");
  return status;
}

// What a directive orders: action, subject kind, severity, issuing
// department. Empty when the payload cannot be read.
json DirectiveSummary(Store& store, uint64_t seq) {
  json out = json::object();
  Status read = WithPayload(store, seq, [&](std::string_view payload) -> Status {
    Result<protocol::Decoded<schema::Directive>> d =
        protocol::Decoded<schema::Directive>::Parse(payload, payload.size());
    if (!d.ok()) return d.status();
    auto directive = d->get();
    out = {{"action", policy::EnumerantName(directive.getAction())},
           {"subject", policy::SubjectKindName(directive.getSubject().which())},
           {"severity", policy::EnumerantName(directive.getSeverity())},
           {"department", policy::EnumerantName(directive.getIssuer().getDepartment())},
           {"reference", directive.getReference().cStr()}};
    return Status::Ok();
  });
  return read.ok() ? out : json::object();
}

Result<json> Messages(Store& store, const std::vector<uint64_t>& seqs, int64_t now_ms) {
  json messages = json::array();
  for (uint64_t seq : seqs) {
    Result<std::vector<DeliveryStatus>> rows = store.Deliveries(seq);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) continue;  // pruned meanwhile
    Result<DirectiveLineage> lineage = store.Lineage(seq);
    if (!lineage.ok() && lineage.status().code() != StatusCode::kNotFound) return lineage.status();
    const DirectiveTerms* terms = lineage.ok() ? &lineage->terms : nullptr;
    const DeliveryStatus& first = rows->front();
    json m = {{"seq", seq},
              {"message_id", first.message_id.ToHex()},
              {"sender", first.sender},
              {"kind", KindName(first.kind)},
              {"accepted_ms", first.queued_ms},
              {"ack_deadline_ms", terms ? terms->ack_deadline_ms : 0},
              {"completion_deadline_ms", terms ? terms->completion_deadline_ms : 0},
              {"recipients", json::array()}};
    if (first.kind == static_cast<int>(schema::MessageKind::DIRECTIVE)) m["directive"] = DirectiveSummary(store, seq);
    for (const DeliveryStatus& d : *rows) m["recipients"].push_back(DeliveryJson(d, terms, now_ms));
    messages.push_back(std::move(m));
  }
  return json{{"now_ms", now_ms}, {"messages", std::move(messages)}};
}

Result<json> Overdue(Store& store, int limit, int64_t now_ms) {
  Result<std::vector<OverdueItem>> items = store.Overdue(limit);
  if (!items.ok()) return items.status();
  json list = json::array();
  for (const OverdueItem& item : *items) {
    list.push_back({{"seq", item.seq},
                    {"directive_id", item.directive.ToHex()},
                    {"issuer", item.issuer},
                    {"department", item.department},
                    {"action", policy::EnumerantName(static_cast<schema::DirectiveAction>(item.action))},
                    {"severity", policy::EnumerantName(static_cast<schema::Severity>(item.severity))},
                    {"platform", item.recipient},
                    {"missing_stage", item.missing == DeadlineStage::kAccept ? "accepted" : "completed"},
                    {"deadline_ms", item.deadline_ms},
                    {"overdue_ms", now_ms - item.deadline_ms},
                    {"state", DeliveryStateName(static_cast<DeliveryState>(item.last_state))},
                    {"issued_ms", item.issued_ms},
                    {"escalations", item.escalations}});
  }
  return json{{"now_ms", now_ms}, {"overdue", std::move(list)}};
}

// The figures of stored complaint statistics message `seq`.
Result<json> ComplaintFigures(Store& store, uint64_t seq) {
  json figures;
  Status read = WithPayload(store, seq, [&](std::string_view payload) -> Status {
    Result<protocol::Decoded<schema::ComplaintStatistics>> stats =
        protocol::Decoded<schema::ComplaintStatistics>::Parse(payload, payload.size());
    if (!stats.ok()) return stats.status();
    auto s = stats->get();
    uint64_t received = 0, resolved = 0, in_time = 0;
    json categories = json::array();
    for (auto c : s.getCounts()) {
      received += c.getReceived();
      resolved += c.getResolved();
      in_time += c.getResolvedInTime();
      categories.push_back({{"category", policy::EnumerantName(c.getCategory())},
                            {"received", c.getReceived()},
                            {"resolved", c.getResolved()},
                            {"resolved_in_time", c.getResolvedInTime()}});
    }
    figures = {{"received", received},
               {"resolved", resolved},
               {"resolved_in_time", in_time},
               {"cross_platform_disputes_assisted", s.getCrossPlatformDisputesAssisted()},
               {"median_resolution_ms", s.getMedianResolutionMs()},
               {"categories", std::move(categories)}};
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return figures;
}

Result<json> Reports(Store& store, const std::string& platform) {
  Result<std::vector<ReportRow>> rows = store.Reports();
  if (!rows.ok()) return rows.status();
  json list = json::array();
  for (const ReportRow& row : *rows) {
    if (row.kind != static_cast<int>(schema::MessageKind::COMPLAINT_STATISTICS)) continue;
    if (!platform.empty() && row.platform != platform) continue;
    json r = {{"platform", row.platform},
              {"period_start_ms", row.period_start_ms},
              {"period_end_ms", row.period_end_ms},
              {"message_id", row.message_id.ToHex()},
              {"received_ms", row.received_ms}};
    Result<json> figures = ComplaintFigures(store, row.message_seq);
    if (figures.ok()) {
      r.update(*figures);
    } else {
      r["problem"] = figures.status().ToString();
    }
    list.push_back(std::move(r));
  }
  return json{{"kind", "complaintStatistics"}, {"reports", std::move(list)}};
}

Result<json> DeadLetters(Store& store, const std::string& recipient, int limit) {
  Result<std::vector<DeliveryStatus>> dead = store.DeadLetters(recipient, limit);
  if (!dead.ok()) return dead.status();
  json list = json::array();
  for (const DeliveryStatus& d : *dead) {
    list.push_back({{"seq", d.seq},
                    {"message_id", d.message_id.ToHex()},
                    {"recipient", d.recipient},
                    {"sender", d.sender},
                    {"kind", KindName(d.kind)},
                    {"attempts", d.attempts},
                    {"queued_ms", d.queued_ms},
                    {"dead_lettered_ms", d.dead_lettered_ms},
                    {"reason", d.reason}});
  }
  return json{{"dead_letters", std::move(list)}};
}

Result<json> Replay(Store& store, uint64_t seq, const std::string& recipient) {
  Result<std::vector<std::string>> requeued = ReplayDeadLetters(store, seq, recipient, "admin_http");
  if (!requeued.ok()) return requeued.status();
  return json{{"seq", seq}, {"requeued", *requeued}};
}

json AuditJson(const Result<AuditVerdict>& audit, bool full_walk, int64_t full_walk_at_ms) {
  if (!audit.ok()) return {{"verified", false}, {"error", audit.status().ToString()}};
  return {{"verified", true},
          {"full_walk", full_walk},
          {"full_walk_at_ms", full_walk_at_ms},
          {"intact", audit->intact},
          {"checked", audit->checked},
          {"head_seq", audit->head.seq},
          {"head_hash", AuditHashHex(audit->head.hash)},
          {"first_broken", audit->first_broken},
          {"problem", audit->problem},
          {"pruned_through", audit->pruned_through}};
}

Result<json> Overview(Store& store, const ConsoleContext& c) {
  Result<std::vector<QueueDepth>> depths = store.Depths();
  if (!depths.ok()) return depths.status();
  Result<std::vector<CatalogApplied>> applied = store.CatalogAppliedByPlatform();
  if (!applied.ok()) return applied.status();
  Result<uint64_t> current = store.CatalogCurrent();
  if (!current.ok()) return current.status();
  Result<std::vector<OverdueItem>> overdue = store.Overdue(0);
  if (!overdue.ok()) return overdue.status();
  json platforms = json::array();
  for (const std::string& p : c.platforms) {
    json row = {{"platform", p},
                {"connected", false},
                {"since_ms", 0},
                {"queued", 0},
                {"in_flight", 0},
                {"dead_lettered", 0},
                {"oldest_queued_ms", 0},
                {"catalog_version", 0},
                {"catalog_attested_ms", 0},
                {"catalog_stale", false},
                {"catalog_behind", *current > 0}};
    if (auto it = c.connections.find(p); it != c.connections.end()) {
      row["connected"] = it->second.connected;
      row["since_ms"] = it->second.since_ms;
    }
    for (const QueueDepth& d : *depths) {
      if (d.recipient != p) continue;
      row["queued"] = d.queued;
      row["in_flight"] = d.in_flight;
      row["dead_lettered"] = d.dead_lettered;
      row["oldest_queued_ms"] = d.oldest_queued_ms;
    }
    for (const CatalogApplied& a : *applied) {
      if (a.platform != p) continue;
      row["catalog_version"] = a.version;
      row["catalog_attested_ms"] = a.attested_ms;
      row["catalog_stale"] = a.stale;
      row["catalog_behind"] = a.version < *current;
    }
    int64_t late = 0;
    for (const OverdueItem& item : *overdue) late += item.recipient == p ? 1 : 0;
    row["overdue"] = late;
    platforms.push_back(std::move(row));
  }
  return json{
      {"gateway", c.gateway_identity},     {"version", REGLINE_VERSION},
      {"time_zone", c.time_zone},          {"now_ms", c.now_ms},
      {"catalog_version", *current},       {"overdue", overdue->size()},
      {"platforms", std::move(platforms)}, {"audit", AuditJson(c.audit, c.audit_full_walk, c.audit_full_walk_at_ms)}};
}

}  // namespace

Result<std::vector<uint64_t>> NewestMessageSeqs(const std::string& db_path, int limit) {
  Result<Database> db = Database::OpenReadOnly(db_path);
  if (!db.ok()) return db.status();
  Result<Statement> newest = db->Prepare("SELECT seq FROM messages ORDER BY seq DESC LIMIT ?1");
  if (!newest.ok()) return newest.status();
  newest->Bind(1, limit);
  std::vector<uint64_t> seqs;
  for (;;) {
    Result<bool> row = newest->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    seqs.push_back(static_cast<uint64_t>(newest->ColumnInt64(0)));
  }
  return seqs;
}

ApiResponse ApiError(const Status& status) {
  json body = {{"error", {{"code", StatusCodeName(status.code())}, {"message", status.message()}}}};
  return {HttpStatusFor(status.code()), body.dump(), ""};
}

ApiResponse RouteError(const ApiRequest& request, const Status& status) {
  ApiResponse answer = ApiError(status);
  if (status.code() != StatusCode::kUnimplemented) return answer;
  for (const char* method : {"GET", "POST"}) {
    ApiRequest probe = request;
    probe.method = method;
    Result<ApiCall> routed = RouteApi(probe);
    if (!routed.ok() && routed.status().code() == StatusCode::kUnimplemented) continue;
    if (!answer.allow.empty()) answer.allow += ", ";
    answer.allow += method;
  }
  return answer;
}

Result<ApiCall> RouteApi(const ApiRequest& r) {
  const std::vector<std::string> parts = Split(r.path);
  ApiCall call;
  auto want = [&](const char* method) -> Status {
    if (r.method == method) return Status::Ok();
    return Status(StatusCode::kUnimplemented, r.path + " takes " + method + ", not " + r.method);
  };
  if (parts.size() == 1) {
    using Route = ApiCall::Route;
    static const std::map<std::string, std::pair<Route, int>> kReads = {{"overview", {Route::kOverview, 0}},
                                                                        {"messages", {Route::kMessages, 50}},
                                                                        {"overdue", {Route::kOverdue, 200}},
                                                                        {"reports", {Route::kReports, 0}},
                                                                        {"dead-letters", {Route::kDeadLetters, 100}}};
    auto it = kReads.find(parts[0]);
    if (it != kReads.end()) {
      REGLINE_RETURN_IF_ERROR(want("GET"));
      call.route = it->second.first;
      Result<int> limit = LimitOf(r, it->second.second == 0 ? 1 : it->second.second);
      if (!limit.ok()) return limit.status();
      call.limit = *limit;
      call.recipient = Param(r, "recipient");
      call.platform = Param(r, "platform");
      return call;
    }
  }
  if (parts.size() == 4 && parts[0] == "dead-letters" && parts[3] == "replay") {
    REGLINE_RETURN_IF_ERROR(want("POST"));
    const std::string& seq = parts[1];
    const auto [end, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), call.seq);
    if (ec != std::errc() || end != seq.data() + seq.size() || call.seq == 0) {
      return InvalidArgument("'" + seq + "' is not a message sequence number");
    }
    call.route = ApiCall::Route::kReplay;
    call.recipient = parts[2];
    return call;
  }
  return NotFound("no API endpoint /api/v1" + r.path + " (docs/console.md lists them)");
}

ApiResponse AnswerApi(Store& store, const ApiCall& call, const ConsoleContext& context) {
  Result<json> body = InvalidArgument("unknown route");
  switch (call.route) {
    case ApiCall::Route::kOverview:
      body = Overview(store, context);
      break;
    case ApiCall::Route::kMessages:
      body = Messages(store, context.recent, context.now_ms);
      break;
    case ApiCall::Route::kOverdue:
      body = Overdue(store, call.limit, context.now_ms);
      break;
    case ApiCall::Route::kReports:
      body = Reports(store, call.platform);
      break;
    case ApiCall::Route::kDeadLetters:
      body = DeadLetters(store, call.recipient, call.limit);
      break;
    case ApiCall::Route::kReplay:
      body = Replay(store, call.seq, call.recipient);
      break;
  }
  if (!body.ok()) return ApiError(body.status());
  return Ok(*body);
}

}  // namespace regline::server
