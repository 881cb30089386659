#include "gateway/core/store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "gateway/core/sqlite.h"
#include "gateway/core/store_schema.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

// Database::Open turns SQLite's memory statistics off before SQLite
// initializes (each allocation took a process-wide mutex to count it, for
// about 7 % of the throughput end to end): with them off, SQLite reports
// no memory in use, however much its connections hold.
TEST(SqliteSettingsTest, MemoryStatisticsAreOffOnceADatabaseIsOpen) {
  testing::TempDir dir;
  Result<Database> db = Database::Open(dir.File("settings.db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x BLOB); INSERT INTO t VALUES (zeroblob(100000))").ok());
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.File("store.db");
    options_.max_attempts = 3;
    options_.retry_base_ms = 1000;
    options_.retry_max_ms = 4000;
    Reopen();
  }

  void Reopen() {
    store_.reset();
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  Submission Message(uint64_t n, std::vector<std::string> recipients = {"douyin"}, int priority = 1,
                     int64_t expires_ms = 0) {
    Submission s;
    s.sender = "samr-console";
    s.id = MessageId{0x1000, n};
    s.kind = 1;
    s.priority = priority;
    s.created_ms = clock_.NowMs();
    s.expires_ms = expires_ms;
    s.recipients = std::move(recipients);
    s.envelope = "envelope-" + std::to_string(n);
    return s;
  }

  uint64_t MustSubmit(const Submission& s) {
    Result<SubmitReceipt> r = store_->Submit(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->seq : 0;
  }

  std::vector<LeasedDelivery> MustLease(const std::string& recipient, int max = 100, int64_t lease_ms = 30'000) {
    Result<std::vector<LeasedDelivery>> r = store_->Lease(recipient, max, lease_ms);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : std::vector<LeasedDelivery>{};
  }

  DeliveryStatus StatusOf(uint64_t seq, const std::string& recipient) {
    Result<std::vector<DeliveryStatus>> all = store_->Deliveries(seq);
    EXPECT_TRUE(all.ok());
    for (const auto& d : *all)
      if (d.recipient == recipient) return d;
    ADD_FAILURE() << "no delivery of #" << seq << " to " << recipient;
    return {};
  }

  static std::vector<std::string> Envelopes(const std::vector<LeasedDelivery>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds) out.push_back(d.envelope);
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, SubmitStoresOneDeliveryPerRecipient) {
  uint64_t seq = MustSubmit(Message(1, {"douyin", "kuaishou", "taobao"}));
  Result<std::vector<DeliveryStatus>> ds = store_->Deliveries(seq);
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->size(), 3u);
  for (const auto& d : *ds) {
    EXPECT_EQ(d.state, DeliveryState::kQueued);
    EXPECT_EQ(d.queued_ms, clock_.NowMs());
    EXPECT_EQ(d.attempts, 0);
  }
  EXPECT_EQ(store_->Pending("kuaishou"), 1);
}

TEST_F(StoreTest, ResubmissionReturnsOriginalReceiptAndStoresOnce) {
  Result<SubmitReceipt> first = store_->Submit(Message(1));
  ASSERT_TRUE(first.ok());
  clock_.Advance(5000);
  Result<SubmitReceipt> again = store_->Submit(Message(1));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->accepted_ms, first->accepted_ms);
  EXPECT_EQ(store_->Pending("douyin"), 1);
  EXPECT_EQ(MustLease("douyin").size(), 1u);
}

TEST_F(StoreTest, SameIdFromAnotherSenderIsAnotherMessage) {
  Submission a = Message(1);
  Submission b = Message(1);
  b.sender = "cac-console";
  EXPECT_NE(MustSubmit(a), MustSubmit(b));
  EXPECT_EQ(store_->Pending("douyin"), 2);
}

