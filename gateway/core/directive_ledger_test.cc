// The store's directive ledger: deadlines tracked per recipient, overdue
// listing, escalations recorded once, lateness of acknowledgements, and
// the lineage of superseded and revoked directives. A fake clock moves
// time; nothing sleeps.
#include "gateway/core/directive_ledger.h"

#include <gtest/gtest.h>

#include "gateway/core/audit_chain.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

constexpr int kDirective = 1;    // schema MessageKind.directive
constexpr int kEscalation = 10;  // schema MessageKind.escalation
constexpr int kSuspend = 5;      // schema DirectiveAction.suspendBroadcast
constexpr int kRectify = 15;     // schema DirectiveAction.rectify
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

class DirectiveLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.File("gateway.db");
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // Directive n from SAMR to `recipients`, acknowledgement due in 10
  // minutes and completion in 2 hours.
  Submission Directive(uint64_t n, std::vector<std::string> recipients, int action = kSuspend) {
    Submission s;
    s.sender = "samr-console";
    s.id = MessageId{0x2000, n};
    s.kind = kDirective;
    s.created_ms = clock_.NowMs();
    s.recipients = std::move(recipients);
    s.envelope = "directive-" + std::to_string(n);
    DirectiveTerms t;
    t.department = "samr";
    t.action = action;
    t.severity = 3;
    t.ack_deadline_ms = clock_.NowMs() + 10 * kMinute;
    t.completion_deadline_ms = clock_.NowMs() + 2 * kHour;
    s.directive = t;
    return s;
  }

  uint64_t MustSubmit(const Submission& s) {
    Result<SubmitReceipt> r = store_->Submit(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->seq : 0;
  }

  Result<AckReceipt> Ack(uint64_t seq, const std::string& recipient, AckStage stage) {
    return store_->Acknowledge(seq, recipient, stage, stage == AckStage::kRejected ? "not ours" : "");
  }

  std::vector<OverdueItem> MustOverdue(bool unescalated_only = false) {
    Result<std::vector<OverdueItem>> r = store_->Overdue(0, unescalated_only);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<OverdueItem>{};
  }

  Submission EscalationFor(const OverdueItem& item, uint64_t n) {
    Submission s;
    s.sender = "regline-gateway";
    s.id = MessageId{0x3000, n};
    s.kind = kEscalation;
    s.created_ms = clock_.NowMs();
    s.recipients = {item.issuer};
    s.correlation_id = item.directive;
    s.envelope = "escalation-" + std::to_string(n);
    return s;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(DirectiveLedgerTest, NothingIsOverdueBeforeTheDeadline) {
  MustSubmit(Directive(1, {"douyin", "kuaishou"}));
  clock_.Advance(10 * kMinute - 1);
  EXPECT_TRUE(MustOverdue().empty());
}

TEST_F(DirectiveLedgerTest, EachRecipientWithoutTheStageIsOverduePastTheAckDeadline) {
  const int64_t issued = clock_.NowMs();
  uint64_t seq = MustSubmit(Directive(1, {"douyin", "kuaishou"}));
  ASSERT_TRUE(Ack(seq, "douyin", AckStage::kReceived).ok());  // received is not enough
  ASSERT_TRUE(Ack(seq, "kuaishou", AckStage::kAccepted).ok());
  clock_.Advance(10 * kMinute + 1);
  std::vector<OverdueItem> overdue = MustOverdue();
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].recipient, "douyin");
  EXPECT_EQ(overdue[0].missing, DeadlineStage::kAccept);
  EXPECT_EQ(overdue[0].directive, (MessageId{0x2000, 1}));
  EXPECT_EQ(overdue[0].issuer, "samr-console");
  EXPECT_EQ(overdue[0].department, "samr");
  EXPECT_EQ(overdue[0].last_state, static_cast<int>(DeliveryState::kDelivered));
  EXPECT_EQ(overdue[0].deadline_ms, issued + 10 * kMinute);
}

TEST_F(DirectiveLedgerTest, PastTheCompletionDeadlineBothMissesAreListedOldestFirst) {
  uint64_t seq = MustSubmit(Directive(1, {"douyin", "kuaishou"}));
  ASSERT_TRUE(Ack(seq, "kuaishou", AckStage::kAccepted).ok());
  clock_.Advance(2 * kHour + 1);
  std::vector<OverdueItem> overdue = MustOverdue();
  ASSERT_EQ(overdue.size(), 3u);
  EXPECT_EQ(overdue[0].missing, DeadlineStage::kAccept);  // douyin: neither stage
  EXPECT_EQ(overdue[1].missing, DeadlineStage::kComplete);
  EXPECT_EQ(overdue[2].missing, DeadlineStage::kComplete);
}

