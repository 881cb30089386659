// What reglinectl prints: aligned tables and short reports for people, one
// JSON object per command for machines (--json).
//
// Times are shown in ISO 8601 in the local time zone (TZ) with the offset,
// "2026-01-05T10:00:00+08:00" (JSON adds milliseconds); an unset time (0)
// is "-" in tables and null in JSON. Enum values use the console's
// kebab-case names ("in-flight", "suspend-broadcast"). Pure functions; any
// thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/protocol/client.h"
#include "schemas/envelope.capnp.h"
#include "schemas/query.capnp.h"

namespace regline::ctl {

// Columns the text takes in a terminal: CJK and other wide characters
// count two, combining marks none.
size_t DisplayWidth(std::string_view utf8);

// A table with a header row; Render() pads every column to its widest cell
// and separates columns by two spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // Missing cells are empty; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // Header, then rows, each line ending in '\n' without trailing spaces.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// ISO 8601 local time to the second, or "-" for 0.
std::string FormatTime(int64_t unix_ms);
// ISO 8601 local time with milliseconds, or null for 0.
nlohmann::json TimeJson(int64_t unix_ms);
// "1d 2h", "5m 3s", "250ms": a duration for people.
std::string FormatDuration(int64_t ms);

// JSON text on one line; invalid UTF-8 is replaced, never thrown on.
std::string DumpJson(const nlohmann::json& value);

// One command's result in both forms.
struct Rendered {
  std::string text;  // for people; ends in '\n'
  nlohmann::json json;
};

Rendered RenderConfirm(const protocol::ConfirmInfo& confirm, schema::MessageKind kind);
Rendered RenderMessageStatus(schema::MessageStatus::Reader status);
Rendered RenderQueueDepths(capnp::List<schema::QueueDepth>::Reader depths);
// Overdue directives, oldest deadline first, with counts by platform and
// department.
Rendered RenderOverdue(capnp::List<schema::OverdueDirective>::Reader items);
// The catalog at one version; the difference between two versions (entries
// added, changed and withdrawn from `from` to `to`); the versions and each
// platform's applied version.
Rendered RenderCatalog(schema::CatalogSnapshot::Reader catalog);
Rendered RenderCatalogDiff(schema::CatalogSnapshot::Reader from, schema::CatalogSnapshot::Reader to);
Rendered RenderCatalogStatus(schema::CatalogStatus::Reader status);
// Scheduled reports owed, by platform, kind and period, with the state of
// each ("on time", "LATE by 3d 2h", "MISSING, 5d past due", "open") and
// counts; `all`: the query asked for every period, not only late and
// missing ones (changes only the text for an empty answer).
Rendered RenderReportsDue(capnp::List<schema::ReportDue>::Reader items, bool all);
// The answer to `hold add|remove|list` about `subject` (empty for list).
Rendered RenderLegalHolds(schema::LegalHoldResult::Reader result, schema::LegalHoldAction action,
                          const std::string& subject);
Rendered RenderDeadLetters(schema::DeadLetterPage::Reader page);
Rendered RenderReplay(schema::ReplayResult::Reader replay);
Rendered RenderAckReceipt(const protocol::AckReceiptInfo& receipt);

}  // namespace regline::ctl