TEST_F(StoreTest, ReusedIdWithOtherContentIsRefused) {
  MustSubmit(Message(1));
  Submission changed = Message(1);
  changed.envelope = "something else";
  EXPECT_EQ(store_->Submit(changed).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(StoreTest, DuplicatesInsideOneBatchAreStoredOnce) {
  Submission a = Message(1), b = Message(1), c = Message(2);
  const Submission* batch[] = {&a, &b, &c};
  auto results = store_->SubmitBatch(batch);
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok() && results[1].ok() && results[2].ok());
  EXPECT_FALSE(results[0]->duplicate);
  EXPECT_TRUE(results[1]->duplicate);
  EXPECT_EQ(results[1]->seq, results[0]->seq);
  EXPECT_EQ(store_->Pending("douyin"), 2);
}

struct BadSubmissionCase {
  const char* name;
  void (*spoil)(Submission&);
};

class StoreRefusesBadSubmission : public StoreTest, public ::testing::WithParamInterface<BadSubmissionCase> {};

TEST_P(StoreRefusesBadSubmission, WithInvalidArgument) {
  Submission s = Message(9);
  GetParam().spoil(s);
  Result<SubmitReceipt> r = store_->Submit(s);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_EQ(store_->Pending("douyin"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StoreRefusesBadSubmission,
    ::testing::Values(BadSubmissionCase{"NoSender", [](Submission& s) { s.sender.clear(); }},
                      BadSubmissionCase{"ZeroId", [](Submission& s) { s.id = {}; }},
                      BadSubmissionCase{"NoRecipients", [](Submission& s) { s.recipients.clear(); }},
                      BadSubmissionCase{"EmptyRecipient", [](Submission& s) { s.recipients.push_back(""); }},
                      BadSubmissionCase{"RepeatedRecipient", [](Submission& s) { s.recipients.push_back("douyin"); }},
                      BadSubmissionCase{"EmptyEnvelope", [](Submission& s) { s.envelope.clear(); }},
                      BadSubmissionCase{"AlreadyExpired", [](Submission& s) { s.expires_ms = 1; }}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(StoreTest, LeaseIsFifoWithinPriorityAndHigherPriorityFirst) {
  MustSubmit(Message(1, {"douyin"}, 1));
  MustSubmit(Message(2, {"douyin"}, 1));
  MustSubmit(Message(3, {"douyin"}, 3));
  MustSubmit(Message(4, {"douyin"}, 1));
  MustSubmit(Message(5, {"douyin"}, 3));
  EXPECT_EQ(Envelopes(MustLease("douyin")),
            (std::vector<std::string>{"envelope-3", "envelope-5", "envelope-1", "envelope-2", "envelope-4"}));
}

TEST_F(StoreTest, LeaseHonoursMaxAndSkipsInFlight) {
  for (uint64_t i = 1; i <= 5; ++i) MustSubmit(Message(i));
  EXPECT_EQ(Envelopes(MustLease("douyin", 2)), (std::vector<std::string>{"envelope-1", "envelope-2"}));
  EXPECT_EQ(Envelopes(MustLease("douyin", 2)), (std::vector<std::string>{"envelope-3", "envelope-4"}));
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kInFlight);
  EXPECT_EQ(StatusOf(1, "douyin").attempts, 1);
  EXPECT_EQ(store_->Pending("douyin"), 5);  // in flight still counts
}

TEST_F(StoreTest, LeaseStopsOnceItsEnvelopesReachTheByteBound) {
  // Envelopes "envelope-1" ... "envelope-5": 10 bytes each.
  for (uint64_t i = 1; i <= 5; ++i) MustSubmit(Message(i));
  bool at_bytes = true;
  // 25 bytes: the third envelope takes it past, and nothing after it.
  Result<std::vector<LeasedDelivery>> first = store_->Lease("douyin", 100, 30'000, 25, &at_bytes);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(Envelopes(*first), (std::vector<std::string>{"envelope-1", "envelope-2", "envelope-3"}));
  EXPECT_TRUE(at_bytes);
  // A bound below one envelope still hands one out.
  Result<std::vector<LeasedDelivery>> one = store_->Lease("douyin", 100, 30'000, 1, &at_bytes);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(Envelopes(*one), (std::vector<std::string>{"envelope-4"}));
  EXPECT_TRUE(at_bytes);
  // The last one fits: the queue ran out before the bound, so nothing says
  // more may be due.
  Result<std::vector<LeasedDelivery>> rest = store_->Lease("douyin", 100, 30'000, 25, &at_bytes);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(Envelopes(*rest), (std::vector<std::string>{"envelope-5"}));
  EXPECT_FALSE(at_bytes);
}

TEST_F(StoreTest, LeaseFullByCountIsNotStoppedAtBytes) {
  for (uint64_t i = 1; i <= 3; ++i) MustSubmit(Message(i));
  bool at_bytes = true;
  // Two by count, and the two reach the 20-byte bound as well: the count
  // says "full" already.
  Result<std::vector<LeasedDelivery>> r = store_->Lease("douyin", 2, 30'000, 20, &at_bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 2u);
  EXPECT_FALSE(at_bytes);
}

TEST_F(StoreTest, LeaseCarriesTheMessage) {
  Submission s = Message(7);
  s.kind = 4;
  MustSubmit(s);
  auto leased = MustLease("douyin");
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].id, s.id);
  EXPECT_EQ(leased[0].sender, "samr-console");
  EXPECT_EQ(leased[0].kind, 4);
  EXPECT_EQ(leased[0].attempt, 1);
  EXPECT_EQ(leased[0].envelope, "envelope-7");
}

TEST_F(StoreTest, DeliveryNumbersAreDensePerRecipientAndKeptOnResend) {
  int64_t now = clock_.NowMs();
  MustSubmit(Message(1, {"douyin", "kuaishou"}));
  MustSubmit(Message(2, {"douyin"}, 1, now + 10));  // will expire unsent
  MustSubmit(Message(3, {"douyin", "kuaishou"}));
  clock_.Advance(10);
  auto first = MustLease("douyin", 1, 1000);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].delivery_seq, 1u);
  clock_.Advance(1000);
  ASSERT_EQ(store_->RequeueExpiredLeases().value(), 1);
  auto rest = MustLease("douyin");
  ASSERT_EQ(rest.size(), 2u);  // #1 again, then #3; #2 expired without a number
  EXPECT_EQ(rest[0].delivery_seq, 1u);
  EXPECT_EQ(rest[0].attempt, 2);
  EXPECT_EQ(rest[1].delivery_seq, 2u);
  EXPECT_EQ(StatusOf(2, "douyin").delivery_seq, 0u);
  auto other = MustLease("kuaishou");
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(other[0].delivery_seq, 1u);
  EXPECT_EQ(other[1].delivery_seq, 2u);

  Reopen();
  EXPECT_EQ(store_->LastDeliverySeq("douyin"), 2u);
  MustSubmit(Message(4, {"douyin"}));
  auto after = MustLease("douyin");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].delivery_seq, 3u);
}

TEST_F(StoreTest, AcknowledgeByDeliveryNumberChecksTheMessageId) {
  MustSubmit(Message(1));
  auto leased = MustLease("douyin");
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(store_->AcknowledgeDelivery("douyin", 1, MessageId{0x1000, 2}, AckStage::kReceived).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->AcknowledgeDelivery("douyin", 2, leased[0].id, AckStage::kReceived).status().code(),
            StatusCode::kNotFound);
  Result<AckReceipt> r = store_->AcknowledgeDelivery("douyin", 1, leased[0].id, AckStage::kReceived);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, DeliveryState::kDelivered);
}

TEST_F(StoreTest, AMessageWhoseRecipientNeverAcknowledgesIsDeadLetteredAfterMaxAttempts) {
  // max_attempts is 3 here: three sessions end with it in flight.
  MustSubmit(Message(1));
  MustSubmit(Message(2));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    std::vector<LeasedDelivery> got = MustLease("douyin", 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].envelope, "envelope-1");
    EXPECT_EQ(got[0].attempt, attempt);
    EXPECT_EQ(store_->RequeueInFlight("douyin").value(), 1);
  }
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kDeadLettered);
  EXPECT_EQ(store_->Pending("douyin"), 1);
  // The next message is not held up behind it.
  EXPECT_EQ(Envelopes(MustLease("douyin")), (std::vector<std::string>{"envelope-2"}));
  Result<std::vector<DeliveryStatus>> dead = store_->DeadLetters("douyin", 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_NE((*dead)[0].reason.find("session ended"), std::string::npos) << (*dead)[0].reason;
}

