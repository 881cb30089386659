// Legal retention (retention_ledger.h) with a fake clock: which messages a
// retention pass prunes and which it keeps, one rule per case; legal holds
// set and lifted; and the audit chain, pruned from its oldest end, still
// verifies from its anchor.
#include <gtest/gtest.h>

#include "gateway/core/audit_chain.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

constexpr int64_t kDay = 24 * 3600 * 1000;
constexpr int64_t kRetention = 1095 * kDay;
constexpr const char* kDirectiveHex = "00000000000010000000000000000001";

class RetentionTest : public ::testing::Test {
 public:
  void SetUp() override {
    options_.path = dir_.File("gateway.db");
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // Message n from `sender` to douyin, stored now.
  uint64_t Submit(uint64_t n, const std::function<void(Submission&)>& edit = nullptr,
                  const std::string& sender = "samr-console") {
    Submission s;
    s.sender = sender;
    s.id = MessageId{0x1000, n};
    s.kind = 1;
    s.created_ms = clock_.NowMs();
    s.recipients = {"douyin"};
    s.envelope = "envelope-" + std::to_string(n);
    if (edit) edit(s);
    Result<SubmitReceipt> r = store_->Submit(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->seq : 0;
  }

  // Delivers everything queued for douyin and acknowledges it completed,
  // with a signed acknowledgement kept as evidence.
  void DeliverAll() {
    Result<std::vector<LeasedDelivery>> leased = store_->Lease("douyin", 100, 30'000);
    ASSERT_TRUE(leased.ok()) << leased.status().ToString();
    for (const LeasedDelivery& d : *leased) {
      ASSERT_TRUE(
          store_->AcknowledgeDelivery("douyin", d.delivery_seq, d.id, AckStage::kCompleted, {}, "signed-ack").ok());
    }
  }

  bool Stored(uint64_t n) { return store_->FindSeqById(MessageId{0x1000, n}).ok(); }

  PruneCounts Prune() {
    Result<PruneCounts> r = store_->PruneRetained(kRetention, 100);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PruneCounts{};
  }

  void Hold(const std::string& subject) {
    Result<bool> added = store_->AddLegalHold({subject, "case 2026-17", "samr-console", clock_.NowMs()});
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    EXPECT_TRUE(*added);
  }

  void ExpectChainIntact() {
    Result<AuditVerdict> v = VerifyAuditChain(options_.path, store_->AuditLogHead());
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->intact) << v->problem;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

// One rule each: a message of three years and a day, delivered and
// completed, set up by `arrange`, and whether a pass prunes it.
struct RuleCase {
  const char* name;
  std::function<void(RetentionTest&, Submission&)> edit;  // the message (n = 1)
  std::function<void(RetentionTest&)> after;              // after delivery, before the pass
  bool deliver;
  int64_t age_ms;
  bool pruned;
};

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

class RetentionRuleTest : public RetentionTest, public ::testing::WithParamInterface<RuleCase> {};

TEST_P(RetentionRuleTest, PrunesOnlyWhatTheRulesLetGo) {
  const RuleCase& c = GetParam();
  const uint64_t seq = Submit(1, [&](Submission& s) {
    if (c.edit) c.edit(*this, s);
  });
  ASSERT_NE(seq, 0u);
  if (c.deliver) DeliverAll();
  if (c.after) c.after(*this);
  clock_.Advance(c.age_ms);
  PruneCounts counts = Prune();
  EXPECT_EQ(!Stored(1), c.pruned);
  EXPECT_EQ(counts.messages, c.pruned ? 1 : 0);
  Result<std::vector<DeliveryStatus>> deliveries = store_->Deliveries(seq);
  ASSERT_TRUE(deliveries.ok());
  Result<std::vector<StoredAcknowledgement>> evidence = store_->Acknowledgements(seq);
  ASSERT_TRUE(evidence.ok());
  EXPECT_EQ(deliveries->empty(), c.pruned);
  if (c.deliver) {
    EXPECT_EQ(evidence->empty(), c.pruned);
  }
  ExpectChainIntact();
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RetentionRuleTest,
    ::testing::Values(
        RuleCase{"OlderThanTheRetentionPeriodAndDelivered", nullptr, nullptr, true, kRetention + kDay, true},
        RuleCase{"YoungerThanTheRetentionPeriod", nullptr, nullptr, true, kRetention - kDay, false},
        RuleCase{"StillQueued", nullptr, nullptr, false, kRetention + kDay, false},
        RuleCase{"HeldRecipient", nullptr, [](RetentionTest& t) { t.Hold("douyin"); }, true, kRetention + kDay, false},
        RuleCase{"HeldSender", nullptr, [](RetentionTest& t) { t.Hold("samr-console"); }, true, kRetention + kDay,
                 false},
        RuleCase{"HeldMessage", nullptr, [](RetentionTest& t) { t.Hold(kDirectiveHex); }, true, kRetention + kDay,
                 false},
        RuleCase{"HeldMessageItFollowsUp",
                 [](RetentionTest&, Submission& s) {
                   s.correlation_id = MessageId{0x2000, 9};
                 },
                 [](RetentionTest& t) { t.Hold("00000000000020000000000000000009"); }, true, kRetention + kDay, false},
        RuleCase{"AHoldOnSomeoneElse", nullptr, [](RetentionTest& t) { t.Hold("kuaishou"); }, true, kRetention + kDay,
                 true},
        RuleCase{"ACatalogVersion",
                 [](RetentionTest&, Submission& s) {
                   s.catalog_version = CatalogVersionTerms{1, 0};
                 },
                 nullptr, true, kRetention + kDay, false},
        RuleCase{"TheReportThatCountsForAPeriod",
                 [](RetentionTest&, Submission& s) {
                   s.report = ReportTerms{5, 1'690'000'000'000, 1'692'000'000'000};
                 },
                 nullptr, true, kRetention + kDay, false}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return std::string(info.param.name); });

TEST_F(RetentionTest, ALiftedHoldLetsThePassPruneAndHoldsAreAudited) {
  Submit(1);
  DeliverAll();
  Hold("douyin");
  Result<bool> again = store_->AddLegalHold({"douyin", "another case", "mps-console", clock_.NowMs()});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // kept as first set
  Result<std::vector<LegalHold>> holds = store_->LegalHolds();
  ASSERT_TRUE(holds.ok());
  ASSERT_EQ(holds->size(), 1u);
  EXPECT_EQ(holds->front().reason, "case 2026-17");
  EXPECT_EQ(holds->front().set_by, "samr-console");

  clock_.Advance(kRetention + kDay);
  EXPECT_EQ(Prune().messages, 0);
  EXPECT_TRUE(Stored(1));

  Result<bool> lifted = store_->RemoveLegalHold("douyin", "samr-console");
  ASSERT_TRUE(lifted.ok());
  EXPECT_TRUE(*lifted);
  Result<bool> none = store_->RemoveLegalHold("douyin", "samr-console");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  EXPECT_EQ(Prune().messages, 1);
  EXPECT_FALSE(Stored(1));
  EXPECT_TRUE(store_->LegalHolds()->empty());
  ExpectChainIntact();
}

TEST_F(RetentionTest, TheAuditChainIsPrunedFromItsOldEndUpToTheFirstEntryStillNeeded) {
  Submit(1);  // pruned
  Submit(2);  // held
  Submit(3);  // pruned, but its entries come after message 2's first
  DeliverAll();
  Hold("00000000000010000000000000000002");
  const AuditHead before = store_->AuditLogHead();
  clock_.Advance(kRetention + kDay);
  PruneCounts counts = Prune();
  EXPECT_EQ(counts.messages, 2);
  EXPECT_FALSE(Stored(1));
  EXPECT_TRUE(Stored(2));
  EXPECT_FALSE(Stored(3));
  // Message 1's "submitted" is entry 1; message 2's "submitted" is entry 2:
  // only entry 1 may go.
  EXPECT_EQ(counts.audit_entries, 1);
  EXPECT_EQ(counts.audit_through, 1);

  Result<AuditVerdict> v = VerifyAuditChain(options_.path, store_->AuditLogHead());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->intact) << v->problem;
  EXPECT_EQ(v->pruned_through, 1);
  EXPECT_EQ(v->head.seq, before.seq + 1);  // the retention_pruned entry
  // A head recorded before the pass still checks out.
  Result<AuditVerdict> old_head = VerifyAuditChain(options_.path, before);
  ASSERT_TRUE(old_head.ok());
  EXPECT_TRUE(old_head->intact) << old_head->problem;

  // Once the hold is lifted, everything old goes but the newest entries.
  ASSERT_TRUE(store_->RemoveLegalHold("00000000000010000000000000000002", "samr-console").ok());
  clock_.Advance(kRetention + kDay);
  counts = Prune();
  EXPECT_EQ(counts.messages, 1);
  EXPECT_GT(counts.audit_through, 1);
  v = VerifyAuditChain(options_.path, store_->AuditLogHead());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->intact) << v->problem;
  EXPECT_EQ(v->pruned_through, counts.audit_through);
}

TEST_F(RetentionTest, EachPassLooksAtABoundedRangeAndTheScanMovesOnPastKeptMessages) {
  // 25 held messages first (to kuaishou), then 5 that may go; a pass with
  // limit 1 looks at ranges of 10 message numbers.
  for (uint64_t n = 1; n <= 30; ++n) {
    Submit(n, [&](Submission& s) {
      if (n <= 25) s.recipients = {"kuaishou"};
    });
  }
  for (const std::string who : {"douyin", "kuaishou"}) {
    Result<std::vector<LeasedDelivery>> leased = store_->Lease(who, 100, 30'000);
    ASSERT_TRUE(leased.ok());
    for (const LeasedDelivery& d : *leased) {
      ASSERT_TRUE(store_->AcknowledgeDelivery(who, d.delivery_seq, d.id, AckStage::kCompleted).ok());
    }
  }
  Hold("kuaishou");
  clock_.Advance(kRetention + kDay);
  for (int pass = 1; pass <= 5; ++pass) {
    Result<PruneCounts> r = store_->PruneRetained(kRetention, 1);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->messages, 1) << "pass " << pass;
  }
  for (uint64_t n = 1; n <= 30; ++n) EXPECT_EQ(Stored(n), n <= 25) << n;
  Result<PruneCounts> done = store_->PruneRetained(kRetention, 1);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->messages, 0);
  ExpectChainIntact();
}

TEST_F(RetentionTest, AnEditedAnchorBreaksTheChain) {
  Submit(1);
  DeliverAll();
  clock_.Advance(kRetention + kDay);
  ASSERT_GT(Prune().audit_entries, 0);
  {
    Result<Database> db = Database::Open(options_.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE audit_anchor SET hash = zeroblob(32)").ok());
  }
  Result<AuditVerdict> v = VerifyAuditChain(options_.path);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->intact);
  EXPECT_NE(v->problem.find("prev_hash does not match"), std::string::npos) << v->problem;
}

TEST_F(RetentionTest, AHoldNeedsASubject) {
  Result<bool> r = store_->AddLegalHold({"", "why", "samr-console", clock_.NowMs()});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace regline
