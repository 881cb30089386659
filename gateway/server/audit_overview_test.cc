#include "gateway/server/audit_overview.h"

#include <gtest/gtest.h>

#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline::server {
namespace {

// A real store with an audit log, and the overview over its file.
class AuditOverviewTest : public ::testing::Test {
 protected:
  static constexpr int64_t kEvery = 60'000;

  void SetUp() override {
    options_.path = dir_.File("gateway.db");
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    Append(10);
  }

  void Append(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(store_->AppendAudit("policy_reloaded", "policy.toml", "version=" + std::to_string(++appended_)).ok());
    }
  }

  void Tamper(const std::string& sql) {
    Result<Database> db = Database::Open(options_.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec(sql).ok()) << sql;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
  int appended_ = 0;
};

TEST_F(AuditOverviewTest, WalksInFullFirstThenOnlyWhatIsNewUntilTheIntervalPasses) {
  AuditOverview overview(options_.path, clock_, kEvery);
  AuditOverviewReport first = overview.Check();
  ASSERT_TRUE(first.verdict.ok()) << first.verdict.status().ToString();
  EXPECT_TRUE(first.full_walk);
  EXPECT_EQ(first.full_walk_at_ms, clock_.NowMs());
  EXPECT_TRUE(first.verdict->intact);
  EXPECT_EQ(first.verdict->checked, 10);

  Append(3);
  clock_.Advance(kEvery - 1);
  AuditOverviewReport second = overview.Check();
  ASSERT_TRUE(second.verdict.ok());
  EXPECT_FALSE(second.full_walk);
  EXPECT_EQ(second.full_walk_at_ms, first.full_walk_at_ms);
  EXPECT_TRUE(second.verdict->intact) << second.verdict->problem;
  EXPECT_EQ(second.verdict->checked, 13) << "the earlier walk's entries and the three new ones";
  EXPECT_EQ(second.verdict->head, store_->AuditLogHead());

  // Due again: this view is answered at once and starts a full walk in the
  // background, whose start time the next view reports.
  clock_.Advance(1);
  const int64_t due_at = clock_.NowMs();
  AuditOverviewReport third = overview.Check();
  ASSERT_TRUE(third.verdict.ok());
  EXPECT_FALSE(third.full_walk);
  EXPECT_EQ(third.verdict->checked, 13);
  overview.WaitForFullWalk();
  AuditOverviewReport fourth = overview.Check();
  ASSERT_TRUE(fourth.verdict.ok());
  EXPECT_EQ(fourth.full_walk_at_ms, due_at);
  EXPECT_TRUE(fourth.verdict->intact);
  EXPECT_EQ(fourth.verdict->checked, 13);
}

TEST_F(AuditOverviewTest, TamperingAfterTheVerifiedHeadShowsAtOnceAndStaysShown) {
  AuditOverview overview(options_.path, clock_, kEvery);
  ASSERT_TRUE(overview.Check().verdict.ok());
  Append(5);
  Tamper("UPDATE audit_log SET detail = 'version=99' WHERE seq = 13");
  AuditOverviewReport r = overview.Check();
  ASSERT_TRUE(r.verdict.ok());
  EXPECT_FALSE(r.full_walk);
  EXPECT_FALSE(r.verdict->intact);
  EXPECT_EQ(r.verdict->first_broken, 13);
  EXPECT_EQ(r.verdict->checked, 12);

  Append(1);
  AuditOverviewReport again = overview.Check();
  ASSERT_TRUE(again.verdict.ok());
  EXPECT_FALSE(again.verdict->intact) << "a broken chain stays reported until a full walk says otherwise";
  EXPECT_EQ(again.verdict->first_broken, 13);

  // A full walk finds the same entry broken.
  clock_.Advance(kEvery);
  ASSERT_TRUE(overview.Check().verdict.ok());
  overview.WaitForFullWalk();
  AuditOverviewReport after = overview.Check();
  ASSERT_TRUE(after.verdict.ok());
  EXPECT_FALSE(after.verdict->intact);
  EXPECT_EQ(after.verdict->first_broken, 13);
}

TEST_F(AuditOverviewTest, TamperingBeforeTheVerifiedHeadShowsAtTheNextFullWalk) {
  AuditOverview overview(options_.path, clock_, kEvery);
  ASSERT_TRUE(overview.Check().verdict.ok());
  Tamper("UPDATE audit_log SET detail = 'version=99' WHERE seq = 4");
  AuditOverviewReport between = overview.Check();
  ASSERT_TRUE(between.verdict.ok());
  EXPECT_TRUE(between.verdict->intact) << "documented: only a full walk reads entries before the head";

  clock_.Advance(kEvery);
  ASSERT_TRUE(overview.Check().verdict.ok());  // starts the background walk
  overview.WaitForFullWalk();
  AuditOverviewReport full = overview.Check();
  ASSERT_TRUE(full.verdict.ok());
  EXPECT_FALSE(full.verdict->intact);
  EXPECT_EQ(full.verdict->first_broken, 4);
  EXPECT_EQ(full.full_walk_at_ms, clock_.NowMs());
}

TEST_F(AuditOverviewTest, WhenRetentionPrunedPastTheLastHeadTheNextViewWalksInFullAndKeepsTheLastWalksTime) {
  AuditOverview overview(options_.path, clock_, kEvery);
  AuditOverviewReport first = overview.Check();
  ASSERT_TRUE(first.verdict.ok()) << first.verdict.status().ToString();
  const int64_t walked_at = first.full_walk_at_ms;
  Append(5);  // 11..15, past the head the walk ended at (10)
  // Everything so far is older than the retention period and goes; the
  // pass appends its own retention_pruned entry.
  constexpr int64_t kRetention = 1'000;
  clock_.Advance(kRetention + 1);
  Result<PruneCounts> pruned = store_->PruneRetained(kRetention, 1'000);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  ASSERT_GT(pruned->audit_through, first.verdict->head.seq) << "the test needs the walked head pruned";

  AuditOverviewReport after = overview.Check();  // cannot continue from entry 10
  ASSERT_TRUE(after.verdict.ok()) << after.verdict.status().ToString();
  EXPECT_FALSE(after.full_walk);
  EXPECT_TRUE(after.verdict->intact);
  EXPECT_EQ(after.full_walk_at_ms, walked_at) << "the last full walk still happened when it did";

  // The interval has not passed, yet the next view starts a full walk.
  ASSERT_LT(clock_.NowMs() - walked_at, kEvery);
  ASSERT_TRUE(overview.Check().verdict.ok());
  overview.WaitForFullWalk();
  AuditOverviewReport full = overview.Check();
  ASSERT_TRUE(full.verdict.ok());
  EXPECT_TRUE(full.verdict->intact) << full.verdict->problem;
  EXPECT_EQ(full.full_walk_at_ms, clock_.NowMs());
  EXPECT_EQ(full.verdict->head, store_->AuditLogHead());
}

TEST_F(AuditOverviewTest, AnUnreadableStoreIsAnErrorAndTheNextCheckWalksInFull) {
  AuditOverview overview(dir_.File("missing.db"), clock_, kEvery);
  AuditOverviewReport r = overview.Check();
  EXPECT_FALSE(r.verdict.ok());
  EXPECT_TRUE(r.full_walk);
  EXPECT_EQ(r.full_walk_at_ms, 0);
  EXPECT_TRUE(overview.Check().full_walk);
}

// After Stop() no walk runs: neither a first view's full walk nor a later
// view's continuation (a gateway stopping does not wait for either).
TEST_F(AuditOverviewTest, AfterStopAViewWalksNothingAndSaysUnavailable) {
  AuditOverview first_view(options_.path, clock_, kEvery);
  first_view.Stop();
  AuditOverviewReport r = first_view.Check();
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.status().code(), StatusCode::kUnavailable) << r.verdict.status().ToString();

  AuditOverview later(options_.path, clock_, kEvery);
  ASSERT_TRUE(later.Check().verdict.ok());
  Append(5);
  later.Stop();
  AuditOverviewReport next = later.Check();
  ASSERT_FALSE(next.verdict.ok());
  EXPECT_EQ(next.verdict.status().code(), StatusCode::kUnavailable) << next.verdict.status().ToString();
  EXPECT_FALSE(next.full_walk);
}

}  // namespace
}  // namespace regline::server