TEST_F(StoreTest, AFamilysMaxAttemptsReplacesTheDefault) {
  // Kind 2 gets one transmission; kind 1 keeps the default of 3.
  store_->SetMaxAttemptsByKind({{2, 1}});
  EXPECT_EQ(store_->MaxAttemptsFor(2), 1);
  EXPECT_EQ(store_->MaxAttemptsFor(1), 3);
  Submission other = Message(1);
  other.kind = 2;
  MustSubmit(other);
  MustSubmit(Message(2));
  ASSERT_EQ(MustLease("douyin").size(), 2u);
  EXPECT_EQ(store_->RequeueInFlight("douyin").value(), 2);
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kDeadLettered);
  EXPECT_EQ(StatusOf(2, "douyin").state, DeliveryState::kQueued);
  Result<std::vector<DeliveryStatus>> dead = store_->DeadLetters("douyin", 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_NE((*dead)[0].reason.find("(attempt 1 of 1)"), std::string::npos) << (*dead)[0].reason;
}

TEST_F(StoreTest, AReplayedDeadLetterIsSentEvenPastItsExpiry) {
  const uint64_t seq = MustSubmit(Message(1, {"douyin"}, 1, clock_.NowMs() + 60'000));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_EQ(MustLease("douyin").size(), 1u);
    ASSERT_TRUE(store_->RequeueInFlight("douyin").ok());
  }
  ASSERT_EQ(StatusOf(seq, "douyin").state, DeliveryState::kDeadLettered);
  clock_.Advance(120'000);  // past its expiry: the recipient may hold it all the same
  ASSERT_TRUE(store_->Replay(seq, "douyin").ok());
  EXPECT_EQ(store_->ExpireDue().value(), 0);
  std::vector<LeasedDelivery> again = MustLease("douyin");
  ASSERT_EQ(again.size(), 1u) << "the replayed message expired instead of being sent";
  EXPECT_EQ(again[0].delivery_seq, 1u);
  EXPECT_EQ(again[0].attempt, 1);
}

TEST_F(StoreTest, RequeueInFlightPutsASessionsLeasesBackAtOnce) {
  MustSubmit(Message(1));
  MustSubmit(Message(2));
  MustLease("douyin", 10, 60'000);
  EXPECT_EQ(store_->RequeueInFlight("douyin").value(), 2);
  auto again = MustLease("douyin");
  ASSERT_EQ(Envelopes(again), (std::vector<std::string>{"envelope-1", "envelope-2"}));
  EXPECT_EQ(again[0].delivery_seq, 1u);
  EXPECT_EQ(again[0].attempt, 2);
  EXPECT_EQ(store_->Pending("douyin"), 2);
}

TEST_F(StoreTest, ReceivedUpToRecordsTheResumePoint) {
  for (uint64_t i = 1; i <= 4; ++i) MustSubmit(Message(i));
  MustLease("douyin", 3);  // numbers 1..3 in flight
  EXPECT_EQ(store_->ReceivedUpTo("douyin", 2).value(), 2);
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kDelivered);
  EXPECT_EQ(StatusOf(2, "douyin").state, DeliveryState::kDelivered);
  EXPECT_EQ(StatusOf(3, "douyin").state, DeliveryState::kInFlight);
  EXPECT_EQ(StatusOf(4, "douyin").state, DeliveryState::kQueued);
  EXPECT_EQ(store_->Pending("douyin"), 2);
  EXPECT_EQ(store_->ReceivedUpTo("douyin", 2).value(), 0);  // nothing new
}

// A store restored from a backup older than what the recipient holds: its
// resume point is above every number this store gave out.
TEST_F(StoreTest, AResumePointAboveTheNumbersGivenOutMovesTheNumberingPastIt) {
  MustSubmit(Message(1));
  MustLease("douyin", 1);  // number 1
  MustSubmit(Message(2));
  EXPECT_EQ(store_->ReceivedUpTo("douyin", 40).value(), 1);
  EXPECT_EQ(store_->LastDeliverySeq("douyin"), 40u);
  EXPECT_EQ(store_->AuditLogHead().seq, 5u) << "submitted x2, sent, delivery_seq_advanced, acknowledged";
  Reopen();
  EXPECT_EQ(store_->LastDeliverySeq("douyin"), 40u);
  std::vector<LeasedDelivery> next = MustLease("douyin");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq, 2u);
  EXPECT_EQ(next[0].delivery_seq, 41u);
  EXPECT_EQ(store_->ReceivedUpTo("douyin", 30).value(), 0);
  EXPECT_EQ(store_->LastDeliverySeq("douyin"), 41u) << "a lower resume point changes no numbering";
}

TEST_F(StoreTest, FindSeqByIdAloneFindsAnySendersMessage) {
  uint64_t seq = MustSubmit(Message(5));
  EXPECT_EQ(store_->FindSeqById(MessageId{0x1000, 5}).value(), seq);
  EXPECT_EQ(store_->FindSeqById(MessageId{0x1000, 6}).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, CallsBetweenBeginAndCommitShareOneTransaction) {
  options_.default_quota = 2;
  Reopen();
  ASSERT_TRUE(store_->Begin().ok());
  uint64_t seq = MustSubmit(Message(1));
  MustSubmit(Message(2));
  EXPECT_EQ(store_->Submit(Message(3)).status().code(), StatusCode::kOverloaded);  // refused alone
  ASSERT_EQ(MustLease("douyin").size(), 2u);
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kReceived).ok());
  {
    // Not committed yet: another connection sees nothing.
    Result<Database> other = Database::Open(options_.path);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->QueryInt("SELECT count(*) FROM messages").value(), 0);
  }
  ASSERT_TRUE(store_->Commit().ok());
  Reopen();
  EXPECT_EQ(StatusOf(seq, "douyin").state, DeliveryState::kDelivered);
  EXPECT_EQ(StatusOf(2, "douyin").state, DeliveryState::kInFlight);
  EXPECT_EQ(store_->Pending("douyin"), 1);
  EXPECT_EQ(store_->LastDeliverySeq("douyin"), 2u);
}

