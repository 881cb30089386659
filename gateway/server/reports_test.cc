// Scheduled reports on the gateway: the period a report counts for, and
// each platform's state per period owed at fixed instants.
#include "gateway/server/reports.h"

#include <gtest/gtest.h>

#include "gateway/protocol/frames.h"
#include "schemas/complaints.capnp.h"
#include "schemas/schema_samples.h"

namespace regline::server {
namespace {

using policy::MonthStartMs;
using schema::MessageKind;
using schema::ReportState;

constexpr int64_t kDay = 24LL * 3600 * 1000;

policy::Policy MonthlyPolicy() {
  policy::Policy p;
  p.reports.push_back({MessageKind::COMPLAINT_STATISTICS, 1, 15, 2026, 1});
  return p;
}

std::string Statistics(int64_t start_ms, int64_t end_ms) {
  capnp::MallocMessageBuilder m;
  auto s = m.initRoot<schema::ComplaintStatistics>();
  schema::samples::BuildComplaintStatistics(s);
  s.getPeriod().setStartMs(start_ms);
  s.getPeriod().setEndMs(end_ms);
  return protocol::Encode(m);
}

TEST(ReportsTest, AReportCountsForTheScheduledPeriodItStartsIn) {
  const int kind = static_cast<int>(MessageKind::COMPLAINT_STATISTICS);
  Result<std::optional<ReportTerms>> t =
      ReportTermsOf(MonthlyPolicy(), kind, Statistics(MonthStartMs(2026, 3) + kDay, MonthStartMs(2026, 3) + 9 * kDay));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->period_start_ms, MonthStartMs(2026, 3));
  EXPECT_EQ((*t)->period_end_ms, MonthStartMs(2026, 4));
}

TEST(ReportsTest, UnscheduledKindsAndReportsWithoutAPeriodCountForNone) {
  const int kind = static_cast<int>(MessageKind::COMPLAINT_STATISTICS);
  Result<std::optional<ReportTerms>> unscheduled =
      ReportTermsOf(policy::Policy{}, kind, Statistics(MonthStartMs(2026, 3), MonthStartMs(2026, 4)));
  ASSERT_TRUE(unscheduled.ok());
  EXPECT_FALSE(unscheduled->has_value());
  Result<std::optional<ReportTerms>> no_period = ReportTermsOf(MonthlyPolicy(), kind, Statistics(0, 0));
  ASSERT_TRUE(no_period.ok());
  EXPECT_FALSE(no_period->has_value());
  EXPECT_EQ(ReportTermsOf(MonthlyPolicy(), kind, "not capnp").status().code(), StatusCode::kInvalidArgument);
}

TEST(ReportsTest, EachPeriodOwedIsOnTimeLateMissingOrOpen) {
  // 20 April 2026: January to March are past due, April is open.
  const int64_t now = MonthStartMs(2026, 4) + 19 * kDay;
  const int kind = static_cast<int>(MessageKind::COMPLAINT_STATISTICS);
  std::vector<ReportRow> rows = {
      {"douyin", kind, MonthStartMs(2026, 1), MonthStartMs(2026, 2), 1, MessageId{1, 1}, MonthStartMs(2026, 2) + kDay},
      {"douyin", kind, MonthStartMs(2026, 2), MonthStartMs(2026, 3), 2, MessageId{1, 2},
       MonthStartMs(2026, 3) + 16 * kDay},
  };
  ReportsDueFilter all;
  all.all = true;
  std::vector<ReportDueLine> lines = ReportsDue(MonthlyPolicy().reports, rows, {"douyin"}, all, now);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].state, ReportState::ON_TIME);
  EXPECT_EQ(lines[0].message_id, (MessageId{1, 1}));
  EXPECT_EQ(lines[1].state, ReportState::LATE);
  EXPECT_EQ(lines[1].late_by_ms, kDay);  // due 16 March 00:00, came 17 March 00:00
  EXPECT_EQ(lines[2].state, ReportState::MISSING);
  EXPECT_EQ(lines[2].late_by_ms, now - (MonthStartMs(2026, 4) + 15 * kDay));
  EXPECT_EQ(lines[3].state, ReportState::OPEN);

  std::vector<ReportDueLine> late = ReportsDue(MonthlyPolicy().reports, rows, {"douyin", "kuaishou"}, {}, now);
  ASSERT_EQ(late.size(), 5u);  // douyin: February late, March missing; kuaishou: three missing
  EXPECT_EQ(late[0].platform, "douyin");
  EXPECT_EQ(late[0].state, ReportState::LATE);
  EXPECT_EQ(late[2].platform, "kuaishou");

  ReportsDueFilter kuaishou;
  kuaishou.platform = "kuaishou";
  kuaishou.kind = MessageKind::TAX_ASSISTANCE_RESPONSE;
  EXPECT_TRUE(ReportsDue(MonthlyPolicy().reports, rows, {"douyin", "kuaishou"}, kuaishou, now).empty());
}

}  // namespace
}  // namespace regline::server