TEST_F(DirectiveLedgerTest, CompletedOrRejectedRecipientsAreNeverOverdue) {
  uint64_t seq = MustSubmit(Directive(1, {"douyin", "kuaishou"}));
  ASSERT_TRUE(Ack(seq, "douyin", AckStage::kCompleted).ok());
  ASSERT_TRUE(Ack(seq, "kuaishou", AckStage::kRejected).ok());
  clock_.Advance(3 * kHour);
  EXPECT_TRUE(MustOverdue().empty());
}

TEST_F(DirectiveLedgerTest, OtherFamiliesAreNotTracked) {
  Submission s = Directive(1, {"douyin"});
  s.directive.reset();
  MustSubmit(s);
  clock_.Advance(3 * kHour);
  EXPECT_TRUE(MustOverdue().empty());
}

TEST_F(DirectiveLedgerTest, ALateAcknowledgementSaysHowLateItWas) {
  uint64_t seq = MustSubmit(Directive(1, {"douyin"}));
  clock_.Advance(10 * kMinute + 2500);
  Result<AckReceipt> accepted = Ack(seq, "douyin", AckStage::kAccepted);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->late_ms, 2500);
  Result<AckReceipt> completed = Ack(seq, "douyin", AckStage::kCompleted);
  ASSERT_TRUE(completed.ok());
  EXPECT_EQ(completed->late_ms, 0);  // well before the completion deadline
}

// The ledger remembers each directive's deadlines for the acknowledgements'
// lateness; a number freed by retention and given to a new directive must
// not bring back the old one's.
TEST_F(DirectiveLedgerTest, ANumberGivenAgainAfterRetentionCarriesTheNewDirectivesDeadlines) {
  uint64_t first = MustSubmit(Directive(1, {"douyin"}));
  ASSERT_TRUE(Ack(first, "douyin", AckStage::kCompleted).ok());
  clock_.Advance(30 * 24 * kHour);
  Result<PruneCounts> pruned = store_->PruneRetained(kHour, 100);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  ASSERT_EQ(pruned->messages, 1);
  uint64_t second = MustSubmit(Directive(2, {"douyin"}));
  ASSERT_EQ(second, first);  // the precondition: SQLite gave the number again
  clock_.Advance(10 * kMinute + 700);
  Result<AckReceipt> accepted = Ack(second, "douyin", AckStage::kAccepted);
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(accepted->late_ms, 700);
}

TEST_F(DirectiveLedgerTest, AnEscalationIsStoredForTheIssuerAndRecordedOnce) {
  MustSubmit(Directive(1, {"douyin"}));
  clock_.Advance(11 * kMinute);
  std::vector<OverdueItem> due = MustOverdue(/*unescalated_only=*/true);
  ASSERT_EQ(due.size(), 1u);
  Result<SubmitReceipt> stored = store_->Escalate(due[0], 1, EscalationFor(due[0], 1));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(store_->Pending("samr-console"), 1);  // queued for the issuer's console

  EXPECT_TRUE(MustOverdue(/*unescalated_only=*/true).empty());
  std::vector<OverdueItem> all = MustOverdue();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].escalations, 1);
  Result<int> count = store_->EscalationCount(due[0].seq, "douyin");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1);

  // The same level again stores nothing.
  Result<SubmitReceipt> again = store_->Escalate(due[0], 1, EscalationFor(due[0], 2));
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(store_->Pending("samr-console"), 1);

  // The completion miss is a new miss, escalated separately.
  clock_.Advance(2 * kHour);
  due = MustOverdue(/*unescalated_only=*/true);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].missing, DeadlineStage::kComplete);
}

TEST_F(DirectiveLedgerTest, SupersedingClosesTheEarlierDirective) {
  uint64_t old_seq = MustSubmit(Directive(1, {"douyin"}));
  Submission next = Directive(2, {"douyin"});
  next.directive->supersedes = MessageId{0x2000, 1};
  uint64_t new_seq = MustSubmit(next);

  Result<DirectiveLineage> old = store_->Lineage(old_seq);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->superseded_by, (MessageId{0x2000, 2}));
  EXPECT_NE(old->closed_ms, 0);
  Result<DirectiveLineage> successor = store_->Lineage(new_seq);
  ASSERT_TRUE(successor.ok());
  EXPECT_EQ(successor->terms.supersedes, (MessageId{0x2000, 1}));
  EXPECT_EQ(successor->closed_ms, 0);

  clock_.Advance(11 * kMinute);
  std::vector<OverdueItem> overdue = MustOverdue();
  ASSERT_EQ(overdue.size(), 1u);  // only the successor is tracked
  EXPECT_EQ(overdue[0].seq, new_seq);
}