TEST_F(StoreTest, RecipientsHaveIndependentQueues) {
  uint64_t seq = MustSubmit(Message(1, {"douyin", "kuaishou"}));
  ASSERT_EQ(MustLease("douyin").size(), 1u);
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kReceived).ok());
  EXPECT_EQ(StatusOf(seq, "douyin").state, DeliveryState::kDelivered);
  EXPECT_EQ(StatusOf(seq, "kuaishou").state, DeliveryState::kQueued);
  EXPECT_EQ(MustLease("kuaishou").size(), 1u);
}

TEST_F(StoreTest, AcknowledgementStagesMoveForward) {
  uint64_t seq = MustSubmit(Message(1));
  MustLease("douyin");
  clock_.Advance(10);
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kReceived).ok());
  EXPECT_EQ(store_->Pending("douyin"), 0);
  clock_.Advance(10);
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kAccepted).ok());
  clock_.Advance(10);
  Result<AckReceipt> done = store_->Acknowledge(seq, "douyin", AckStage::kCompleted);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, DeliveryState::kCompleted);
  DeliveryStatus d = StatusOf(seq, "douyin");
  EXPECT_EQ(d.state, DeliveryState::kCompleted);
  EXPECT_EQ(d.accepted_ms - d.received_ms, 10);
  EXPECT_EQ(d.completed_ms - d.accepted_ms, 10);
  EXPECT_EQ(d.lease_until_ms, 0);
}

TEST_F(StoreTest, DuplicateAcknowledgementReturnsFirstReceipt) {
  uint64_t seq = MustSubmit(Message(1));
  MustLease("douyin");
  Result<AckReceipt> first = store_->Acknowledge(seq, "douyin", AckStage::kAccepted);
  ASSERT_TRUE(first.ok());
  clock_.Advance(500);
  Result<AckReceipt> again = store_->Acknowledge(seq, "douyin", AckStage::kAccepted);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->recorded_ms, first->recorded_ms);
}

TEST_F(StoreTest, LaterStageImpliesReceiptAndAnEarlierStageDoesNotGoBack) {
  uint64_t seq = MustSubmit(Message(1));
  MustLease("douyin");
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kCompleted).ok());
  EXPECT_EQ(StatusOf(seq, "douyin").received_ms, clock_.NowMs());
  clock_.Advance(5);
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kAccepted).ok());
  EXPECT_EQ(StatusOf(seq, "douyin").state, DeliveryState::kCompleted);
  EXPECT_EQ(store_->Pending("douyin"), 0);
}

TEST_F(StoreTest, RejectionKeepsReasonAndExcludesCompletion) {
  uint64_t seq = MustSubmit(Message(1));
  MustLease("douyin");
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kRejected, "account already closed").ok());
  DeliveryStatus d = StatusOf(seq, "douyin");
  EXPECT_EQ(d.state, DeliveryState::kRejected);
  EXPECT_EQ(d.reason, "account already closed");
  EXPECT_EQ(store_->Acknowledge(seq, "douyin", AckStage::kCompleted).status().code(),
            StatusCode::kFailedPrecondition);

  uint64_t seq2 = MustSubmit(Message(2));
  ASSERT_TRUE(store_->Acknowledge(seq2, "douyin", AckStage::kCompleted).ok());
  EXPECT_EQ(store_->Acknowledge(seq2, "douyin", AckStage::kRejected, "x").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, AcknowledgingUnknownDeliveryIsNotFound) {
  uint64_t seq = MustSubmit(Message(1, {"douyin"}));
  EXPECT_EQ(store_->Acknowledge(seq, "kuaishou", AckStage::kReceived).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Acknowledge(999, "douyin", AckStage::kReceived).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, ExpiredLeaseIsRedeliveredFirstWithItsPlaceKept) {
  MustSubmit(Message(1));
  MustSubmit(Message(2));
  ASSERT_EQ(MustLease("douyin", 1, 1000).size(), 1u);  // #1 in flight
  clock_.Advance(999);
  EXPECT_EQ(store_->RequeueExpiredLeases().value(), 0);
  clock_.Advance(1);
  EXPECT_EQ(store_->RequeueExpiredLeases().value(), 1);
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kQueued);
  auto again = MustLease("douyin");
  ASSERT_EQ(Envelopes(again), (std::vector<std::string>{"envelope-1", "envelope-2"}));
  EXPECT_EQ(again[0].attempt, 2);
  EXPECT_EQ(again[1].attempt, 1);
}

