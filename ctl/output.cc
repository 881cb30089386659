#include "ctl/output.h"

#include <map>

#include <kj/encoding.h>

#include <ctime>

#include "ctl/parse.h"

namespace regline::ctl {
namespace {

using nlohmann::json;

// Decodes one UTF-8 code point at s[i], advancing i; invalid bytes count as
// one narrow character each.
char32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(i);
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + extra >= s.size()) {
    ++i;
    return b;
  }
  char32_t cp = b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return b;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += extra + 1;
  return cp;
}

bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x20000 && c <= 0x3FFFD);
}

bool IsZeroWidth(char32_t c) { return (c >= 0x0300 && c <= 0x036F) || c == 0x200B || (c >= 0xFE00 && c <= 0xFE0F); }

std::string Text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

std::string LocalTime(int64_t unix_ms, bool with_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char base[32];
  std::strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = base;
  if (with_ms) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(millis));
    out += frac;
  }
  // The offset is at most a day, so hours and minutes have two digits.
  const int offset_minutes = static_cast<int>(std::labs(tm.tm_gmtoff) / 60) % (24 * 60);
  char zone[16];
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", tm.tm_gmtoff < 0 ? '-' : '+', offset_minutes / 60,
                offset_minutes % 60);
  return out + zone;
}

std::string Hex(schema::MessageId::Reader id) { return protocol::FromWire(id).ToHex(); }

std::string YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace

size_t DisplayWidth(std::string_view utf8) {
  size_t width = 0;
  for (size_t i = 0; i < utf8.size();) {
    char32_t c = NextCodePoint(utf8, i);
    width += IsZeroWidth(c) ? 0 : IsWide(c) ? 2 : 1;
  }
  return width;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) widths[c] = DisplayWidth(headers_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) l += "  ";
      l += cells[c];
      if (c + 1 < cells.size()) l.append(widths[c] - DisplayWidth(cells[c]), ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
  return out;
}

std::string FormatTime(int64_t unix_ms) { return unix_ms == 0 ? "-" : LocalTime(unix_ms, false); }

json TimeJson(int64_t unix_ms) { return unix_ms == 0 ? json(nullptr) : json(LocalTime(unix_ms, true)); }

