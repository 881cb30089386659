// Report schedules: which periods a platform owes a scheduled report for
// (complaint statistics, tax-assistance responses), from the policy's
// [reports.<kind>] tables (docs/policies.md, "Report schedules").
//
// Periods are calendar months, quarters (January, April, July, October) or
// half-years (January, July) in China Standard Time (UTC+8, no daylight
// saving): a period of March 2026 is [2026-03-01T00:00+08:00,
// 2026-04-01T00:00+08:00). A period's report is due `due_days` days after
// it ends.
//
// Pure functions on plain values: no clock (the caller passes now), no
// I/O; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schemas/envelope.capnp.h"

namespace regline::policy {

// [reports.<kind>]: how often `kind` is owed and when.
struct ReportSchedule {
  schema::MessageKind kind = schema::MessageKind::UNSPECIFIED;
  // Months per period: 1 (month), 3 (quarter) or 6 (half-year).
  int months = 1;
  // The report is due this many days after its period ends; 0..366.
  int due_days = 0;
  // The first period owed starts on the first of this month (UTC+8); the
  // month starts a period of the schedule (quarter: 1, 4, 7, 10; half-year:
  // 1, 7).
  int first_year = 2026;
  int first_month = 1;

  friend bool operator==(const ReportSchedule&, const ReportSchedule&) = default;
};

// One reporting period: [start_ms, end_ms), due at due_ms (Unix ms).
struct Period {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t due_ms = 0;

  friend bool operator==(const Period&, const Period&) = default;
};

// The periods owed at `now_ms`, oldest first: every period of the schedule
// from its first that has started by now — those past their due date, those
// ended but still within due_days, and the current open one. Empty before
// the first period starts.
std::vector<Period> PeriodsOwed(const ReportSchedule& schedule, int64_t now_ms);

// The schedule's period (calendar-aligned, whether or not owed yet) that
// contains the instant `t_ms`.
Period PeriodContaining(const ReportSchedule& schedule, int64_t t_ms);

// The start (Unix ms) of the first of `month` (1..12) of `year` at
// 00:00 UTC+8.
int64_t MonthStartMs(int year, int month);

// "month", "quarter", "half-year" -> 1, 3, 6; nullopt otherwise.
std::optional<int> MonthsPerPeriod(std::string_view every);
// The inverse: 1, 3, 6 -> "month", "quarter", "half-year".
std::string_view EveryName(int months);

// A period named for people in UTC+8: "2026-03" for a month, "2026-Q2",
// "2026-H1"; otherwise the start month and end month ("2026-03..2026-05").
std::string PeriodName(int64_t start_ms, int64_t end_ms);

}  // namespace regline::policy