TEST_F(StoreTest, DeadLetteredAfterMaxAttemptsThenReplayed) {
  uint64_t seq = MustSubmit(Message(1));
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_EQ(MustLease("douyin", 10, 1000).size(), 1u) << "attempt " << attempt;
    clock_.Advance(1000);
    ASSERT_EQ(store_->RequeueExpiredLeases().value(), 1);
  }
  DeliveryStatus d = StatusOf(seq, "douyin");
  EXPECT_EQ(d.state, DeliveryState::kDeadLettered);
  EXPECT_EQ(d.dead_lettered_ms, clock_.NowMs());
  EXPECT_NE(d.reason.find("attempt 3 of 3"), std::string::npos) << d.reason;
  EXPECT_EQ(store_->Pending("douyin"), 0);
  EXPECT_TRUE(MustLease("douyin").empty());

  Result<std::vector<DeliveryStatus>> dead = store_->DeadLetters("douyin", 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].seq, seq);

  ASSERT_TRUE(store_->Replay(seq, "douyin").ok());
  EXPECT_EQ(store_->Pending("douyin"), 1);
  auto replayed = MustLease("douyin");
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].attempt, 1);
  EXPECT_EQ(store_->Replay(seq, "douyin").code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, ReleaseBacksOffExponentiallyAndLetsLaterMessagesPass) {
  MustSubmit(Message(1));
  MustSubmit(Message(2));
  ASSERT_EQ(MustLease("douyin", 1).size(), 1u);
  ASSERT_TRUE(store_->Release(1, "douyin", "inbox busy").ok());
  DeliveryStatus d = StatusOf(1, "douyin");
  EXPECT_EQ(d.state, DeliveryState::kQueued);
  EXPECT_EQ(d.next_attempt_ms, clock_.NowMs() + 1000);  // first back-off
  EXPECT_EQ(Envelopes(MustLease("douyin")), (std::vector<std::string>{"envelope-2"}));
  clock_.Advance(1000);
  ASSERT_EQ(Envelopes(MustLease("douyin")), (std::vector<std::string>{"envelope-1"}));
  ASSERT_TRUE(store_->Release(1, "douyin", "inbox busy").ok());
  EXPECT_EQ(StatusOf(1, "douyin").next_attempt_ms, clock_.NowMs() + 2000);  // doubled
  clock_.Advance(2000);
  ASSERT_EQ(MustLease("douyin").size(), 1u);
  ASSERT_TRUE(store_->Release(1, "douyin", "inbox busy").ok());  // third attempt of three
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kDeadLettered);
}

TEST_F(StoreTest, ReleaseOfDeliveryNotInFlightIsRefused) {
  MustSubmit(Message(1));
  EXPECT_EQ(store_->Release(1, "douyin", "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Release(2, "douyin", "x").code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, ExpiredMessagesAreNotDelivered) {
  int64_t now = clock_.NowMs();
  MustSubmit(Message(1, {"douyin"}, 1, now + 1000));
  MustSubmit(Message(2, {"douyin"}, 1, 0));
  clock_.Advance(1000);
  EXPECT_EQ(Envelopes(MustLease("douyin")), (std::vector<std::string>{"envelope-2"}));
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kExpired);
  EXPECT_EQ(StatusOf(1, "douyin").expired_ms, clock_.NowMs());
  EXPECT_EQ(store_->Pending("douyin"), 1);
}

TEST_F(StoreTest, ExpireDueSweepsOnlyDeliveriesNeverSent) {
  int64_t now = clock_.NowMs();
  MustSubmit(Message(1, {"douyin", "kuaishou"}, 1, now + 1000));
  MustLease("douyin", 10, 500);
  clock_.Advance(999);
  EXPECT_EQ(store_->ExpireDue().value(), 0);
  clock_.Advance(1);
  EXPECT_EQ(store_->ExpireDue().value(), 1);
  EXPECT_EQ(StatusOf(1, "kuaishou").state, DeliveryState::kExpired);
  EXPECT_EQ(store_->Pending("kuaishou"), 0);
  // douyin may already hold it: it stays in flight, and after its lease
  // runs out it is sent again although the message has expired.
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kInFlight);
  ASSERT_EQ(store_->RequeueExpiredLeases().value(), 1);
  auto again = MustLease("douyin");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempt, 2);
}

