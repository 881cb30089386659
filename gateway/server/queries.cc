#include "gateway/server/queries.h"

#include <algorithm>
#include <map>

#include "gateway/core/log.h"
#include "gateway/protocol/frames.h"
#include "gateway/server/authorization.h"
#include "gateway/server/catalog.h"
#include "gateway/server/reports.h"

namespace regline::server {
namespace {

schema::DeliveryState WireState(DeliveryState s) { return static_cast<schema::DeliveryState>(static_cast<int>(s)); }

std::string MessageStatusAnswer(Store& store, const QueryRequest& q, const identity::Identity& viewer) {
  Result<uint64_t> seq = store.FindSeqById(q.id);
  if (!seq.ok()) return protocol::ErrorFrame(q.tag, seq.status(), q.id);
  Result<std::vector<DeliveryStatus>> ds = store.Deliveries(*seq);
  if (!ds.ok()) return protocol::ErrorFrame(q.tag, ds.status(), q.id);
  if (!ds->empty()) {
    std::vector<std::string> recipients;
    for (const auto& d : *ds) recipients.push_back(d.recipient);
    const std::string& sender = ds->front().sender;
    if (Status may = AuthorizeMessageView(viewer, sender, recipients); !may.ok()) {
      return protocol::ErrorFrame(q.tag, may, q.id);
    }
    // A platform or agency that is a recipient, not the sender, sees its own row only.
    if ((viewer.role == identity::Role::kPlatform || viewer.role == identity::Role::kMcnAgency) &&
        viewer.name != sender) {
      std::erase_if(*ds, [&](const DeliveryStatus& d) { return d.recipient != viewer.name; });
    }
  }
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto st = result.initMessageStatus();
  protocol::ToWire(q.id, st.initMessageId());
  st.setGatewaySeq(*seq);
  if (!ds->empty()) {
    st.setSender(ds->front().sender);
    st.setKind(static_cast<schema::MessageKind>(ds->front().kind));
  }
  auto list = st.initRecipients(static_cast<unsigned>(ds->size()));
  for (unsigned i = 0; i < ds->size(); ++i) {
    const DeliveryStatus& d = (*ds)[i];
    auto r = list[i];
    r.setRecipient(d.recipient);
    r.setState(WireState(d.state));
    r.setAttempts(static_cast<uint32_t>(d.attempts));
    r.setDeliverySeq(d.delivery_seq);
    r.setQueuedMs(d.queued_ms);
    r.setReceivedMs(d.received_ms);
    r.setAcceptedMs(d.accepted_ms);
    r.setCompletedMs(d.completed_ms);
    r.setRejectedMs(d.rejected_ms);
    r.setRejectReason(d.reason);
    if (i == 0) st.setAcceptedMs(d.queued_ms);
  }
  // Directives: the deadlines tracked, escalations, and the lineage.
  Result<DirectiveLineage> lineage = store.Lineage(*seq);
  if (lineage.ok()) {
    for (unsigned i = 0; i < ds->size(); ++i) {
      list[i].setAckDeadlineMs(lineage->terms.ack_deadline_ms);
      list[i].setCompletionDeadlineMs(lineage->terms.completion_deadline_ms);
      Result<int> escalations = store.EscalationCount(*seq, (*ds)[i].recipient);
      if (escalations.ok()) list[i].setEscalations(static_cast<uint32_t>(*escalations));
    }
    protocol::ToWire(lineage->superseded_by, st.initSupersededBy());
    protocol::ToWire(lineage->revoked_by, st.initRevokedBy());
    protocol::ToWire(lineage->terms.supersedes, st.initSupersedes());
    protocol::ToWire(lineage->terms.revokes, st.initRevokes());
  } else if (lineage.status().code() != StatusCode::kNotFound) {
    return protocol::ErrorFrame(q.tag, lineage.status(), q.id);
  }
  return protocol::Encode(m);
}

std::string OverdueAnswer(Store& store, const QueryRequest& q, const identity::Identity& viewer, int64_t now) {
  Result<std::vector<OverdueItem>> items = store.Overdue(0);
  if (!items.ok()) return protocol::ErrorFrame(q.tag, items.status());
  const bool sees_all = SeesEveryRecipient(viewer);
  std::vector<const OverdueItem*> rows;
  for (const OverdueItem& item : *items) {
    if (!sees_all && item.recipient != viewer.name) continue;
    if (!q.recipient.empty() && item.recipient != q.recipient) continue;
    if (!q.department.empty() && item.department != q.department) continue;
    if (rows.size() >= q.limit) break;
    rows.push_back(&item);
  }
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto list = result.initOverdue(static_cast<unsigned>(rows.size()));
  for (unsigned i = 0; i < rows.size(); ++i) {
    const OverdueItem& item = *rows[i];
    auto o = list[i];
    protocol::ToWire(item.directive, o.initDirectiveId());
    o.setIssuer(item.issuer);
    o.setDepartment(item.department);
    o.setPlatform(item.recipient);
    o.setAction(static_cast<schema::DirectiveAction>(item.action));
    o.setSeverity(static_cast<schema::Severity>(item.severity));
    o.setMissingStage(item.missing == DeadlineStage::kAccept ? schema::AckStage::ACCEPTED
                                                             : schema::AckStage::COMPLETED);
    o.setDeadlineMs(item.deadline_ms);
    o.setOverdueByMs(now - item.deadline_ms);
    o.setState(static_cast<schema::DeliveryState>(item.last_state));
    o.setIssuedMs(item.issued_ms);
    o.setEscalations(static_cast<uint32_t>(item.escalations));
  }
  return protocol::Encode(m);
}

std::string DepthsAnswer(Store& store, const QueryRequest& q, const std::vector<std::string>& connected,
                         const identity::Identity& viewer) {
  Result<std::vector<QueueDepth>> depths = store.Depths();
  if (!depths.ok()) return protocol::ErrorFrame(q.tag, depths.status());
  const bool sees_all = SeesEveryRecipient(viewer);
  std::vector<QueueDepth> rows;
  for (const auto& d : *depths) {
    if (!sees_all && d.recipient != viewer.name) continue;
    if (q.recipients.empty() || std::count(q.recipients.begin(), q.recipients.end(), d.recipient)) rows.push_back(d);
  }
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto list = result.initQueueDepths(static_cast<unsigned>(rows.size()));
  for (unsigned i = 0; i < rows.size(); ++i) {
    list[i].setRecipient(rows[i].recipient);
    list[i].setQueued(static_cast<uint64_t>(rows[i].queued));
    list[i].setInFlight(static_cast<uint64_t>(rows[i].in_flight));
    list[i].setDeadLettered(static_cast<uint64_t>(rows[i].dead_lettered));
    list[i].setOldestQueuedMs(rows[i].oldest_queued_ms);
    list[i].setConnected(std::count(connected.begin(), connected.end(), rows[i].recipient) > 0);
  }
  return protocol::Encode(m);
}

std::string DeadLettersAnswer(Store& store, const QueryRequest& q) {
  Result<std::vector<DeliveryStatus>> dead = store.DeadLetters(q.recipient, static_cast<int>(q.limit));
  if (!dead.ok()) return protocol::ErrorFrame(q.tag, dead.status());
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto list = result.initDeadLetters().initLetters(static_cast<unsigned>(dead->size()));
  for (unsigned i = 0; i < dead->size(); ++i) {
    const DeliveryStatus& d = (*dead)[i];
    protocol::ToWire(d.message_id, list[i].initMessageId());
    list[i].setRecipient(d.recipient);
    list[i].setSender(d.sender);
    list[i].setKind(static_cast<schema::MessageKind>(d.kind));
    list[i].setAttempts(static_cast<uint32_t>(d.attempts));
    list[i].setQueuedMs(d.queued_ms);
    list[i].setDeadLetteredMs(d.dead_lettered_ms);
    list[i].setLastError(d.reason);
  }
  return protocol::Encode(m);
}

std::string ReplayAnswer(Store& store, const QueryRequest& q) {
  Result<uint64_t> seq = store.FindSeqById(q.id);
  if (!seq.ok()) return protocol::ErrorFrame(q.tag, seq.status(), q.id);
  Result<std::vector<std::string>> replayed = ReplayDeadLetters(store, *seq, q.recipient, "query");
  if (!replayed.ok()) return protocol::ErrorFrame(q.tag, replayed.status(), q.id);
  const std::vector<std::string>& requeued = *replayed;
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto replay = result.initReplay();
  protocol::ToWire(q.id, replay.initMessageId());
  auto list = replay.initRequeued(static_cast<unsigned>(requeued.size()));
  for (unsigned i = 0; i < requeued.size(); ++i) list.set(i, requeued[i]);
  return protocol::Encode(m);
}

std::string CatalogShowAnswer(Store& store, const QueryRequest& q) {
  Result<CatalogAtVersion> at = CatalogAt(store, q.version);
  if (!at.ok()) return protocol::ErrorFrame(q.tag, at.status());
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto snapshot = result.initCatalogShow();
  snapshot.setVersion(at->version);
  if (at->issuer) snapshot.setIssuer(at->issuer->getRoot<schema::IssuingOffice>().asReader());
  at->state.Fill(snapshot);
  return protocol::Encode(m);
}

// A platform found a gap (or holds nothing yet): when it is behind, the
// catalog at the current version is queued for it as one CatalogSnapshot
// from the gateway (committed with this answer); the updates after it
// reach it as usual. Always a snapshot, never a replay of old updates:
// one message however long the history, and it does not depend on old
// update messages still being held.
std::string CatalogSnapshotAnswer(Store& store, const QueryRequest& q, const identity::Identity& viewer,
                                  int64_t now_ms) {
  Result<uint64_t> current = store.CatalogCurrent();
  if (!current.ok()) return protocol::ErrorFrame(q.tag, current.status());
  uint64_t queued_version = 0;
  if (*current > q.version) {
    Result<CatalogAtVersion> at = CatalogAt(store, *current);
    if (!at.ok()) return protocol::ErrorFrame(q.tag, at.status());
    Result<Submission> message = MakeCatalogSnapshotMessage(*at, viewer.name, now_ms, q.gateway_identity, q.signer);
    if (!message.ok()) return protocol::ErrorFrame(q.tag, message.status());
    Result<SubmitReceipt> stored = store.Submit(*message);
    if (!stored.ok()) return protocol::ErrorFrame(q.tag, stored.status());
    queued_version = at->version;
    Log(LogLevel::kInfo, "catalog_snapshot_queued",
        {{"platform", viewer.name},
         {"have_version", std::to_string(q.version)},
         {"version", std::to_string(at->version)},
         {"entries", std::to_string(at->state.size())},
         {"id", message->id.ToHex()},
         {"reason", q.reason}});
  }
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto answer = result.initCatalogSnapshot();
  answer.setSnapshotVersion(queued_version);
  answer.setLastVersion(*current);
  answer.setMessagesQueued(queued_version != 0 ? 1 : 0);
  return protocol::Encode(m);
}

// Sets or lifts a hold (audited by the store, committed with the answer),
// then lists the holds in force.
std::string LegalHoldAnswer(Store& store, const QueryRequest& q, const identity::Identity& viewer, int64_t now_ms) {
  bool changed = false;
  if (q.hold_action == schema::LegalHoldAction::ADD) {
    Result<bool> added = store.AddLegalHold({q.subject, q.reason, viewer.name, now_ms});
    if (!added.ok()) return protocol::ErrorFrame(q.tag, added.status());
    changed = *added;
  } else if (q.hold_action == schema::LegalHoldAction::REMOVE) {
    Result<bool> removed = store.RemoveLegalHold(q.subject, viewer.name);
    if (!removed.ok()) return protocol::ErrorFrame(q.tag, removed.status());
    changed = *removed;
  }
  if (changed) {
    Log(LogLevel::kInfo, q.hold_action == schema::LegalHoldAction::ADD ? "legal_hold_added" : "legal_hold_removed",
        {{"subject", q.subject}, {"by", viewer.name}, {"reason", q.reason}});
  }
  Result<std::vector<LegalHold>> holds = store.LegalHolds();
  if (!holds.ok()) return protocol::ErrorFrame(q.tag, holds.status());
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto answer = result.initLegalHold();
  answer.setChanged(changed);
  auto list = answer.initHolds(static_cast<unsigned>(holds->size()));
  for (unsigned i = 0; i < holds->size(); ++i) {
    const LegalHold& h = (*holds)[i];
    list[i].setSubject(h.subject);
    list[i].setReason(h.reason);
    list[i].setSetBy(h.set_by);
    list[i].setSetMs(h.set_ms);
  }
  return protocol::Encode(m);
}

std::string CatalogStatusAnswer(Store& store, const QueryRequest& q, const identity::Identity& viewer) {
  Result<std::vector<CatalogVersionRow>> versions = store.CatalogVersions();
  Result<std::vector<CatalogApplied>> applied = store.CatalogAppliedByPlatform();
  if (!versions.ok() || !applied.ok()) {
    return protocol::ErrorFrame(q.tag, !versions.ok() ? versions.status() : applied.status());
  }
  const uint64_t current = versions->empty() ? 0 : versions->back().version;
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto status = result.initCatalogStatus();
  status.setCurrentVersion(current);
  auto list = status.initVersions(static_cast<unsigned>(versions->size()));
  for (unsigned i = 0; i < versions->size(); ++i) {
    const CatalogVersionRow& row = (*versions)[i];
    auto v = list[i];
    v.setVersion(row.version);
    v.setBaseVersion(row.base);
    v.setAcceptedMs(row.accepted_ms);
    protocol::ToWire(row.message_id, v.initMessageId());
    Result<protocol::Decoded<schema::CatalogUpdate>> update = StoredCatalogUpdate(store, row.message_seq);
    if (!update.ok()) continue;  // the counts stay 0; CatalogAt reports the damage
    v.setAdded(update->get().getAdded().size());
    v.setChanged(update->get().getChanged().size());
    v.setWithdrawn(update->get().getWithdrawn().size());
    v.setNotes(update->get().getNotes());
  }
  // Every registered platform, attested or not; a platform sees its own line.
  std::map<std::string, CatalogApplied> by_platform;
  for (const std::string& p : q.platforms) by_platform[p].platform = p;
  for (const CatalogApplied& a : *applied) by_platform[a.platform] = a;
  const bool sees_all = SeesEveryRecipient(viewer);
  std::erase_if(by_platform, [&](const auto& kv) { return !sees_all && kv.first != viewer.name; });
  auto platforms = status.initPlatforms(static_cast<unsigned>(by_platform.size()));
  unsigned i = 0;
  for (const auto& [name, a] : by_platform) {
    auto p = platforms[i++];
    p.setPlatform(name);
    p.setAppliedVersion(a.version);
    p.setAttestedMs(a.attested_ms);
    p.setStale(a.stale);
    p.setBehind(a.version < current);
  }
  return protocol::Encode(m);
}

// Every period each visible platform owes a scheduled report for; a
// platform sees only its own lines.
std::string ReportsDueAnswer(Store& store, const QueryRequest& q, const identity::Identity& viewer, int64_t now) {
  Result<std::vector<ReportRow>> received = store.Reports();
  if (!received.ok()) return protocol::ErrorFrame(q.tag, received.status());
  ReportsDueFilter filter{q.recipient, q.report_kind, q.all_reports};
  std::vector<std::string> platforms = q.platforms;
  if (!SeesEveryRecipient(viewer)) {
    if (!filter.platform.empty() && filter.platform != viewer.name) {
      return protocol::ErrorFrame(q.tag, NotFound("no platform '" + filter.platform + "' you may see"));
    }
    filter.platform = viewer.name;
    platforms = {viewer.name};
  }
  std::vector<ReportDueLine> lines = ReportsDue(q.schedules, *received, platforms, filter, now);
  capnp::MallocMessageBuilder m;
  auto result = m.initRoot<schema::Frame>().initQueryResult();
  result.setRequestTag(q.tag);
  auto list = result.initReportsDue(static_cast<unsigned>(lines.size()));
  for (unsigned i = 0; i < lines.size(); ++i) {
    const ReportDueLine& line = lines[i];
    auto r = list[i];
    r.setPlatform(line.platform);
    r.setKind(line.kind);
    r.setPeriodStartMs(line.period.start_ms);
    r.setPeriodEndMs(line.period.end_ms);
    r.setDueMs(line.period.due_ms);
    r.setState(line.state);
    r.setLateByMs(line.late_by_ms);
    if (!line.message_id.IsZero()) protocol::ToWire(line.message_id, r.initMessageId());
    r.setReceivedMs(line.received_ms);
  }
  return protocol::Encode(m);
}

}  // namespace

Result<std::vector<std::string>> ReplayDeadLetters(Store& store, uint64_t seq, const std::string& recipient,
                                                   std::string_view via) {
  Result<std::vector<DeliveryStatus>> ds = store.Deliveries(seq);
  if (!ds.ok()) return ds.status();
  const MessageId id = ds->empty() ? MessageId{} : ds->front().message_id;
  std::vector<std::string> requeued;
  for (const auto& d : *ds) {
    if (!recipient.empty() && d.recipient != recipient) continue;
    if (d.state != DeliveryState::kDeadLettered) continue;
    REGLINE_RETURN_IF_ERROR(store.Replay(seq, d.recipient));
    requeued.push_back(d.recipient);
  }
  if (requeued.empty()) {
    return FailedPrecondition("message " + (ds->empty() ? "#" + std::to_string(seq) : id.ToHex()) +
                              " has no dead-lettered delivery" + (recipient.empty() ? "" : " to '" + recipient + "'"));
  }
  for (const std::string& r : requeued) {
    Log(LogLevel::kInfo, "dead_letter_replayed", {{"id", id.ToHex()}, {"recipient", r}, {"via", std::string(via)}});
  }
  return requeued;
}

Result<QueryRequest> ReadQuery(schema::Query::Reader query) {
  QueryRequest q;
  q.tag = query.getRequestTag();
  switch (query.which()) {
    case schema::Query::MESSAGE_STATUS:
      q.kind = QueryRequest::Kind::kMessageStatus;
      q.id = protocol::FromWire(query.getMessageStatus());
      return q;
    case schema::Query::QUEUE_DEPTHS:
      q.kind = QueryRequest::Kind::kQueueDepths;
      for (auto r : query.getQueueDepths().getRecipients()) q.recipients.emplace_back(r.cStr());
      return q;
    case schema::Query::DEAD_LETTERS:
      q.kind = QueryRequest::Kind::kDeadLetters;
      q.recipient = query.getDeadLetters().getRecipient().cStr();
      if (query.getDeadLetters().getLimit() > 0) q.limit = std::min<uint32_t>(query.getDeadLetters().getLimit(), 10000);
      return q;
    case schema::Query::REPLAY:
      q.kind = QueryRequest::Kind::kReplay;
      q.id = protocol::FromWire(query.getReplay().getMessageId());
      q.recipient = query.getReplay().getRecipient().cStr();
      return q;
    case schema::Query::OVERDUE: {
      auto o = query.getOverdue();
      q.kind = QueryRequest::Kind::kOverdue;
      q.recipient = o.getPlatform().cStr();
      q.department = o.getDepartment().cStr();
      q.limit = o.getLimit() == 0 ? 1000 : std::min<uint32_t>(o.getLimit(), 100000);
      return q;
    }
    case schema::Query::CATALOG_SHOW:
      q.kind = QueryRequest::Kind::kCatalogShow;
      q.version = query.getCatalogShow();
      return q;
    case schema::Query::CATALOG_STATUS:
      q.kind = QueryRequest::Kind::kCatalogStatus;
      return q;
    case schema::Query::LEGAL_HOLD: {
      auto h = query.getLegalHold();
      q.kind = QueryRequest::Kind::kLegalHold;
      q.hold_action = h.getAction();
      q.subject = h.getSubject().cStr();
      q.reason = h.getReason().cStr();
      if (q.hold_action != schema::LegalHoldAction::LIST && q.subject.empty()) {
        return InvalidArgument("legal hold: name a subject (an identity or a message id)");
      }
      if (q.hold_action == schema::LegalHoldAction::ADD && q.reason.empty()) {
        return InvalidArgument("legal hold: say why (reason), e.g. the case or order it serves");
      }
      if (q.hold_action != schema::LegalHoldAction::LIST && q.hold_action != schema::LegalHoldAction::ADD &&
          q.hold_action != schema::LegalHoldAction::REMOVE) {
        return InvalidArgument("legal hold: action must be list, add or remove");
      }
      return q;
    }
    case schema::Query::CATALOG_SNAPSHOT:
      q.kind = QueryRequest::Kind::kCatalogSnapshot;
      q.version = query.getCatalogSnapshot().getHaveVersion();
      q.reason = query.getCatalogSnapshot().getReason().cStr();
      return q;
    case schema::Query::REPORTS_DUE: {
      auto r = query.getReportsDue();
      q.kind = QueryRequest::Kind::kReportsDue;
      q.recipient = r.getPlatform().cStr();
      q.report_kind = r.getKind();
      q.all_reports = r.getAll();
      if (q.report_kind != schema::MessageKind::UNSPECIFIED &&
          q.report_kind != schema::MessageKind::COMPLAINT_STATISTICS &&
          q.report_kind != schema::MessageKind::TAX_ASSISTANCE_RESPONSE) {
        return InvalidArgument("reports due: kind must be complaintStatistics or taxAssistanceResponse");
      }
      return q;
    }
    default:
      return Status(StatusCode::kUnimplemented, "this gateway does not answer that query yet");
  }
}

Status AuthorizeQuery(const QueryRequest& q, const identity::Identity& viewer) {
  switch (q.kind) {
    case QueryRequest::Kind::kMessageStatus:
      return Status::Ok();  // decided with the message in hand
    case QueryRequest::Kind::kDeadLetters:
      return AuthorizeOperatorQuery(viewer, "list dead letters");
    case QueryRequest::Kind::kReplay:
      return AuthorizeOperatorQuery(viewer, "replay dead letters");
    case QueryRequest::Kind::kQueueDepths:
    case QueryRequest::Kind::kOverdue:
    case QueryRequest::Kind::kCatalogShow:
    case QueryRequest::Kind::kCatalogStatus:
    case QueryRequest::Kind::kReportsDue:
      return AuthorizeQueueView(viewer);
    case QueryRequest::Kind::kLegalHold:
      return AuthorizeLegalHold(viewer);
    case QueryRequest::Kind::kCatalogSnapshot:
      if (viewer.role != identity::Role::kPlatform) {
        return PermissionDenied("only a platform asks for a catalog snapshot (it is queued for the asker); '" +
                                viewer.name + "' is " + std::string(identity::RoleName(viewer.role)));
      }
      return Status::Ok();
  }
  return Internal("unknown query kind");
}

std::string AnswerQuery(Store& store, const QueryRequest& q, const std::vector<std::string>& connected,
                        const identity::Identity& viewer, int64_t now_ms) {
  switch (q.kind) {
    case QueryRequest::Kind::kMessageStatus:
      return MessageStatusAnswer(store, q, viewer);
    case QueryRequest::Kind::kQueueDepths:
      return DepthsAnswer(store, q, connected, viewer);
    case QueryRequest::Kind::kDeadLetters:
      return DeadLettersAnswer(store, q);
    case QueryRequest::Kind::kReplay:
      return ReplayAnswer(store, q);
    case QueryRequest::Kind::kOverdue:
      return OverdueAnswer(store, q, viewer, now_ms);
    case QueryRequest::Kind::kCatalogShow:
      return CatalogShowAnswer(store, q);
    case QueryRequest::Kind::kCatalogStatus:
      return CatalogStatusAnswer(store, q, viewer);
    case QueryRequest::Kind::kReportsDue:
      return ReportsDueAnswer(store, q, viewer, now_ms);
    case QueryRequest::Kind::kCatalogSnapshot:
      return CatalogSnapshotAnswer(store, q, viewer, now_ms);
    case QueryRequest::Kind::kLegalHold:
      return LegalHoldAnswer(store, q, viewer, now_ms);
  }
  return protocol::ErrorFrame(q.tag, Internal("unknown query kind"));
}

}  // namespace regline::server