std::string FormatDuration(int64_t ms) {
  struct Unit {
    int64_t ms;
    const char* suffix;
  };
  constexpr Unit kUnits[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
  // The largest unit that fits, and the next one if it is not zero: "1d 2h".
  for (size_t k = 0; k < std::size(kUnits); ++k) {
    if (ms < kUnits[k].ms) continue;
    std::string out = std::to_string(ms / kUnits[k].ms) + kUnits[k].suffix;
    const int64_t rest = ms % kUnits[k].ms;
    if (k + 1 < std::size(kUnits) && rest >= kUnits[k + 1].ms) {
      out += " " + std::to_string(rest / kUnits[k + 1].ms) + kUnits[k + 1].suffix;
    }
    return out;
  }
  return std::to_string(ms) + "ms";
}

std::string DumpJson(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

Rendered RenderConfirm(const protocol::ConfirmInfo& c, schema::MessageKind kind) {
  Rendered r;
  std::string recipients;
  for (const auto& name : c.recipients) recipients += (recipients.empty() ? "" : ", ") + name;
  r.text = "message     " + c.id.ToHex() + "\n" + "kind        " + EnumName(kind) + "\n" + "gateway seq " +
           std::to_string(c.gateway_seq) + "\n" + "accepted    " + FormatTime(c.accepted_ms) + "\n" + "duplicate   " +
           YesNo(c.duplicate) + (c.duplicate ? " (already accepted; nothing new stored)" : "") + "\n" + "recipients  " +
           (recipients.empty() ? "-" : recipients) + "\n";
  r.json = {{"message_id", c.id.ToHex()},          {"kind", EnumName(kind)},   {"gateway_seq", c.gateway_seq},
            {"accepted", TimeJson(c.accepted_ms)}, {"duplicate", c.duplicate}, {"recipients", c.recipients}};
  return r;
}

Rendered RenderMessageStatus(schema::MessageStatus::Reader s) {
  Rendered r;
  Table table({"RECIPIENT", "STATE", "ATTEMPTS", "SEQ", "RECEIVED", "ACCEPTED", "COMPLETED", "REJECTED", "REASON"});
  json recipients = json::array();
  for (auto line : s.getRecipients()) {
    table.AddRow({Text(line.getRecipient()), EnumName(line.getState()), std::to_string(line.getAttempts()),
                  line.getDeliverySeq() == 0 ? "-" : std::to_string(line.getDeliverySeq()),
                  FormatTime(line.getReceivedMs()), FormatTime(line.getAcceptedMs()), FormatTime(line.getCompletedMs()),
                  FormatTime(line.getRejectedMs()),
                  line.getRejectReason().size() == 0 ? "-" : Text(line.getRejectReason())});
    recipients.push_back({{"recipient", Text(line.getRecipient())},
                          {"state", EnumName(line.getState())},
                          {"attempts", line.getAttempts()},
                          {"delivery_seq", line.getDeliverySeq()},
                          {"queued", TimeJson(line.getQueuedMs())},
                          {"last_sent", TimeJson(line.getLastSentMs())},
                          {"received", TimeJson(line.getReceivedMs())},
                          {"accepted", TimeJson(line.getAcceptedMs())},
                          {"completed", TimeJson(line.getCompletedMs())},
                          {"rejected", TimeJson(line.getRejectedMs())},
                          {"reject_reason", Text(line.getRejectReason())},
                          {"ack_deadline", TimeJson(line.getAckDeadlineMs())},
                          {"completion_deadline", TimeJson(line.getCompletionDeadlineMs())},
                          {"escalations", line.getEscalations()}});
  }
  r.text = "message " + Hex(s.getMessageId()) + "  " + EnumName(s.getKind()) + " from " + Text(s.getSender()) +
           ", gateway seq " + std::to_string(s.getGatewaySeq()) + ", accepted " + FormatTime(s.getAcceptedMs()) +
           ", expires " + (s.getExpiresMs() == 0 ? "never" : FormatTime(s.getExpiresMs())) + "\n";
  // Directives: the deadlines the gateway tracks, and the lineage.
  if (s.getRecipients().size() > 0 && s.getRecipients()[0].getAckDeadlineMs() != 0) {
    auto first = s.getRecipients()[0];
    r.text += "deadlines: accepted by " + FormatTime(first.getAckDeadlineMs()) + ", completed by " +
              FormatTime(first.getCompletionDeadlineMs()) + "\n";
  }
  auto lineage = [&](const char* what, schema::MessageId::Reader id, const char* key) {
    if (protocol::FromWire(id).IsZero()) return;
    r.text += std::string(what) + " " + Hex(id) + "\n";
    r.json[key] = Hex(id);
  };
  lineage("SUPERSEDED by", s.getSupersededBy(), "superseded_by");
  lineage("REVOKED by", s.getRevokedBy(), "revoked_by");
  lineage("supersedes", s.getSupersedes(), "supersedes");
  lineage("revokes", s.getRevokes(), "revokes");
  r.text += "\n" + table.Render();
  r.json["message_id"] = Hex(s.getMessageId());
  r.json["sender"] = Text(s.getSender());
  r.json["kind"] = EnumName(s.getKind());
  r.json["gateway_seq"] = s.getGatewaySeq();
  r.json["accepted"] = TimeJson(s.getAcceptedMs());
  r.json["expires"] = TimeJson(s.getExpiresMs());
  r.json["recipients"] = recipients;
  return r;
}

Rendered RenderOverdue(capnp::List<schema::OverdueDirective>::Reader items) {
  Rendered r;
  Table table({"DIRECTIVE", "PLATFORM", "DEPT", "ACTION", "SEVERITY", "MISSING", "DEADLINE", "OVERDUE BY", "STATE",
               "ESCALATED"});
  json list = json::array();
  std::map<std::string, int> by_platform, by_department;
  for (auto o : items) {
    table.AddRow({Hex(o.getDirectiveId()), Text(o.getPlatform()), Text(o.getDepartment()), EnumName(o.getAction()),
                  EnumName(o.getSeverity()), EnumName(o.getMissingStage()), FormatTime(o.getDeadlineMs()),
                  FormatDuration(o.getOverdueByMs()), EnumName(o.getState()), std::to_string(o.getEscalations())});
    ++by_platform[Text(o.getPlatform())];
    ++by_department[Text(o.getDepartment())];
    list.push_back({{"directive_id", Hex(o.getDirectiveId())},
                    {"issuer", Text(o.getIssuer())},
                    {"department", Text(o.getDepartment())},
                    {"platform", Text(o.getPlatform())},
                    {"action", EnumName(o.getAction())},
                    {"severity", EnumName(o.getSeverity())},
                    {"missing_stage", EnumName(o.getMissingStage())},
                    {"deadline", TimeJson(o.getDeadlineMs())},
                    {"overdue_by_ms", o.getOverdueByMs()},
                    {"state", EnumName(o.getState())},
                    {"issued", TimeJson(o.getIssuedMs())},
                    {"escalations", o.getEscalations()}});
  }
  if (table.rows() == 0) {
    r.text = "nothing is overdue\n";
  } else {
    auto counts = [](const std::map<std::string, int>& m) {
      std::string out;
      for (const auto& [k, n] : m) out += (out.empty() ? "" : ", ") + k + " " + std::to_string(n);
      return out;
    };
    r.text = table.Render() + "\n" + std::to_string(table.rows()) + " overdue; by platform: " + counts(by_platform) +
             "; by department: " + counts(by_department) + "\n";
  }
  r.json = {{"overdue", list}};
  return r;
}

namespace {

json EntryJson(schema::CatalogEntry::Reader e) {
  json keywords = json::array();
  for (auto k : e.getKeywords()) keywords.push_back(Text(k));
  return {{"id", Text(e.getId())},
          {"category", EnumName(e.getCategory())},
          {"title", Text(e.getTitle())},
          {"keywords", keywords},
          {"effective_from", TimeJson(e.getEffectiveFromMs())},
          {"effective_until", TimeJson(e.getEffectiveUntilMs())}};
}

std::string EntryBytes(schema::CatalogEntry::Reader e) {
  capnp::MallocMessageBuilder m;
  m.setRoot(e);
  return protocol::Encode(m);
}

}  // namespace

Rendered RenderCatalog(schema::CatalogSnapshot::Reader catalog) {
  Rendered r;
  Table table({"ID", "CATEGORY", "TITLE", "EFFECTIVE FROM", "UNTIL"});
  json entries = json::array();
  for (auto e : catalog.getEntries()) {
    table.AddRow({Text(e.getId()), EnumName(e.getCategory()), Text(e.getTitle()), FormatTime(e.getEffectiveFromMs()),
                  FormatTime(e.getEffectiveUntilMs())});
    entries.push_back(EntryJson(e));
  }
  r.text = "negative catalog, version " + std::to_string(catalog.getVersion()) + ": " +
           std::to_string(table.rows()) + " entries\n" + (table.rows() == 0 ? "" : "\n" + table.Render());
  r.json = {{"version", catalog.getVersion()}, {"entries", entries}};
  return r;
}

Rendered RenderCatalogDiff(schema::CatalogSnapshot::Reader from, schema::CatalogSnapshot::Reader to) {
  std::map<std::string, schema::CatalogEntry::Reader> before, after;
  for (auto e : from.getEntries()) before.emplace(Text(e.getId()), e);
  for (auto e : to.getEntries()) after.emplace(Text(e.getId()), e);
  Rendered r;
  Table table({"", "ID", "CATEGORY", "TITLE"});
  json added = json::array(), changed = json::array(), withdrawn = json::array();
  for (const auto& [id, e] : after) {
    auto old = before.find(id);
    if (old == before.end()) {
      table.AddRow({"+", id, EnumName(e.getCategory()), Text(e.getTitle())});
      added.push_back(EntryJson(e));
    } else if (EntryBytes(old->second) != EntryBytes(e)) {
      table.AddRow({"~", id, EnumName(e.getCategory()), Text(e.getTitle())});
      changed.push_back(EntryJson(e));
    }
  }
  for (const auto& [id, e] : before) {
    if (after.count(id) == 0) {
      table.AddRow({"-", id, EnumName(e.getCategory()), Text(e.getTitle())});
      withdrawn.push_back(id);
    }
  }
  r.text = "catalog version " + std::to_string(from.getVersion()) + " -> " + std::to_string(to.getVersion()) + ": " +
           std::to_string(added.size()) + " added, " + std::to_string(changed.size()) + " changed, " +
           std::to_string(withdrawn.size()) + " withdrawn\n" + (table.rows() == 0 ? "" : "\n" + table.Render());
  r.json = {{"from", from.getVersion()},
            {"to", to.getVersion()},
            {"added", added},
            {"changed", changed},
            {"withdrawn", withdrawn}};
  return r;
}

Rendered RenderCatalogStatus(schema::CatalogStatus::Reader status) {
  Rendered r;
  Table versions({"VERSION", "BASE", "PUBLISHED", "ADDED", "CHANGED", "WITHDRAWN", "MESSAGE", "NOTES"});
  json vlist = json::array();
  for (auto v : status.getVersions()) {
    versions.AddRow({std::to_string(v.getVersion()), std::to_string(v.getBaseVersion()), FormatTime(v.getAcceptedMs()),
                     std::to_string(v.getAdded()), std::to_string(v.getChanged()), std::to_string(v.getWithdrawn()),
                     Hex(v.getMessageId()), Text(v.getNotes())});
    vlist.push_back({{"version", v.getVersion()},
                     {"base_version", v.getBaseVersion()},
                     {"published", TimeJson(v.getAcceptedMs())},
                     {"added", v.getAdded()},
                     {"changed", v.getChanged()},
                     {"withdrawn", v.getWithdrawn()},
                     {"message_id", Hex(v.getMessageId())},
                     {"notes", Text(v.getNotes())}});
  }
  Table platforms({"PLATFORM", "APPLIED", "ATTESTED", "STATE"});
  json plist = json::array();
  for (auto p : status.getPlatforms()) {
    std::string state = p.getAttestedMs() == 0 ? "never attested" : p.getBehind() ? "BEHIND" : "current";
    if (p.getStale()) state += " (stale attestation)";
    platforms.AddRow({Text(p.getPlatform()), p.getAttestedMs() == 0 ? "-" : std::to_string(p.getAppliedVersion()),
                      FormatTime(p.getAttestedMs()), state});
    plist.push_back({{"platform", Text(p.getPlatform())},
                     {"applied_version", p.getAppliedVersion()},
                     {"attested", TimeJson(p.getAttestedMs())},
                     {"stale", p.getStale()},
                     {"behind", p.getBehind()}});
  }
  r.text = "current version: " + std::to_string(status.getCurrentVersion()) + "\n\n" +
           (versions.rows() == 0 ? std::string("no version published\n") : versions.Render()) + "\n" +
           platforms.Render();
  r.json = {{"current_version", status.getCurrentVersion()}, {"versions", vlist}, {"platforms", plist}};
  return r;
}

Rendered RenderQueueDepths(capnp::List<schema::QueueDepth>::Reader depths) {
  Rendered r;
  Table table({"RECIPIENT", "QUEUED", "IN-FLIGHT", "DEAD-LETTERED", "OLDEST QUEUED", "CONNECTED"});
  json queues = json::array();
  for (auto q : depths) {
    table.AddRow({Text(q.getRecipient()), std::to_string(q.getQueued()), std::to_string(q.getInFlight()),
                  std::to_string(q.getDeadLettered()), FormatTime(q.getOldestQueuedMs()), YesNo(q.getConnected())});
    queues.push_back({{"recipient", Text(q.getRecipient())},
                      {"queued", q.getQueued()},
                      {"in_flight", q.getInFlight()},
                      {"dead_lettered", q.getDeadLettered()},
                      {"oldest_queued", TimeJson(q.getOldestQueuedMs())},
                      {"connected", q.getConnected()}});
  }
  r.text = table.rows() == 0 ? "no queues\n" : table.Render();
  r.json = {{"queues", queues}};
  return r;
}

Rendered RenderReportsDue(capnp::List<schema::ReportDue>::Reader items, bool all) {
  Rendered r;
  Table table({"PLATFORM", "REPORT", "PERIOD FROM", "PERIOD TO", "DUE", "STATE", "RECEIVED", "MESSAGE"});
  json list = json::array();
  std::map<std::string, int> by_state;
  for (auto d : items) {
    const bool has_message = d.getReceivedMs() != 0;
    std::string state;
    switch (d.getState()) {
      case schema::ReportState::ON_TIME: state = "on time"; break;
      case schema::ReportState::LATE: state = "LATE by " + FormatDuration(d.getLateByMs()); break;
      case schema::ReportState::MISSING: state = "MISSING, " + FormatDuration(d.getLateByMs()) + " past due"; break;
      case schema::ReportState::OPEN: state = "open"; break;
      default: state = EnumName(d.getState()); break;
    }
    ++by_state[EnumName(d.getState())];
    table.AddRow({Text(d.getPlatform()), EnumName(d.getKind()), FormatTime(d.getPeriodStartMs()),
                  FormatTime(d.getPeriodEndMs()), FormatTime(d.getDueMs()), state, FormatTime(d.getReceivedMs()),
                  has_message ? Hex(d.getMessageId()) : "-"});
    list.push_back({{"platform", Text(d.getPlatform())},
                    {"kind", EnumName(d.getKind())},
                    {"period_start", TimeJson(d.getPeriodStartMs())},
                    {"period_end", TimeJson(d.getPeriodEndMs())},
                    {"due", TimeJson(d.getDueMs())},
                    {"state", EnumName(d.getState())},
                    {"late_by_ms", d.getLateByMs()},
                    {"received", TimeJson(d.getReceivedMs())},
                    {"message_id", has_message ? json(Hex(d.getMessageId())) : json(nullptr)}});
  }
  if (table.rows() == 0) {
    r.text = all ? "no report is owed yet\n" : "no report is late or missing\n";
  } else {
    std::string counts;
    for (const auto& [k, n] : by_state) counts += (counts.empty() ? "" : ", ") + k + " " + std::to_string(n);
    r.text = table.Render() + "\n" + std::to_string(table.rows()) + " periods; " + counts + "\n";
  }
  r.json = {{"reports", list}};
  return r;
}

Rendered RenderLegalHolds(schema::LegalHoldResult::Reader result, schema::LegalHoldAction action,
                          const std::string& subject) {
  Rendered r;
  Table table({"SUBJECT", "SET", "BY", "REASON"});
  json list = json::array();
  for (auto h : result.getHolds()) {
    table.AddRow({Text(h.getSubject()), FormatTime(h.getSetMs()), Text(h.getSetBy()), Text(h.getReason())});
    list.push_back({{"subject", Text(h.getSubject())},
                    {"set", TimeJson(h.getSetMs())},
                    {"set_by", Text(h.getSetBy())},
                    {"reason", Text(h.getReason())}});
  }
  std::string head;
  switch (action) {
    case schema::LegalHoldAction::ADD:
      head = result.getChanged() ? "hold set on " + subject + "\n"
                                 : subject + " was held already; the hold stays as first set\n";
      break;
    case schema::LegalHoldAction::REMOVE:
      head = result.getChanged() ? "hold on " + subject + " lifted\n" : "no hold on " + subject + "\n";
      break;
    default:
      break;
  }
  r.text = head + (table.rows() == 0 ? "no legal hold is in force\n" : table.Render());
  r.json = {{"changed", result.getChanged()}, {"holds", list}};
  return r;
}

Rendered RenderDeadLetters(schema::DeadLetterPage::Reader page) {
  Rendered r;
  Table table({"MESSAGE", "RECIPIENT", "SENDER", "KIND", "ATTEMPTS", "DEAD-LETTERED", "LAST ERROR"});
  json letters = json::array();
  for (auto d : page.getLetters()) {
    table.AddRow({Hex(d.getMessageId()), Text(d.getRecipient()), Text(d.getSender()), EnumName(d.getKind()),
                  std::to_string(d.getAttempts()), FormatTime(d.getDeadLetteredMs()), Text(d.getLastError())});
    letters.push_back({{"message_id", Hex(d.getMessageId())},
                       {"recipient", Text(d.getRecipient())},
                       {"sender", Text(d.getSender())},
                       {"kind", EnumName(d.getKind())},
                       {"attempts", d.getAttempts()},
                       {"queued", TimeJson(d.getQueuedMs())},
                       {"dead_lettered", TimeJson(d.getDeadLetteredMs())},
                       {"last_error", Text(d.getLastError())}});
  }
  auto cursor = page.getNextCursor();
  std::string next = cursor.size() == 0 ? std::string() : std::string(kj::encodeBase64(cursor).cStr());
  r.text = table.rows() == 0 ? "no dead letters\n" : table.Render();
  if (!next.empty()) r.text += "more: add --cursor " + next + "\n";
  r.json = {{"dead_letters", letters}, {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
  return r;
}

Rendered RenderReplay(schema::ReplayResult::Reader replay) {
  Rendered r;
  std::vector<std::string> requeued;
  for (auto name : replay.getRequeued()) requeued.push_back(Text(name));
  std::string list;
  for (const auto& name : requeued) list += (list.empty() ? "" : ", ") + name;
  r.text = "message " + Hex(replay.getMessageId()) + ": " +
           (requeued.empty() ? std::string("nothing re-queued") : "re-queued for " + list) + "\n";
  r.json = {{"message_id", Hex(replay.getMessageId())}, {"requeued", requeued}};
  return r;
}

Rendered RenderAckReceipt(const protocol::AckReceiptInfo& a) {
  Rendered r;
  r.text = "message  " + a.message_id.ToHex() + "\n" + "stage    " + EnumName(a.stage) +
           (a.duplicate ? " (already recorded)" : "") + "\n" + "recorded " + FormatTime(a.recorded_ms) + "\n" +
           "late     " + (a.late_by_ms > 0 ? FormatDuration(a.late_by_ms) : std::string("no")) + "\n";
  r.json = {{"message_id", a.message_id.ToHex()},
            {"stage", EnumName(a.stage)},
            {"recorded", TimeJson(a.recorded_ms)},
            {"duplicate", a.duplicate},
            {"late_by_ms", a.late_by_ms}};
  return r;
}

}  // namespace regline::ctl
