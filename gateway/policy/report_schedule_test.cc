// Report schedules: calendar periods in UTC+8, what is owed at fixed
// instants (month ends, half-years, the UTC+8 day boundary), and names.
#include "gateway/policy/report_schedule.h"

#include <gtest/gtest.h>

namespace regline::policy {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kDay = 24 * kHour;

// 2026-01-01T00:00+08:00 = 2025-12-31T16:00Z = 1767196800000.
constexpr int64_t k2026Jan1 = 1767196800000;

ReportSchedule Monthly(int due_days = 15) { return {schema::MessageKind::COMPLAINT_STATISTICS, 1, due_days, 2026, 1}; }
ReportSchedule HalfYearly() { return {schema::MessageKind::TAX_ASSISTANCE_RESPONSE, 6, 30, 2026, 1}; }

TEST(ReportScheduleTest, MonthsStartAtMidnightChinaStandardTime) {
  EXPECT_EQ(MonthStartMs(2026, 1), k2026Jan1);
  EXPECT_EQ(MonthStartMs(2026, 2), k2026Jan1 + 31 * kDay);
  EXPECT_EQ(MonthStartMs(2026, 3), k2026Jan1 + 59 * kDay);              // 2026 is not a leap year
  EXPECT_EQ(MonthStartMs(2028, 3) - MonthStartMs(2028, 2), 29 * kDay);  // 2028 is
}

TEST(ReportScheduleTest, ThePeriodContainingAnInstantFollowsTheUtc8DayBoundary) {
  // 2026-01-31T15:59:59.999Z is 23:59:59.999 on 31 January in Beijing.
  const int64_t last_jan_instant = MonthStartMs(2026, 2) - 1;
  EXPECT_EQ(PeriodContaining(Monthly(), last_jan_instant).start_ms, k2026Jan1);
  // 2026-01-31T16:00Z is already 1 February in Beijing, though still
  // January in UTC.
  Period feb = PeriodContaining(Monthly(), last_jan_instant + 1);
  EXPECT_EQ(feb.start_ms, MonthStartMs(2026, 2));
  EXPECT_EQ(feb.end_ms, MonthStartMs(2026, 3));
  EXPECT_EQ(feb.due_ms, MonthStartMs(2026, 3) + 15 * kDay);
}

TEST(ReportScheduleTest, HalfYearsAreJanuaryToJuneAndJulyToDecember) {
  Period h2 = PeriodContaining(HalfYearly(), MonthStartMs(2026, 9) + 5 * kDay);
  EXPECT_EQ(h2.start_ms, MonthStartMs(2026, 7));
  EXPECT_EQ(h2.end_ms, MonthStartMs(2027, 1));
  EXPECT_EQ(h2.due_ms, MonthStartMs(2027, 1) + 30 * kDay);
  EXPECT_EQ(PeriodContaining(HalfYearly(), MonthStartMs(2026, 7) - 1).start_ms, k2026Jan1);
}

TEST(ReportScheduleTest, QuartersAreAlignedToTheYear) {
  ReportSchedule quarterly{schema::MessageKind::COMPLAINT_STATISTICS, 3, 10, 2026, 4};
  Period q = PeriodContaining(quarterly, MonthStartMs(2026, 6) + kDay);
  EXPECT_EQ(q.start_ms, MonthStartMs(2026, 4));
  EXPECT_EQ(q.end_ms, MonthStartMs(2026, 7));
}

TEST(ReportScheduleTest, NothingIsOwedBeforeTheFirstPeriodStarts) {
  EXPECT_TRUE(PeriodsOwed(Monthly(), k2026Jan1 - 1).empty());
  EXPECT_EQ(PeriodsOwed(Monthly(), k2026Jan1).size(), 1u);
}

TEST(ReportScheduleTest, OwedAreEveryStartedPeriodOldestFirst) {
  // 10 March 2026, 12:00 in Beijing: January is past due, February ended
  // but is due only on 16 March 00:00, March is open.
  const int64_t now = MonthStartMs(2026, 3) + 9 * kDay + 12 * kHour;
  std::vector<Period> owed = PeriodsOwed(Monthly(), now);
  ASSERT_EQ(owed.size(), 3u);
  EXPECT_EQ(owed[0], (Period{k2026Jan1, MonthStartMs(2026, 2), MonthStartMs(2026, 2) + 15 * kDay}));
  EXPECT_LT(owed[0].due_ms, now);
  EXPECT_EQ(owed[1].start_ms, MonthStartMs(2026, 2));
  EXPECT_GT(owed[1].due_ms, now);
  EXPECT_EQ(owed[2].start_ms, MonthStartMs(2026, 3));
  EXPECT_EQ(owed[2].end_ms, MonthStartMs(2026, 4));
}

TEST(ReportScheduleTest, OwedAcrossAYearEndAndHalfYears) {
  const int64_t now = MonthStartMs(2027, 2);  // 1 February 2027, 00:00 Beijing
  std::vector<Period> monthly = PeriodsOwed(Monthly(), now);
  ASSERT_EQ(monthly.size(), 14u);
  EXPECT_EQ(monthly[11].start_ms, MonthStartMs(2026, 12));
  EXPECT_EQ(monthly[11].end_ms, MonthStartMs(2027, 1));
  std::vector<Period> half = PeriodsOwed(HalfYearly(), now);
  ASSERT_EQ(half.size(), 3u);
  EXPECT_EQ(half[1].start_ms, MonthStartMs(2026, 7));
  EXPECT_EQ(half[1].due_ms, MonthStartMs(2027, 1) + 30 * kDay);
  EXPECT_LT(half[1].due_ms, now);  // the second half of 2026 was due at 31 January 2027, 00:00
  EXPECT_EQ(half[2].start_ms, MonthStartMs(2027, 1));
}

TEST(ReportScheduleTest, EveryNamesAndMonthsAreInverse) {
  for (std::string_view every : {"month", "quarter", "half-year"}) EXPECT_EQ(EveryName(*MonthsPerPeriod(every)), every);
  EXPECT_FALSE(MonthsPerPeriod("year").has_value());
  EXPECT_FALSE(MonthsPerPeriod("Month").has_value());
}

TEST(ReportScheduleTest, PeriodsAreNamedForPeople) {
  EXPECT_EQ(PeriodName(MonthStartMs(2026, 3), MonthStartMs(2026, 4)), "2026-03");
  EXPECT_EQ(PeriodName(MonthStartMs(2026, 4), MonthStartMs(2026, 7)), "2026-Q2");
  EXPECT_EQ(PeriodName(MonthStartMs(2026, 7), MonthStartMs(2027, 1)), "2026-H2");
  EXPECT_EQ(PeriodName(MonthStartMs(2026, 3), MonthStartMs(2026, 5)), "2026-03..2026-04");
}

}  // namespace
}  // namespace regline::policy