TEST_F(StoreTest, QuotaRefusesWholeSubmissionAndDropsNothing) {
  options_.default_quota = 2;
  options_.quotas["kuaishou"] = 5;
  Reopen();
  MustSubmit(Message(1, {"douyin", "kuaishou"}));
  MustSubmit(Message(2, {"douyin", "kuaishou"}));
  Result<SubmitReceipt> refused = store_->Submit(Message(3, {"kuaishou", "douyin"}));
  ASSERT_EQ(refused.status().code(), StatusCode::kOverloaded);
  EXPECT_NE(refused.status().message().find("'douyin'"), std::string::npos) << refused.status().ToString();
  EXPECT_EQ(store_->Pending("kuaishou"), 2);  // nothing of #3 stored for kuaishou either
  EXPECT_EQ(StatusOf(1, "douyin").state, DeliveryState::kQueued);

  // The per-recipient override admits more for kuaishou alone.
  MustSubmit(Message(4, {"kuaishou"}));
  // Once douyin takes one, there is room again.
  ASSERT_TRUE(store_->Acknowledge(1, "douyin", AckStage::kReceived).ok());
  EXPECT_TRUE(store_->Submit(Message(3, {"kuaishou", "douyin"})).ok());
}

TEST_F(StoreTest, QuotaCountsSurviveReopen) {
  options_.default_quota = 2;
  Reopen();
  MustSubmit(Message(1));
  MustSubmit(Message(2));
  MustLease("douyin", 1);
  Reopen();
  EXPECT_EQ(store_->Pending("douyin"), 2);
  EXPECT_EQ(store_->Submit(Message(3)).status().code(), StatusCode::kOverloaded);
}

TEST_F(StoreTest, FamilyQuotaCapsOneKindAndLeavesTheOthers) {
  constexpr int kReport = 7;
  options_.quota_by_kind[kReport] = {2, "complaintStatistics"};
  Reopen();
  auto of_kind = [&](uint64_t n, int kind, std::vector<std::string> to) {
    Submission s = Message(n, std::move(to));
    s.kind = kind;
    return s;
  };
  MustSubmit(of_kind(1, kReport, {"douyin", "kuaishou"}));
  MustSubmit(of_kind(2, kReport, {"douyin"}));
  Result<SubmitReceipt> refused = store_->Submit(of_kind(3, kReport, {"kuaishou", "douyin"}));
  ASSERT_EQ(refused.status().code(), StatusCode::kOverloaded);
  EXPECT_NE(refused.status().message().find("'douyin' is full for complaintStatistics (2 pending, family quota 2)"),
            std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(store_->PendingOfKind("kuaishou", kReport), 1);  // nothing of #3 stored for kuaishou
  // Another family, and the same family in one batch, count apart.
  MustSubmit(of_kind(4, 1, {"douyin"}));
  EXPECT_EQ(store_->Pending("douyin"), 3);
  EXPECT_EQ(store_->PendingOfKind("douyin", kReport), 2);
  Submission a = of_kind(5, kReport, {"kuaishou"}), b = of_kind(6, kReport, {"kuaishou"});
  std::vector<const Submission*> batch{&a, &b};
  std::vector<Result<SubmitReceipt>> results = store_->SubmitBatch(batch);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok()) << results[0].status().ToString();
  EXPECT_EQ(results[1].status().code(), StatusCode::kOverloaded);
  // Once douyin takes one of the family, there is room for one more.
  ASSERT_TRUE(store_->Acknowledge(1, "douyin", AckStage::kReceived).ok());
  EXPECT_EQ(store_->PendingOfKind("douyin", kReport), 1);
  MustSubmit(of_kind(3, kReport, {"douyin"}));
  // A reloaded policy lowers the cap: what is queued stays, nothing new.
  store_->SetQuotaByKind({{kReport, {1, "complaintStatistics"}}, {1, {1, "directive"}}});
  EXPECT_EQ(store_->Submit(of_kind(8, 1, {"douyin"})).status().code(), StatusCode::kOverloaded);
  EXPECT_EQ(store_->Pending("douyin"), 3);
  store_->SetQuotaByKind({});
  MustSubmit(of_kind(8, 1, {"douyin"}));
}

// The in-memory family counters move with every way a delivery stops being
// pending (acknowledgement, resume point, dead letter, expiry) or starts
// again (replay), and agree with what a reopen counts from the table.
TEST_F(StoreTest, FamilyCountsFollowEveryPathAndMatchTheTable) {
  options_.max_attempts = 1;
  Reopen();
  auto of_kind = [&](uint64_t n, int kind, int64_t expires_ms = 0) {
    Submission s = Message(n, {"douyin"}, 1, expires_ms);
    s.kind = kind;
    return s;
  };
  for (uint64_t n = 1; n <= 4; ++n) MustSubmit(of_kind(n, 2));
  MustSubmit(of_kind(5, 3, clock_.NowMs() + 50));
  MustSubmit(of_kind(6, 3));
  EXPECT_EQ(store_->PendingOfKind("douyin", 2), 4);
  EXPECT_EQ(store_->PendingOfKind("douyin", 3), 2);
  std::vector<LeasedDelivery> leased = MustLease("douyin", 4);  // #1..#4 of kind 2
  ASSERT_EQ(leased.size(), 4u);
  ASSERT_TRUE(store_->Acknowledge(1, "douyin", AckStage::kCompleted).ok());  // #1 done
  ASSERT_TRUE(store_->ReceivedUpTo("douyin", leased[1].delivery_seq).ok());  // #2 received
  ASSERT_TRUE(store_->Release(3, "douyin", "sink refused it").ok());         // #3 dead (1 attempt)
  EXPECT_EQ(store_->PendingOfKind("douyin", 2), 1);                          // #4 in flight
  clock_.Advance(100);
  EXPECT_EQ(store_->ExpireDue().value(), 1);  // #5 expired
  EXPECT_EQ(store_->PendingOfKind("douyin", 3), 1);
  ASSERT_TRUE(store_->Replay(3, "douyin").ok());  // #3 queued again
  EXPECT_EQ(store_->PendingOfKind("douyin", 2), 2);
  ASSERT_TRUE(store_->AcknowledgeDelivery("douyin", leased[3].delivery_seq, leased[3].id, AckStage::kReceived).ok());
  EXPECT_EQ(store_->PendingOfKind("douyin", 2), 1);  // #4 received by number
  const int64_t two = store_->PendingOfKind("douyin", 2), three = store_->PendingOfKind("douyin", 3);
  const int64_t total = store_->Pending("douyin");
  Reopen();
  EXPECT_EQ(store_->PendingOfKind("douyin", 2), two);
  EXPECT_EQ(store_->PendingOfKind("douyin", 3), three);
  EXPECT_EQ(store_->Pending("douyin"), total);
  EXPECT_EQ(total, 2);  // #3 of kind 2 and #6 of kind 3
}

