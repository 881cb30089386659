// The store's report ledger: the first report per platform, kind and
// period counts; later ones leave it alone; rows carry the message id and
// when it was accepted (a fake clock, nothing sleeps).
#include "gateway/core/report_ledger.h"

#include <gtest/gtest.h>

#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

constexpr int kComplaintStatistics = 7;   // schema MessageKind.complaintStatistics
constexpr int kTaxResponse = 5;           // schema MessageKind.taxAssistanceResponse
constexpr int64_t kJan1 = 1767196800000;  // 2026-01-01T00:00+08:00
constexpr int64_t kFeb1 = kJan1 + 31LL * 24 * 3600 * 1000;
constexpr int64_t kMar1 = kFeb1 + 28LL * 24 * 3600 * 1000;

class ReportLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.File("gateway.db");
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // Report n from `platform` for [start, end).
  Submission Report(uint64_t n, const std::string& platform, int64_t start, int64_t end,
                    int kind = kComplaintStatistics) {
    Submission s;
    s.sender = platform;
    s.id = MessageId{0x4000, n};
    s.kind = kind;
    s.created_ms = clock_.NowMs();
    s.recipients = {"samr-console"};
    s.envelope = "report-" + std::to_string(n);
    s.report = ReportTerms{kind, start, end};
    return s;
  }

  std::vector<ReportRow> MustReports() {
    Result<std::vector<ReportRow>> r = store_->Reports();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<ReportRow>{};
  }

  testing::TempDir dir_;
  FakeClock clock_{kFeb1 + 3600 * 1000};
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(ReportLedgerTest, NothingIsRecordedBeforeTheFirstReport) { EXPECT_TRUE(MustReports().empty()); }

TEST_F(ReportLedgerTest, AReportIsRecordedForItsPlatformKindAndPeriod) {
  Result<SubmitReceipt> r = store_->Submit(Report(1, "douyin", kJan1, kFeb1));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<ReportRow> rows = MustReports();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].platform, "douyin");
  EXPECT_EQ(rows[0].kind, kComplaintStatistics);
  EXPECT_EQ(rows[0].period_start_ms, kJan1);
  EXPECT_EQ(rows[0].period_end_ms, kFeb1);
  EXPECT_EQ(rows[0].message_seq, r->seq);
  EXPECT_EQ(rows[0].message_id, (MessageId{0x4000, 1}));
  EXPECT_EQ(rows[0].received_ms, clock_.NowMs());
}

TEST_F(ReportLedgerTest, TheFirstReportForAPeriodCountsAndALaterOneIsOnlyStored) {
  ASSERT_TRUE(store_->Submit(Report(1, "douyin", kJan1, kFeb1)).ok());
  const int64_t first_ms = clock_.NowMs();
  clock_.Advance(20LL * 24 * 3600 * 1000);
  Result<SubmitReceipt> correction = store_->Submit(Report(2, "douyin", kJan1, kFeb1));
  ASSERT_TRUE(correction.ok()) << correction.status().ToString();
  EXPECT_FALSE(correction->duplicate);  // a message of its own
  std::vector<ReportRow> rows = MustReports();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].message_id, (MessageId{0x4000, 1}));
  EXPECT_EQ(rows[0].received_ms, first_ms);
}

TEST_F(ReportLedgerTest, PlatformsKindsAndPeriodsAreKeptApartInOrder) {
  ASSERT_TRUE(store_->Submit(Report(1, "kuaishou", kJan1, kFeb1)).ok());
  ASSERT_TRUE(store_->Submit(Report(2, "douyin", kFeb1, kMar1)).ok());
  ASSERT_TRUE(store_->Submit(Report(3, "douyin", kJan1, kFeb1)).ok());
  ASSERT_TRUE(store_->Submit(Report(4, "douyin", kJan1, kJan1 + 181LL * 24 * 3600 * 1000, kTaxResponse)).ok());
  std::vector<ReportRow> rows = MustReports();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].message_id, (MessageId{0x4000, 4}));  // douyin, kind 5
  EXPECT_EQ(rows[1].message_id, (MessageId{0x4000, 3}));  // douyin, kind 7, January
  EXPECT_EQ(rows[2].message_id, (MessageId{0x4000, 2}));  // douyin, kind 7, February
  EXPECT_EQ(rows[3].platform, "kuaishou");
}

TEST_F(ReportLedgerTest, AResubmittedReportIsADuplicateAndRecordsNothingNew) {
  Submission s = Report(1, "douyin", kJan1, kFeb1);
  ASSERT_TRUE(store_->Submit(s).ok());
  Result<SubmitReceipt> again = store_->Submit(s);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(MustReports().size(), 1u);
}

TEST_F(ReportLedgerTest, ReportsSurviveReopening) {
  ASSERT_TRUE(store_->Submit(Report(1, "douyin", kJan1, kFeb1)).ok());
  store_.reset();
  Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(s).value();
  EXPECT_EQ(MustReports().size(), 1u);
}

}  // namespace
}  // namespace regline
