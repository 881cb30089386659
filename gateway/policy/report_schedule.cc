#include "gateway/policy/report_schedule.h"

namespace regline::policy {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kCstOffsetMs = 8LL * 3600 * 1000;  // China Standard Time, UTC+8

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct YearMonth {
  int year;
  int month;  // 1..12
};

// The month (UTC+8) that contains `t_ms`.
YearMonth MonthOf(int64_t t_ms) {
  int64_t local = t_ms + kCstOffsetMs;
  int64_t days = local >= 0 ? local / kDayMs : -((-local + kDayMs - 1) / kDayMs);
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int64_t year = yoe + era * 400 + (month <= 2);
  return {static_cast<int>(year), month};
}

// Month index since year 0, for arithmetic.
int64_t Index(int year, int month) { return static_cast<int64_t>(year) * 12 + (month - 1); }

Period PeriodAt(const ReportSchedule& s, int64_t index) {
  Period p;
  p.start_ms = MonthStartMs(static_cast<int>(index / 12), static_cast<int>(index % 12) + 1);
  const int64_t end = index + s.months;
  p.end_ms = MonthStartMs(static_cast<int>(end / 12), static_cast<int>(end % 12) + 1);
  p.due_ms = p.end_ms + s.due_days * kDayMs;
  return p;
}

std::string TwoDigits(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }

}  // namespace

int64_t MonthStartMs(int year, int month) { return DaysFromCivil(year, month, 1) * kDayMs - kCstOffsetMs; }

Period PeriodContaining(const ReportSchedule& s, int64_t t_ms) {
  YearMonth m = MonthOf(t_ms);
  const int months = s.months > 0 ? s.months : 1;
  int64_t index = Index(m.year, m.month);
  index -= (index % 12) % months;  // periods are aligned to the calendar year
  return PeriodAt(s, index);
}

std::vector<Period> PeriodsOwed(const ReportSchedule& s, int64_t now_ms) {
  std::vector<Period> out;
  const int months = s.months > 0 ? s.months : 1;
  const int64_t first = Index(s.first_year, s.first_month);
  const Period current = PeriodContaining(s, now_ms);
  for (int64_t index = first;; index += months) {
    Period p = PeriodAt(s, index);
    if (p.start_ms > current.start_ms) break;
    out.push_back(p);
  }
  return out;
}

std::optional<int> MonthsPerPeriod(std::string_view every) {
  if (every == "month") return 1;
  if (every == "quarter") return 3;
  if (every == "half-year") return 6;
  return std::nullopt;
}

std::string_view EveryName(int months) {
  switch (months) {
    case 1:
      return "month";
    case 3:
      return "quarter";
    case 6:
      return "half-year";
    default:
      return "?";
  }
}

std::string PeriodName(int64_t start_ms, int64_t end_ms) {
  YearMonth a = MonthOf(start_ms);
  YearMonth b = MonthOf(end_ms - 1);
  YearMonth after = MonthOf(end_ms);
  const bool aligned = MonthStartMs(a.year, a.month) == start_ms && MonthStartMs(after.year, after.month) == end_ms;
  const int64_t span = Index(b.year, b.month) - Index(a.year, a.month) + 1;
  const std::string year = std::to_string(a.year);
  if (aligned && span == 1) return year + "-" + TwoDigits(a.month);
  if (aligned && span == 3 && (a.month - 1) % 3 == 0) return year + "-Q" + std::to_string((a.month - 1) / 3 + 1);
  if (aligned && span == 6 && (a.month - 1) % 6 == 0) return year + "-H" + std::to_string((a.month - 1) / 6 + 1);
  return year + "-" + TwoDigits(a.month) + ".." + std::to_string(b.year) + "-" + TwoDigits(b.month);
}

}  // namespace regline::policy