TEST_F(DirectiveLedgerTest, RevokingRecordsTheRevocation) {
  uint64_t old_seq = MustSubmit(Directive(1, {"douyin"}));
  Submission revocation = Directive(2, {"douyin"});
  revocation.directive->revokes = MessageId{0x2000, 1};
  MustSubmit(revocation);
  Result<DirectiveLineage> old = store_->Lineage(old_seq);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->revoked_by, (MessageId{0x2000, 2}));
  EXPECT_TRUE(old->superseded_by.IsZero());
}

TEST_F(DirectiveLedgerTest, LineageRefusalsStoreNothing) {
  MustSubmit(Directive(1, {"douyin"}));
  Submission other_kind = Directive(9, {"douyin"});
  other_kind.directive.reset();
  other_kind.kind = 3;
  MustSubmit(other_kind);
  struct Case {
    const char* name;
    MessageId supersedes, revokes;
    std::string department;
    int action;
    StatusCode code;
    const char* says;
  };
  const MessageId one{0x2000, 1};
  const Case cases[] = {
      {"both", one, one, "samr", kSuspend, StatusCode::kInvalidArgument, "not both"},
      {"unknown", MessageId{0x2000, 77}, {}, "samr", kSuspend, StatusCode::kNotFound, "no such message"},
      {"not a directive", MessageId{0x2000, 9}, {}, "samr", kSuspend, StatusCode::kInvalidArgument, "not a directive"},
      {"other department", one, {}, "cac", kSuspend, StatusCode::kPermissionDenied, "issued by samr, not cac"},
      {"revocation with another action",
       {},
       one,
       "samr",
       kRectify,
       StatusCode::kInvalidArgument,
       "repeats the revoked directive's action"},
  };
  uint64_t n = 100;
  for (const Case& c : cases) {
    Submission s = Directive(++n, {"douyin"}, c.action);
    s.directive->supersedes = c.supersedes;
    s.directive->revokes = c.revokes;
    s.directive->department = c.department;
    Result<SubmitReceipt> r = store_->Submit(s);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << c.name << ": " << r.status().ToString();
    EXPECT_EQ(store_->FindSeqById(s.id).status().code(), StatusCode::kNotFound) << c.name;
  }
}

TEST_F(DirectiveLedgerTest, ARefusedRevocationNamesBothActionsWhenANamerIsGiven) {
  MustSubmit(Directive(1, {"douyin"}));
  Submission revocation = Directive(2, {"douyin"}, kRectify);
  revocation.directive->revokes = MessageId{0x2000, 1};
  Result<SubmitReceipt> numbers = store_->Submit(revocation);
  ASSERT_FALSE(numbers.ok());
  EXPECT_NE(numbers.status().message().find("has action 5, this one 15"), std::string::npos)
      << numbers.status().ToString();

  store_.reset();
  options_.directive_action_name = [](int action) {
    return action == kSuspend ? std::string("suspendBroadcast") : action == kRectify ? std::string("rectify") : "";
  };
  Result<std::unique_ptr<Store>> named = Store::Open(options_, clock_);
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  Result<SubmitReceipt> r = (*named)->Submit(revocation);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("has action suspendBroadcast (5), this one rectify (15)"), std::string::npos)
      << r.status().ToString();
}

TEST_F(DirectiveLedgerTest, AClosedDirectiveCannotBeSupersededAgain) {
  MustSubmit(Directive(1, {"douyin"}));
  Submission second = Directive(2, {"douyin"});
  second.directive->supersedes = MessageId{0x2000, 1};
  MustSubmit(second);
  Submission third = Directive(3, {"douyin"});
  third.directive->supersedes = MessageId{0x2000, 1};
  Result<SubmitReceipt> r = store_->Submit(third);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("already superseded by " + MessageId{0x2000, 2}.ToHex()), std::string::npos)
      << r.status().ToString();
}

TEST_F(DirectiveLedgerTest, DeadlinesAndLineageAreInTheAuditChain) {
  MustSubmit(Directive(1, {"douyin"}));
  Submission next = Directive(2, {"douyin"});
  next.directive->supersedes = MessageId{0x2000, 1};
  MustSubmit(next);
  Result<AuditVerdict> verified = VerifyAuditChain(options_.path);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->intact);
  EXPECT_EQ(verified->checked, 3);  // submitted, submitted, superseded
}

}  // namespace
}  // namespace regline
