// The store's side of the audit chain: which entries each state change
// appends (docs/store.md, "Audit chain"), and that the chain verifies.
#include <gtest/gtest.h>

#include "gateway/core/audit_chain.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

struct Entry {
  std::string event, subject, detail;
  friend bool operator==(const Entry&, const Entry&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Entry& e) {
    return os << e.event << " " << e.subject << " " << e.detail;
  }
};

constexpr const char* kIdA = "00000000000010000000000000000001";
constexpr const char* kIdB = "00000000000010000000000000000002";

class StoreAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.File("gateway.db");
    options_.max_attempts = 2;
    options_.retry_base_ms = 1000;
    store_.reset();
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  Submission Message(uint64_t n, std::vector<std::string> recipients, int64_t expires_ms = 0) {
    Submission s;
    s.sender = "samr-console";
    s.id = MessageId{0x1000, n};
    s.kind = 1;
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

  void MustLease(const std::string& recipient, size_t expect) {
    Result<std::vector<LeasedDelivery>> r = store_->Lease(recipient, 10, 30'000);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->size(), expect);
  }

  void MustAck(const std::string& recipient, uint64_t number, uint64_t n, AckStage stage, bool duplicate = false) {
    Result<AckReceipt> r = store_->AcknowledgeDelivery(recipient, number, MessageId{0x1000, n}, stage);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->duplicate, duplicate);
  }

  // The entries after the first `skip`, read from the file on a second
  // connection (so: what is committed).
  std::vector<Entry> Entries(int64_t skip = 0) {
    std::vector<Entry> out;
    Result<Database> db = Database::OpenReadOnly(options_.path);
    EXPECT_TRUE(db.ok());
    if (!db.ok()) return out;
    Result<Statement> st = db->Prepare("SELECT event, subject, detail FROM audit_log WHERE seq > ?1 ORDER BY seq");
    EXPECT_TRUE(st.ok());
    st->Bind(1, skip);
    while (*st->Step()) out.push_back({st->ColumnText(0), st->ColumnText(1), st->ColumnText(2)});
    return out;
  }

  void ExpectChainIntact() {
    Result<AuditVerdict> v = VerifyAuditChain(options_.path, store_->AuditLogHead());
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(v->intact) << v->problem;
    EXPECT_EQ(v->head, store_->AuditLogHead());
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreAuditTest, ADeliverysLifeIsInTheChainInOrder) {
  uint64_t a = MustSubmit(Message(1, {"douyin", "kuaishou"}));
  // douyin: sent, then acknowledged stage by stage; a repeat adds nothing.
  MustLease("douyin", 1);
  MustAck("douyin", 1, 1, AckStage::kReceived);
  MustAck("douyin", 1, 1, AckStage::kAccepted);
  MustAck("douyin", 1, 1, AckStage::kCompleted);
  MustAck("douyin", 1, 1, AckStage::kCompleted, /*duplicate=*/true);
  // kuaishou: two leases run out (max_attempts 2), then an operator replays it.
  MustLease("kuaishou", 1);
  clock_.Advance(30'000);
  ASSERT_EQ(*store_->RequeueExpiredLeases(), 1);
  MustLease("kuaishou", 1);
  clock_.Advance(30'000);
  ASSERT_EQ(*store_->RequeueExpiredLeases(), 1);
  ASSERT_TRUE(store_->Replay(a, "kuaishou").ok());
  // A second message expires before it is sent; resubmitting the first adds nothing.
  MustSubmit(Message(2, {"douyin"}, clock_.NowMs() + 1000));
  MustSubmit(Message(1, {"douyin", "kuaishou"}));
  clock_.Advance(1000);
  ASSERT_EQ(*store_->ExpireDue(), 1);

  const std::string why = "lease expired without acknowledgement";
  std::vector<Entry> want = {
      {"submitted", kIdA, "seq=1 sender=samr-console kind=1 recipients=douyin,kuaishou"},
      {"sent", kIdA, "recipient=douyin delivery_seq=1 attempt=1"},
      {"acknowledged", kIdA, "recipient=douyin delivery_seq=1 stage=received"},
      {"acknowledged", kIdA, "recipient=douyin delivery_seq=1 stage=accepted"},
      {"acknowledged", kIdA, "recipient=douyin delivery_seq=1 stage=completed"},
      {"sent", kIdA, "recipient=kuaishou delivery_seq=1 attempt=1"},
      {"requeued", kIdA, "recipient=kuaishou delivery_seq=1 attempt=1 reason=" + why},
      {"sent", kIdA, "recipient=kuaishou delivery_seq=1 attempt=2"},
      {"dead_lettered", kIdA, "recipient=kuaishou delivery_seq=1 attempts=2 reason=" + why},
      {"replayed", kIdA, "recipient=kuaishou delivery_seq=1"},
      {"submitted", kIdB, "seq=2 sender=samr-console kind=1 recipients=douyin"},
      {"expired", kIdB, "recipient=douyin"},
  };
  EXPECT_EQ(Entries(), want);
  ExpectChainIntact();
}

TEST_F(StoreAuditTest, ARejectionCarriesItsReasonLast) {
  MustSubmit(Message(1, {"douyin"}));
  MustLease("douyin", 1);
  ASSERT_TRUE(store_->Acknowledge(1, "douyin", AckStage::kRejected, "no room 8812").ok());
  ASSERT_TRUE(store_->Acknowledge(1, "douyin", AckStage::kRejected, "again").ok());  // duplicate: nothing
  EXPECT_EQ(Entries(2),
            (std::vector<Entry>{
                {"acknowledged", kIdA, "recipient=douyin delivery_seq=1 stage=rejected reason=no room 8812"},
            }));
  ExpectChainIntact();
}

TEST_F(StoreAuditTest, ARefusedAcknowledgementAppendsNothing) {
  MustSubmit(Message(1, {"douyin"}));
  MustLease("douyin", 1);
  ASSERT_TRUE(store_->Acknowledge(1, "douyin", AckStage::kRejected, "no").ok());
  AuditHead before = store_->AuditLogHead();
  EXPECT_EQ(store_->Acknowledge(1, "douyin", AckStage::kCompleted).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Replay(1, "douyin").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->AuditLogHead(), before);
  ExpectChainIntact();
}

TEST_F(StoreAuditTest, ReleaseRecordsTheRetryTime) {
  MustSubmit(Message(1, {"douyin"}));
  MustLease("douyin", 1);
  const int64_t now = clock_.NowMs();
  ASSERT_TRUE(store_->Release(1, "douyin", "busy").ok());
  EXPECT_EQ(Entries(2), (std::vector<Entry>{
                            {"released", kIdA,
                             "recipient=douyin delivery_seq=1 attempt=1 retry_at_ms=" + std::to_string(now + 1000) +
                                 " reason=released by recipient: busy"},
                        }));
  ExpectChainIntact();
}

TEST_F(StoreAuditTest, AnEndedSessionsLeasesAreRequeued) {
  MustSubmit(Message(1, {"douyin"}));
  MustLease("douyin", 1);
  ASSERT_EQ(*store_->RequeueInFlight("douyin"), 1);
  EXPECT_EQ(
      Entries(2),
      (std::vector<Entry>{
          {"requeued", kIdA,
           "recipient=douyin delivery_seq=1 attempt=1 reason=the recipient's session ended before it acknowledged"},
      }));
}

TEST_F(StoreAuditTest, AResumePointAcknowledgesEachDeliveryItCovers) {
  MustSubmit(Message(1, {"douyin"}));
  MustSubmit(Message(2, {"douyin"}));
  MustLease("douyin", 2);
  MustAck("douyin", 2, 2, AckStage::kReceived);
  ASSERT_EQ(*store_->ReceivedUpTo("douyin", 2), 1);  // number 2 was acknowledged already
  EXPECT_EQ(Entries(5), (std::vector<Entry>{
                            {"acknowledged", kIdA, "recipient=douyin delivery_seq=1 stage=received via=resume"},
                        }));
  EXPECT_EQ(store_->Pending("douyin"), 0);
  ExpectChainIntact();
}

TEST_F(StoreAuditTest, ADirectLeaseIsSentInTheSubmittingTransaction) {
  Submission s = Message(1, {"douyin", "kuaishou"});
  s.lease_to = {"kuaishou"};
  s.lease_ms = 30'000;
  MustSubmit(s);
  EXPECT_EQ(Entries(), (std::vector<Entry>{
                           {"submitted", kIdA, "seq=1 sender=samr-console kind=1 recipients=douyin,kuaishou"},
                           {"sent", kIdA, "recipient=kuaishou delivery_seq=1 attempt=1"},
                       }));
  ExpectChainIntact();
}

TEST_F(StoreAuditTest, ABatchWithARefusedSubmissionLogsOnlyTheStoredOnes) {
  options_.quotas["douyin"] = 1;
  SetUp();  // reopen with the quota
  Submission first = Message(1, {"douyin"}), second = Message(2, {"douyin"});
  const Submission* batch[] = {&first, &second};
  std::vector<Result<SubmitReceipt>> results = store_->SubmitBatch(batch);
  ASSERT_TRUE(results[0].ok());
  ASSERT_EQ(results[1].status().code(), StatusCode::kOverloaded);
  EXPECT_EQ(Entries(), (std::vector<Entry>{
                           {"submitted", kIdA, "seq=1 sender=samr-console kind=1 recipients=douyin"},
                       }));
  ExpectChainIntact();
}

TEST_F(StoreAuditTest, AnAcknowledgementFailingHalfwayInABatchRollsTheBatchBack) {
  MustSubmit(Message(1, {"douyin"}));
  MustLease("douyin", 1);
  const AuditHead before = store_->AuditLogHead();
  {
    // Its audit entry fails after its UPDATE has run.
    Result<Database> db = Database::Open(options_.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.event = 'acknowledged' "
                         "BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                    .ok());
  }
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->AppendAudit("policy_reloaded", "policy.toml", "").ok());
  EXPECT_FALSE(store_->Acknowledge(1, "douyin", AckStage::kReceived).ok());
  EXPECT_FALSE(store_->AppendAudit("policy_reloaded", "policy.toml", "").ok()) << "the batch is doomed";
  EXPECT_FALSE(store_->Commit().ok());
  EXPECT_EQ(store_->AuditLogHead(), before);
  Result<std::vector<DeliveryStatus>> d = store_->Deliveries(1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->front().state, DeliveryState::kInFlight) << "the acknowledgement without its entry did not stick";
  EXPECT_EQ(store_->Pending("douyin"), 1);
  ExpectChainIntact();
  // The next batch goes through.
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->AppendAudit("policy_reloaded", "policy.toml", "").ok());
  ASSERT_TRUE(store_->Commit().ok());
  ExpectChainIntact();
}

TEST(StoreAuditUpgrade, AStoreFromBeforeTheAuditLogGetsOneOnOpen) {
  testing::TempDir dir;
  FakeClock clock;
  StoreOptions options;
  options.path = dir.File("gateway.db");
  {
    Result<std::unique_ptr<Store>> s = Store::Open(options, clock);
    ASSERT_TRUE(s.ok());
  }
  {
    // Make it a version 1 store, as the release before the audit log wrote.
    Result<Database> db = Database::Open(options.path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DROP TABLE audit_anchor; DROP TABLE legal_holds; "
                        "DROP TABLE reports; DROP TABLE catalog_applied; DROP TABLE catalog_versions; "
                        "DROP TABLE escalations; DROP TABLE directives; ALTER TABLE messages DROP COLUMN submitted_digest; "
                        "DROP TABLE acknowledgements; DROP TABLE audit_log; "
                        "PRAGMA user_version = 1").ok());
  }
  EXPECT_EQ(VerifyAuditChain(options.path).status().code(), StatusCode::kFailedPrecondition);
  Result<std::unique_ptr<Store>> s = Store::Open(options, clock);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->AppendAudit("policy_reloaded", "policy.toml", "").ok());
  Result<AuditVerdict> v = VerifyAuditChain(options.path);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->intact);
  EXPECT_EQ(v->head.seq, 1);
}

}  // namespace
}  // namespace regline
