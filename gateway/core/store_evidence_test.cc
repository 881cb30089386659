// Evidence in the store: the signed acknowledgements kept with their stage
// (Store::Acknowledgements), and everything about one message read back from
// the file read-only (ReadMessageEvidence).
#include "gateway/core/store_evidence.h"

#include <gtest/gtest.h>

#include "gateway/core/sqlite.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

class StoreEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.File("gateway.db");
    Result<std::unique_ptr<Store>> s = Store::Open(options_, clock_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // A directive from samr-console to `recipients`, leased to each of them.
  uint64_t SubmitAndLease(uint64_t n, std::vector<std::string> recipients) {
    Submission s;
    s.sender = "samr-console";
    s.id = MessageId{0x2000, n};
    s.kind = 1;
    s.created_ms = clock_.NowMs();
    s.recipients = recipients;
    s.envelope = "directive-envelope-" + std::to_string(n);
    Result<SubmitReceipt> r = store_->Submit(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& to : recipients) EXPECT_TRUE(store_->Lease(to, 10, 30'000).ok());
    return r.ok() ? r->seq : 0;
  }

  int64_t AcknowledgementRows() {
    Result<Database> db = Database::OpenReadOnly(options_.path);
    EXPECT_TRUE(db.ok());
    Result<int64_t> n = db->QueryInt("SELECT count(*) FROM acknowledgements");
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreEvidenceTest, ASignedAcknowledgementIsKeptWithTheStageItFirstRecorded) {
  uint64_t seq = SubmitAndLease(1, {"douyin"});
  clock_.Advance(100);
  Result<AckReceipt> accepted = store_->Acknowledge(seq, "douyin", AckStage::kAccepted, "", "signed-accepted");
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  Result<std::vector<StoredAcknowledgement>> kept = store_->Acknowledgements(seq);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].recipient, "douyin");
  EXPECT_EQ((*kept)[0].stage, AckStage::kAccepted);
  EXPECT_EQ((*kept)[0].recorded_ms, accepted->recorded_ms);
  EXPECT_EQ((*kept)[0].envelope, "signed-accepted");
}

TEST_F(StoreEvidenceTest, ADuplicateAcknowledgementKeepsNothingNew) {
  uint64_t seq = SubmitAndLease(1, {"douyin"});
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kAccepted, "", "first").ok());
  clock_.Advance(500);
  Result<AckReceipt> again = store_->Acknowledge(seq, "douyin", AckStage::kAccepted, "", "second");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  Result<std::vector<StoredAcknowledgement>> kept = store_->Acknowledgements(seq);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].envelope, "first");
}

TEST_F(StoreEvidenceTest, AnAcknowledgementWithoutEnvelopeStoresNoRow) {
  uint64_t seq = SubmitAndLease(1, {"douyin"});
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kReceived).ok());
  EXPECT_EQ(AcknowledgementRows(), 0);
  // The envelope of a later ack for the same stage comes too late: the stage was recorded.
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kReceived, "", "late").ok());
  EXPECT_EQ(AcknowledgementRows(), 0);
}

TEST_F(StoreEvidenceTest, AcknowledgingByDeliveryNumberKeepsTheEnvelopeToo) {
  uint64_t seq = SubmitAndLease(1, {"douyin"});
  ASSERT_TRUE(
      store_->AcknowledgeDelivery("douyin", 1, MessageId{0x2000, 1}, AckStage::kCompleted, "", "signed-completed")
          .ok());
  Result<std::vector<StoredAcknowledgement>> kept = store_->Acknowledgements(seq);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  // Completion implies receipt, but only the stage the recipient signed has an envelope.
  EXPECT_EQ((*kept)[0].stage, AckStage::kCompleted);
}

TEST_F(StoreEvidenceTest, ARefusedAcknowledgementKeepsNothing) {
  uint64_t seq = SubmitAndLease(1, {"douyin"});
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kRejected, "not ours", "signed-rejected").ok());
  EXPECT_EQ(store_->Acknowledge(seq, "douyin", AckStage::kCompleted, "", "signed-completed").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(AcknowledgementRows(), 1);
}

TEST_F(StoreEvidenceTest, ReadMessageEvidenceReadsTheMessageItsDeliveriesAcknowledgementsAndAudit) {
  uint64_t seq = SubmitAndLease(7, {"douyin", "kuaishou"});
  SubmitAndLease(8, {"douyin"});  // another message: not in the evidence
  clock_.Advance(10);
  ASSERT_TRUE(store_->Acknowledge(seq, "kuaishou", AckStage::kReceived).ok());
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kAccepted, "", "douyin-accepted").ok());
  clock_.Advance(10);
  ASSERT_TRUE(store_->Acknowledge(seq, "douyin", AckStage::kCompleted, "", "douyin-completed").ok());

  Result<MessageEvidence> e = ReadMessageEvidence(options_.path, MessageId{0x2000, 7});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->seq, seq);
  EXPECT_EQ(e->sender, "samr-console");
  EXPECT_EQ(e->envelope, "directive-envelope-7");
  ASSERT_EQ(e->deliveries.size(), 2u);
  EXPECT_EQ(e->deliveries[0].recipient, "douyin");
  EXPECT_EQ(e->deliveries[0].state, DeliveryState::kCompleted);
  EXPECT_EQ(e->deliveries[0].completed_ms - e->deliveries[0].accepted_ms, 10);
  EXPECT_EQ(e->deliveries[1].recipient, "kuaishou");
  EXPECT_EQ(e->deliveries[1].state, DeliveryState::kDelivered);
  ASSERT_EQ(e->acknowledgements.size(), 2u);
  EXPECT_EQ(e->acknowledgements[0].envelope, "douyin-accepted");
  EXPECT_EQ(e->acknowledgements[1].envelope, "douyin-completed");
  // submitted, sent x2, acknowledged x3; the head is the chain's newest entry.
  std::vector<std::string> events;
  for (const AuditRecord& r : e->audit) events.push_back(r.event);
  EXPECT_EQ(events, (std::vector<std::string>{"submitted", "sent", "sent", "acknowledged", "acknowledged",
                                              "acknowledged"}));
  EXPECT_EQ(e->audit_head, store_->AuditLogHead());
  EXPECT_EQ(e->audit.back().hash, store_->AuditLogHead().hash);
}

TEST_F(StoreEvidenceTest, ReadMessageEvidenceOfAnUnknownMessageIsNotFound) {
  Result<MessageEvidence> e = ReadMessageEvidence(options_.path, MessageId{0x2000, 99});
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound) << e.status().ToString();
}

TEST_F(StoreEvidenceTest, ReadMessageEvidenceRefusesAForeignFile) {
  const std::string other = dir_.File("other.db");
  {
    Result<Database> db = Database::Open(other);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  }
  EXPECT_EQ(ReadMessageEvidence(other, MessageId{1, 1}).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace regline