TEST_F(StoreTest, EverythingSurvivesReopen) {
  uint64_t seq = MustSubmit(Message(1, {"douyin", "kuaishou"}));
  MustLease("douyin");
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kAccepted).ok());
  Reopen();
  EXPECT_EQ(StatusOf(seq, "douyin").state, DeliveryState::kAccepted);
  EXPECT_EQ(Envelopes(MustLease("kuaishou")), (std::vector<std::string>{"envelope-1"}));
  Result<SubmitReceipt> dup = store_->Submit(Message(1, {"douyin", "kuaishou"}));
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
}

TEST_F(StoreTest, DepthsCountQueuedInFlightAndDeadLetters) {
  MustSubmit(Message(1, {"douyin", "kuaishou"}));
  clock_.Advance(100);
  MustSubmit(Message(2, {"douyin"}));
  MustLease("douyin", 1);
  Result<std::vector<QueueDepth>> depths = store_->Depths();
  ASSERT_TRUE(depths.ok());
  ASSERT_EQ(depths->size(), 2u);
  EXPECT_EQ((*depths)[0].recipient, "douyin");
  EXPECT_EQ((*depths)[0].queued, 1);
  EXPECT_EQ((*depths)[0].in_flight, 1);
  EXPECT_EQ((*depths)[0].oldest_queued_ms, clock_.NowMs());
  // The one in flight (message 1) is older than the one queued.
  EXPECT_EQ((*depths)[0].oldest_unacknowledged_ms, clock_.NowMs() - 100);
  EXPECT_EQ((*depths)[1].recipient, "kuaishou");
  EXPECT_EQ((*depths)[1].queued, 1);
  EXPECT_EQ((*depths)[1].oldest_queued_ms, clock_.NowMs() - 100);
  EXPECT_EQ((*depths)[1].oldest_unacknowledged_ms, clock_.NowMs() - 100);
}

TEST_F(StoreTest, FindSeqByIdAndSender) {
  uint64_t seq = MustSubmit(Message(42));
  Result<uint64_t> found = store_->FindSeq("samr-console", MessageId{0x1000, 42});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, seq);
  EXPECT_EQ(store_->FindSeq("cac-console", MessageId{0x1000, 42}).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, StoreIsInWalModeWithFullSync) {
  Result<Database> db = Database::Open(options_.path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->QueryInt("PRAGMA user_version").value(), Store::SchemaVersion());
  Result<Statement> mode = db->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(mode->Step().value());
  EXPECT_EQ(mode->ColumnText(0), "wal");
}

TEST(StoreOpen, RefusesAForeignDatabase) {
  testing::TempDir dir;
  {
    Result<Database> db = Database::Open(dir.File("other.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE customers(id INTEGER)").ok());
  }
  FakeClock clock;
  StoreOptions o;
  o.path = dir.File("other.db");
  Result<std::unique_ptr<Store>> s = Store::Open(o, clock);
  EXPECT_EQ(s.status().code(), StatusCode::kCorruption);
  EXPECT_NE(s.status().message().find("not a Regline store"), std::string::npos) << s.status().ToString();
}

TEST(StoreOpen, RefusesAStoreFromANewerRelease) {
  testing::TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.path = dir.File("store.db");
  ASSERT_TRUE(Store::Open(o, clock).ok());
  {
    Result<Database> db = Database::Open(o.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version = 999").ok());
  }
  EXPECT_EQ(Store::Open(o, clock).status().code(), StatusCode::kFailedPrecondition);
}

int64_t PageSizeOf(const std::string& path) {
  Result<Database> db = Database::OpenReadOnly(path);
  Result<int64_t> size = db.ok() ? db->QueryInt("PRAGMA page_size") : Result<int64_t>(db.status());
  return size.ok() ? *size : -1;
}

// A new store gets 4 KiB pages (store_schema.cc says why); one made with
// 16 KiB pages, as before 2026-12, keeps them and takes messages as before.
TEST(StoreOpen, ANewStoreHasSmallPagesAndAnOlderOneKeepsItsOwn) {
  testing::TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.path = dir.File("new.db");
  ASSERT_TRUE(Store::Open(o, clock).ok());
  EXPECT_EQ(PageSizeOf(o.path), 4096);

  o.path = dir.File("older.db");
  {
    Result<Database> db = Database::Open(o.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(store_schema::PrepareDatabaseAtVersion(*db, store_schema::LatestVersion()).ok());
  }
  Result<std::unique_ptr<Store>> older = Store::Open(o, clock);
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  Submission s;
  s.sender = "cac-console";
  s.id = MessageId{1, 1};
  s.recipients = {"douyin"};
  s.envelope = std::string(1024, 'e');
  ASSERT_TRUE((*older)->Submit(s).ok());
  older->reset();
  EXPECT_EQ(PageSizeOf(o.path), 16384);
}

TEST(StoreOpen, NamesTheFileWhenItCannotOpen) {
  FakeClock clock;
  StoreOptions o;
  o.path = "/nonexistent-dir/regline/store.db";
  Result<std::unique_ptr<Store>> s = Store::Open(o, clock);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIOError);
  EXPECT_NE(s.status().message().find(o.path), std::string::npos);
}

}  // namespace
}  // namespace regline

namespace regline {
namespace {

TEST(StoreCheckpoints, RunInTheBackgroundAndKeepTheLogSmall) {
  testing::TempDir dir;
  FakeClock clock;
  StoreOptions o;
  o.path = dir.File("store.db");
  o.checkpoint_pages = 8;
  Result<std::unique_ptr<Store>> store = Store::Open(o, clock);
  ASSERT_TRUE(store.ok());
  for (uint64_t i = 1; i <= 2000; ++i) {
    Submission s;
    s.sender = "cac-console";
    s.id = MessageId{1, i};
    s.recipients = {"douyin"};
    s.envelope = std::string(1024, 'e');
    ASSERT_TRUE((*store)->Submit(s).ok());
  }
  // The checkpointer is woken asynchronously; give it a moment, not a deadline.
  for (int i = 0; i < 500 && (*store)->CheckpointsCompleted() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT((*store)->CheckpointsCompleted(), 0);
  // 2000 commits of ~1 KiB without checkpoints would leave a log of several
  // thousand pages; with them, the log is reused from the start.
  EXPECT_LT(std::filesystem::file_size(o.path + "-wal"), uint64_t{2000} * 4096 / 4);
}

}  // namespace
}  // namespace regline

namespace regline {
namespace {

// Submission::lease_to: stored already leased when nothing is queued.
class DirectLeaseTest : public StoreTest {
 protected:
  Submission Leased(uint64_t n, std::vector<std::string> lease_to, std::vector<std::string> recipients = {"douyin"}) {
    Submission s = Message(n, std::move(recipients));
    s.lease_to = std::move(lease_to);
    s.lease_ms = 30'000;
    return s;
  }
};

TEST_F(DirectLeaseTest, AnEmptyQueueGetsTheMessageLeasedWithTheNextNumber) {
  Result<SubmitReceipt> r = store_->Submit(Leased(1, {"douyin"}, {"douyin", "kuaishou"}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->leased.size(), 1u);
  EXPECT_EQ(r->leased[0].recipient, "douyin");
  EXPECT_EQ(r->leased[0].delivery_seq, 1u);
  DeliveryStatus d = StatusOf(r->seq, "douyin");
  EXPECT_EQ(d.state, DeliveryState::kInFlight);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.delivery_seq, 1u);
  EXPECT_EQ(d.lease_until_ms, clock_.NowMs() + 30'000);
  EXPECT_EQ(StatusOf(r->seq, "kuaishou").state, DeliveryState::kQueued);  // not named in lease_to
  EXPECT_TRUE(MustLease("douyin").empty()) << "a directly leased delivery was handed out again";
  EXPECT_EQ(store_->Pending("douyin"), 1);

  // Numbers stay dense across direct leases and ordinary ones, and survive a reopen.
  ASSERT_EQ(MustSubmit(Message(2)), 2u);
  std::vector<LeasedDelivery> next = MustLease("douyin");
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].delivery_seq, 2u);
  Reopen();
  Result<SubmitReceipt> third = store_->Submit(Leased(3, {"douyin"}));
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->leased.size(), 1u);
  EXPECT_EQ(third->leased[0].delivery_seq, 3u);

  // The directly leased delivery is acknowledged like any other.
  Result<AckReceipt> ack = store_->AcknowledgeDelivery("douyin", 1, MessageId{0x1000, 1}, AckStage::kAccepted);
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->state, DeliveryState::kAccepted);
  EXPECT_GT(StatusOf(r->seq, "douyin").received_ms, 0) << "accepted implies received";
}

TEST_F(DirectLeaseTest, AQueuedMessageKeepsItsPlace) {
  ASSERT_EQ(MustSubmit(Message(1)), 1u);  // queued, not leased
  Result<SubmitReceipt> r = store_->Submit(Leased(2, {"douyin"}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->leased.empty()) << "message 2 would have overtaken message 1";
  EXPECT_EQ(StatusOf(r->seq, "douyin").state, DeliveryState::kQueued);
  EXPECT_EQ(Envelopes(MustLease("douyin")), (std::vector<std::string>{"envelope-1", "envelope-2"}));
}

TEST_F(DirectLeaseTest, ABatchNumbersItsDirectLeasesInOrderAndADuplicateGetsNone) {
  Submission a = Leased(1, {"douyin"}), b = Leased(2, {"douyin"});
  const Submission* batch[] = {&a, &b};
  std::vector<Result<SubmitReceipt>> rs = store_->SubmitBatch(batch);
  ASSERT_TRUE(rs[0].ok() && rs[1].ok());
  ASSERT_EQ(rs[0]->leased.size(), 1u);
  ASSERT_EQ(rs[1]->leased.size(), 1u);
  EXPECT_EQ(rs[0]->leased[0].delivery_seq, 1u);
  EXPECT_EQ(rs[1]->leased[0].delivery_seq, 2u);
  Result<SubmitReceipt> again = store_->Submit(Leased(1, {"douyin"}));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_TRUE(again->leased.empty());
  EXPECT_EQ(store_->LastDeliverySeq("douyin"), 2u);
}

}  // namespace
}  // namespace regline
