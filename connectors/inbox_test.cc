// Inbox: each message held once, the resume point over contiguous
// delivery numbers, acknowledgements due until the gateway confirms them,
// all of it across a reopen.
#include "connectors/inbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gateway/core/test_util.h"

namespace regline::connector {
namespace {

using schema::AckStage;

Delivery D(uint64_t seq, uint64_t id_lo, const std::string& envelope = "envelope bytes") {
  return Delivery{seq, 1, MessageId{0xabc, id_lo}, static_cast<int>(schema::MessageKind::DIRECTIVE), envelope};
}

class InboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<Inbox> Open() {
    Result<std::unique_ptr<Inbox>> inbox = Inbox::Open({dir_.File("inbox.db"), Durability::kFull}, clock_);
    EXPECT_TRUE(inbox.ok()) << inbox.status().ToString();
    return inbox.ok() ? std::move(inbox).value() : nullptr;
  }

  std::vector<bool> Insert(Inbox& inbox, std::vector<Delivery> batch) {
    Result<std::vector<bool>> r = inbox.Insert(batch);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<bool>{};
  }

  static std::vector<std::pair<uint64_t, AckStage>> Due(Inbox& inbox) {
    std::vector<std::pair<uint64_t, AckStage>> out;
    Result<std::vector<PendingAck>> due = inbox.PendingAcks(100);
    EXPECT_TRUE(due.ok());
    for (const auto& a : *due) out.emplace_back(a.delivery_seq, a.stage);
    return out;
  }

  static void Confirm(Inbox& inbox) {
    Result<std::vector<PendingAck>> due = inbox.PendingAcks(100);
    ASSERT_TRUE(due.ok());
    std::vector<SentAck> sent;
    for (const auto& a : *due) sent.push_back({a.id, a.stage, ""});
    ASSERT_TRUE(inbox.MarkAcksSent(sent).ok());
  }

  testing::TempDir dir_;
  FakeClock clock_;
};

TEST_F(InboxTest, StoresEachMessageOnceAndFlagsRedeliveries) {
  auto inbox = Open();
  EXPECT_EQ(Insert(*inbox, {D(1, 1), D(2, 2)}), (std::vector<bool>{false, false}));
  EXPECT_EQ(Insert(*inbox, {D(2, 2, "other bytes"), D(3, 3)}), (std::vector<bool>{true, false}));
  Result<InboxCounts> counts = inbox->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 3);
  EXPECT_EQ(counts->awaiting_sink, 3);
}

TEST_F(InboxTest, EachDurabilitySyncsAsConfigured) {
  // kNormal: commits are not fsynced (a process crash loses nothing, a
  // power loss may); kFull: every commit holding deliveries or outcomes is,
  // and marks alone are not (MarkAcksSent), after which FULL is back.
  for (Durability durability : {Durability::kNormal, Durability::kFull}) {
    SCOPED_TRACE(durability == Durability::kFull ? "full" : "normal");
    const std::string path = dir_.File(durability == Durability::kFull ? "full.db" : "normal.db");
    Result<std::unique_ptr<Inbox>> inbox = Inbox::Open({path, durability}, clock_);
    ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
    const int64_t level = durability == Durability::kFull ? 2 : 1;
    EXPECT_EQ((*inbox)->SynchronousLevel().value(), level);
    Insert(**inbox, {D(1, 1)});
    EXPECT_EQ((*inbox)->SynchronousLevel().value(), level);
    Confirm(**inbox);
    EXPECT_EQ((*inbox)->SynchronousLevel().value(), level);
    inbox->reset();
    // And again when reopened.
    inbox = Inbox::Open({path, durability}, clock_);
    ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
    EXPECT_EQ((*inbox)->SynchronousLevel().value(), level);
  }
}

TEST_F(InboxTest, ADuplicateWithinOneBatchIsStoredOnce) {
  auto inbox = Open();
  EXPECT_EQ(Insert(*inbox, {D(1, 1), D(1, 1)}), (std::vector<bool>{false, true}));
  EXPECT_EQ(inbox->Counts()->messages, 1);
}

TEST_F(InboxTest, ResumePointCoversOnlyContiguousNumbers) {
  auto inbox = Open();
  EXPECT_EQ(inbox->ResumePoint(), 0u);
  Insert(*inbox, {D(1, 1), D(2, 2), D(4, 4), D(6, 6)});
  EXPECT_EQ(inbox->ResumePoint(), 2u);
  Insert(*inbox, {D(3, 3)});
  EXPECT_EQ(inbox->ResumePoint(), 4u);
  Insert(*inbox, {D(5, 5)});
  EXPECT_EQ(inbox->ResumePoint(), 6u);
}

TEST_F(InboxTest, ResumePointAndNumbersAboveAGapSurviveAReopen) {
  {
    auto inbox = Open();
    Insert(*inbox, {D(1, 1), D(3, 3), D(4, 4)});
    EXPECT_EQ(inbox->ResumePoint(), 1u);
  }
  auto inbox = Open();
  EXPECT_EQ(inbox->ResumePoint(), 1u);
  Insert(*inbox, {D(2, 2)});
  EXPECT_EQ(inbox->ResumePoint(), 4u);
}

TEST_F(InboxTest, CheckWritableCommitsAWriteThatChangesNothing) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1), D(3, 3)});
  Result<Database> other = Database::Open(dir_.File("inbox.db"));
  ASSERT_TRUE(other.ok());
  // PRAGMA data_version changes for this connection when another commits
  // a change to the file: a check that wrote nothing would not move it.
  Result<int64_t> before = other->QueryInt("PRAGMA data_version");
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(inbox->CheckWritable().ok());
  EXPECT_NE(*other->QueryInt("PRAGMA data_version"), *before);
  EXPECT_EQ(*other->QueryInt("SELECT held_upto FROM resume"), 1);
  EXPECT_EQ(inbox->ResumePoint(), 1u);
  EXPECT_TRUE(inbox->fence().ok());
  auto reopened = (inbox.reset(), Open());
  EXPECT_EQ(reopened->ResumePoint(), 1u);
  Insert(*reopened, {D(2, 2)});
  EXPECT_EQ(reopened->ResumePoint(), 3u);
}

TEST_F(InboxTest, ARedeliveryOfAHeldMessageStillCountsForTheResumePoint) {
  auto inbox = Open();
  Insert(*inbox, {D(2, 2)});
  Insert(*inbox, {D(1, 1), D(2, 2)});
  EXPECT_EQ(inbox->ResumePoint(), 2u);
}

TEST_F(InboxTest, EveryNewMessageIsDueAsReceivedUntilConfirmed) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1), D(2, 2)});
  EXPECT_EQ(Due(*inbox),
            (std::vector<std::pair<uint64_t, AckStage>>{{1, AckStage::RECEIVED}, {2, AckStage::RECEIVED}}));
  Confirm(*inbox);
  EXPECT_TRUE(Due(*inbox).empty());
}

TEST_F(InboxTest, ARedeliveryMakesTheAcknowledgementDueAgain) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1)});
  Confirm(*inbox);
  EXPECT_EQ(Insert(*inbox, {D(1, 1)}), std::vector<bool>{true});
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{{1, AckStage::RECEIVED}}));
  // Handed to the sink only once.
  ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 1}, SinkVerdict::kAccepted, "").ok());
  EXPECT_FALSE(inbox->NextForSink()->has_value());
}

TEST_F(InboxTest, AcknowledgementsStillDueSurviveAReopen) {
  {
    auto inbox = Open();
    Insert(*inbox, {D(1, 1), D(2, 2)});
    Confirm(*inbox);
    ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 1}, SinkVerdict::kAccepted, "").ok());
    ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 2}, SinkVerdict::kRejected, "no such live room").ok());
  }
  auto inbox = Open();
  Result<std::vector<PendingAck>> due = inbox->PendingAcks(10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].stage, AckStage::ACCEPTED);
  EXPECT_EQ((*due)[1].stage, AckStage::REJECTED);
  EXPECT_EQ((*due)[1].reason_code, schema::RejectReason::OTHER);
  EXPECT_EQ((*due)[1].reason, "no such live room");
  EXPECT_EQ((*due)[1].at_ms, clock_.NowMs());
}

TEST_F(InboxTest, ALaterStageRecordedBeforeSendingReplacesTheEarlierOne) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1)});
  ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 1}, SinkVerdict::kCompleted, "").ok());
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{{1, AckStage::COMPLETED}}));
}

TEST_F(InboxTest, AStageRecordedWhileAnEarlierOneIsInFlightStaysDue) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1)});
  Result<std::vector<PendingAck>> due = inbox->PendingAcks(10);  // "received" goes out...
  ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 1}, SinkVerdict::kAccepted, "").ok());
  std::vector<SentAck> sent{{(*due)[0].id, (*due)[0].stage, ""}};  // ... and is confirmed
  ASSERT_TRUE(inbox->MarkAcksSent(sent).ok());
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{{1, AckStage::ACCEPTED}}));
}

TEST_F(InboxTest, TheSinkGetsMessagesInDeliveryOrder) {
  auto inbox = Open();
  Insert(*inbox, {D(2, 20), D(1, 10), D(3, 30)});
  for (uint64_t seq : {1, 2, 3}) {
    Result<std::optional<InboxMessage>> next = inbox->NextForSink();
    ASSERT_TRUE(next.ok() && next->has_value());
    EXPECT_EQ((*next)->delivery_seq, seq);
    EXPECT_EQ((*next)->id, (MessageId{0xabc, seq * 10}));
    EXPECT_EQ((*next)->envelope, "envelope bytes");
    ASSERT_TRUE(inbox->RecordSinkOutcome((*next)->id, SinkVerdict::kAccepted, "").ok());
  }
  EXPECT_FALSE(inbox->NextForSink()->has_value());
}

TEST_F(InboxTest, StagesSetByHandOnlyMoveForward) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1), D(2, 2)});
  const MessageId one{0xabc, 1}, two{0xabc, 2};
  using RR = schema::RejectReason;
  Result<StageReceipt> accepted = inbox->RecordStage(one, 1, AckStage::ACCEPTED, RR::UNSPECIFIED, "", 5);
  ASSERT_TRUE(accepted.ok());
  EXPECT_FALSE(accepted->duplicate);
  EXPECT_EQ(accepted->recorded_ms, 5);
  EXPECT_TRUE(inbox->RecordStage(one, 0, AckStage::RECEIVED, RR::UNSPECIFIED, "", 6)->duplicate);
  EXPECT_TRUE(inbox->RecordStage(one, 0, AckStage::ACCEPTED, RR::UNSPECIFIED, "", 7)->duplicate);
  EXPECT_FALSE(inbox->RecordStage(one, 0, AckStage::COMPLETED, RR::UNSPECIFIED, "", 8)->duplicate);
  EXPECT_EQ(inbox->RecordStage(one, 0, AckStage::REJECTED, RR::MALFORMED, "late", 9).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(inbox->RecordStage(two, 2, AckStage::REJECTED, RR::SUBJECT_NOT_FOUND, "no room 8812", 10).ok());
  EXPECT_EQ(inbox->RecordStage(two, 2, AckStage::COMPLETED, RR::UNSPECIFIED, "", 11).status().code(),
            StatusCode::kFailedPrecondition);
  Result<std::vector<PendingAck>> due = inbox->PendingAcks(10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].stage, AckStage::COMPLETED);
  EXPECT_EQ((*due)[1].stage, AckStage::REJECTED);
  EXPECT_EQ((*due)[1].reason_code, RR::SUBJECT_NOT_FOUND);
  EXPECT_EQ((*due)[1].reason, "no room 8812");
}

TEST_F(InboxTest, StagesForUnknownMessagesOrWrongNumbersAreNotFound) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1)});
  using RR = schema::RejectReason;
  EXPECT_EQ(inbox->RecordStage(MessageId{9, 9}, 0, AckStage::ACCEPTED, RR::UNSPECIFIED, "", 1).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(inbox->RecordStage(MessageId{0xabc, 1}, 7, AckStage::ACCEPTED, RR::UNSPECIFIED, "", 1).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(inbox->RecordStage(MessageId{0xabc, 1}, 1, AckStage::UNSPECIFIED, RR::UNSPECIFIED, "", 1).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(InboxTest, TheSinkOutcomeDoesNotUndoAStageSetByHand) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1)});
  const MessageId id{0xabc, 1};
  ASSERT_TRUE(inbox->RecordStage(id, 0, AckStage::COMPLETED, schema::RejectReason::UNSPECIFIED, "", 3).ok());
  ASSERT_TRUE(inbox->RecordSinkOutcome(id, SinkVerdict::kRejected, "handler said no").ok());
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{{1, AckStage::COMPLETED}}));
  EXPECT_FALSE(inbox->NextForSink()->has_value());
}

TEST_F(InboxTest, RefusesAFileThatIsNotAnInbox) {
  {
    Result<Database> db = Database::Open(dir_.File("inbox.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE foreign_data(x)").ok());
  }
  Result<std::unique_ptr<Inbox>> inbox = Inbox::Open({dir_.File("inbox.db"), Durability::kFull}, clock_);
  EXPECT_EQ(inbox.status().code(), StatusCode::kCorruption);
}

TEST_F(InboxTest, SinkBatchesComeInDeliveryOrderAndTheirOutcomesCommitTogether) {
  auto inbox = Open();
  Insert(*inbox, {D(3, 3), D(1, 1), D(2, 2), D(4, 4)});
  Result<std::vector<InboxMessage>> batch = inbox->NextBatchForSink(3);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ((*batch)[0].delivery_seq, 1u);
  EXPECT_EQ((*batch)[1].delivery_seq, 2u);
  EXPECT_EQ((*batch)[2].delivery_seq, 3u);
  std::vector<SinkOutcomeRecord> outcomes = {{(*batch)[0].id, SinkVerdict::kAccepted, ""},
                                             {(*batch)[1].id, SinkVerdict::kRejected, "unknown live room"},
                                             {(*batch)[2].id, SinkVerdict::kCompleted, ""}};
  ASSERT_TRUE(inbox->RecordSinkOutcomes(outcomes).ok());
  Result<std::vector<InboxMessage>> rest = inbox->NextBatchForSink(10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().delivery_seq, 4u);
  EXPECT_EQ(Due(*inbox),
            (std::vector<std::pair<uint64_t, AckStage>>{
                {1, AckStage::ACCEPTED}, {2, AckStage::REJECTED}, {3, AckStage::COMPLETED}, {4, AckStage::RECEIVED}}));

  // One unknown id fails the whole batch: nothing of it is recorded.
  std::vector<SinkOutcomeRecord> bad = {{MessageId{0xabc, 4}, SinkVerdict::kAccepted, ""},
                                        {MessageId{0xabc, 99}, SinkVerdict::kAccepted, ""}};
  EXPECT_EQ(inbox->RecordSinkOutcomes(bad).code(), StatusCode::kNotFound);
  EXPECT_EQ(inbox->NextBatchForSink(10)->size(), 1u);
}

TEST_F(InboxTest, AckReadersReadOnFromTheirPositionAndHearOfRowsDueAgainBehindIt) {
  auto inbox = Open();
  const MessageId m1{0xabc, 1}, m2{0xabc, 2}, m3{0xabc, 3};
  Insert(*inbox, {D(1, 1), D(2, 2), D(3, 3)});
  EXPECT_EQ(inbox->PendingAcks(10, 0)->size(), 3u);
  Result<std::vector<PendingAck>> after = inbox->PendingAcks(10, 2);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().delivery_seq, 3u);
  EXPECT_TRUE(inbox->TakeAckRechecks().empty());

  // Confirmed as received, then raised by the sink: due again behind the reader.
  std::vector<SentAck> first = {{m1, AckStage::RECEIVED, ""}};
  ASSERT_TRUE(inbox->MarkAcksSent(first).ok());
  EXPECT_TRUE(inbox->TakeAckRechecks().empty()) << "nothing new was due";
  ASSERT_TRUE(inbox->RecordSinkOutcome(m1, SinkVerdict::kAccepted, "").ok());
  EXPECT_EQ(inbox->TakeAckRechecks(), (std::vector<MessageId>{m1}));

  // Raised while "received" was on its way: confirming received leaves it due.
  ASSERT_TRUE(inbox->RecordSinkOutcome(m2, SinkVerdict::kCompleted, "").ok());
  EXPECT_TRUE(inbox->TakeAckRechecks().empty()) << "never confirmed: the reader has not passed it for good";
  std::vector<SentAck> second = {{m2, AckStage::RECEIVED, ""}};
  ASSERT_TRUE(inbox->MarkAcksSent(second).ok());
  EXPECT_EQ(inbox->TakeAckRechecks(), (std::vector<MessageId>{m2}));

  // Delivered again: due again.
  Insert(*inbox, {D(3, 3)});
  EXPECT_EQ(inbox->TakeAckRechecks(), (std::vector<MessageId>{m3}));

  // Read by id: only those due, in delivery order, each once.
  std::vector<MessageId> ids = {m3, m2, m1, m2, MessageId{0xabc, 99}};
  Result<std::vector<PendingAck>> due = inbox->PendingAcksFor(ids);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].id, m1);
  EXPECT_EQ((*due)[0].stage, AckStage::ACCEPTED);
  EXPECT_EQ((*due)[1].id, m2);
  EXPECT_EQ((*due)[1].stage, AckStage::COMPLETED);
  EXPECT_EQ((*due)[2].id, m3);
  std::vector<SentAck> all = {
      {m1, AckStage::ACCEPTED, ""}, {m2, AckStage::COMPLETED, ""}, {m3, AckStage::RECEIVED, ""}};
  ASSERT_TRUE(inbox->MarkAcksSent(all).ok());
  EXPECT_TRUE(inbox->PendingAcksFor(ids)->empty());
}

TEST_F(InboxTest, OneWriteMarksRecordsAndStoresTogetherOrNotAtAll) {
  auto inbox = Open();
  const MessageId m1{0xabc, 1}, m2{0xabc, 2};
  Insert(*inbox, {D(1, 1), D(2, 2)});
  ASSERT_EQ(inbox->ResumePoint(), 2u);

  // The gateway confirmed both "received"; the sink accepted #1; #3 and #4
  // arrived: one transaction.
  std::vector<SentAck> sent = {{m1, AckStage::RECEIVED, ""}, {m2, AckStage::RECEIVED, ""}};
  std::vector<SinkOutcomeRecord> outcomes = {{m1, SinkVerdict::kAccepted, ""}};
  std::vector<Delivery> more = {D(3, 3), D(4, 4)};
  Result<std::vector<bool>> stored = inbox->Write(WriteBatch{more, sent, outcomes, {}});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(*stored, (std::vector<bool>{false, false}));
  EXPECT_EQ(inbox->ResumePoint(), 4u);
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{
                             {1, AckStage::ACCEPTED}, {3, AckStage::RECEIVED}, {4, AckStage::RECEIVED}}));
  // #1's accepted is due behind a reader that passed it when "received" was confirmed.
  EXPECT_EQ(inbox->TakeAckRechecks(), (std::vector<MessageId>{m1}));
  Result<std::vector<InboxMessage>> for_sink = inbox->NextBatchForSink(10);
  ASSERT_TRUE(for_sink.ok());
  ASSERT_EQ(for_sink->size(), 3u);  // #2, #3, #4
  EXPECT_EQ(for_sink->front().id, m2);

  // An outcome for an id the inbox does not hold fails the write: neither
  // the marks, nor the other outcome, nor the deliveries are kept.
  std::vector<SentAck> sent2 = {{m1, AckStage::ACCEPTED, ""}};
  std::vector<SinkOutcomeRecord> bad = {{m2, SinkVerdict::kAccepted, ""},
                                        {MessageId{0xabc, 99}, SinkVerdict::kAccepted, ""}};
  std::vector<Delivery> fifth = {D(5, 5)};
  EXPECT_EQ(inbox->Write(WriteBatch{fifth, sent2, bad, {}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(inbox->ResumePoint(), 4u);
  EXPECT_EQ(inbox->NextBatchForSink(10)->size(), 3u);
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{
                             {1, AckStage::ACCEPTED}, {3, AckStage::RECEIVED}, {4, AckStage::RECEIVED}}));
  EXPECT_TRUE(inbox->TakeAckRechecks().empty()) << "a failed write leaves nothing due again";

  // And what was written survives a reopen.
  inbox.reset();
  inbox = Open();
  EXPECT_EQ(inbox->ResumePoint(), 4u);
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{
                             {1, AckStage::ACCEPTED}, {3, AckStage::RECEIVED}, {4, AckStage::RECEIVED}}));
}

// Writes from several threads share transactions; one op's failure undoes
// only that op.
TEST_F(InboxTest, ConcurrentWritersEachGetTheirOwnResult) {
  auto inbox = Open();
  std::atomic<int> refused{0}, sent_marks{0};
  std::thread inserter([&] {
    for (uint64_t b = 0; b < 100; ++b) {
      std::vector<Delivery> batch;
      for (uint64_t i = 1; i <= 5; ++i) batch.push_back(D(b * 5 + i, b * 5 + i));
      Result<std::vector<bool>> r = inbox->Insert(batch);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  });
  std::thread stranger([&] {
    for (uint64_t i = 0; i < 200; ++i) {
      // Never delivered: refused, and nothing else is undone by it.
      Result<StageReceipt> r =
          inbox->RecordStage(MessageId{0xdead, i + 1}, 0, AckStage::ACCEPTED, schema::RejectReason::UNSPECIFIED, "", 0);
      if (r.status().code() == StatusCode::kNotFound) refused++;
      std::vector<SentAck> none = {{MessageId{0xdead, i + 1}, AckStage::RECEIVED, ""}};
      if (inbox->MarkAcksSent(none).ok()) sent_marks++;
    }
  });
  inserter.join();
  stranger.join();
  EXPECT_EQ(refused.load(), 200);
  EXPECT_EQ(sent_marks.load(), 200);  // marking an unknown id changes nothing and is not an error
  EXPECT_EQ(inbox->ResumePoint(), 500u);
  Result<InboxCounts> counts = inbox->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 500);
  EXPECT_EQ(counts->pending_acks, 500);
  inbox.reset();
  auto again = Open();
  EXPECT_EQ(again->ResumePoint(), 500u) << "the resume point did not survive a reopen";
}

}  // namespace
}  // namespace regline::connector

namespace regline::connector {
namespace {

class InboxCatalogTest : public InboxTest {};

std::vector<uint64_t> SinkQueue(Inbox& inbox) {
  std::vector<uint64_t> seqs;
  Result<std::vector<InboxMessage>> next = inbox.NextBatchForSink(100);
  EXPECT_TRUE(next.ok());
  if (next.ok()) {
    for (const auto& m : *next) seqs.push_back(m.delivery_seq);
  }
  return seqs;
}

TEST_F(InboxCatalogTest, ParkedUpdatesLeaveTheSinkQueueUntilTheVersionHeldChanges) {
  auto inbox = Open();
  EXPECT_EQ(inbox->CatalogHeld(), 0u);
  Insert(*inbox, {D(1, 1), D(2, 2), D(3, 3)});
  // 1 and 2 park; 3 (not catalog) is handed over meanwhile.
  CatalogProgress park;
  park.park = {MessageId{0xabc, 1}, MessageId{0xabc, 2}};
  ASSERT_TRUE(inbox->RecordSinkOutcomes({}, park).ok());
  EXPECT_EQ(SinkQueue(*inbox), (std::vector<uint64_t>{3}));
  EXPECT_EQ(*inbox->CatalogParked(), 2);
  EXPECT_EQ(inbox->Counts()->parked, 2);
  // Parking records no stage: only "received" stays due.
  EXPECT_EQ(Due(*inbox), (std::vector<std::pair<uint64_t, AckStage>>{
                             {1, AckStage::RECEIVED}, {2, AckStage::RECEIVED}, {3, AckStage::RECEIVED}}));

  // A snapshot taken (message 3's outcome moves the version to 7): the
  // parked ones come back to be judged again, in delivery order.
  CatalogProgress took;
  took.held = 7;
  SinkOutcomeRecord outcome{MessageId{0xabc, 3}, SinkVerdict::kAccepted, "", 0};
  ASSERT_TRUE(inbox->RecordSinkOutcomes({&outcome, 1}, took).ok());
  EXPECT_EQ(inbox->CatalogHeld(), 7u);
  EXPECT_EQ(SinkQueue(*inbox), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(*inbox->CatalogParked(), 0);

  // The version held and what is parked survive a reopen.
  park.park = {MessageId{0xabc, 2}};
  ASSERT_TRUE(inbox->RecordSinkOutcomes({}, park).ok());
  inbox.reset();
  inbox = Open();
  EXPECT_EQ(inbox->CatalogHeld(), 7u);
  EXPECT_EQ(SinkQueue(*inbox), (std::vector<uint64_t>{1}));
  EXPECT_EQ(*inbox->CatalogParked(), 1);
}

TEST_F(InboxCatalogTest, TheSameVersionAgainUnparksNothing) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1), D(2, 2)});
  CatalogProgress first;
  first.held = 4;
  first.park = {MessageId{0xabc, 1}};
  ASSERT_TRUE(inbox->RecordSinkOutcomes({}, first).ok());
  EXPECT_EQ(SinkQueue(*inbox), (std::vector<uint64_t>{2}));
  CatalogProgress same;
  same.held = 4;
  SinkOutcomeRecord outcome{MessageId{0xabc, 2}, SinkVerdict::kCompleted, "", 0};
  ASSERT_TRUE(inbox->RecordSinkOutcomes({&outcome, 1}, same).ok());
  EXPECT_EQ(SinkQueue(*inbox), (std::vector<uint64_t>{}));
  EXPECT_EQ(*inbox->CatalogParked(), 1);
}

TEST_F(InboxTest, PruneDeletesOnlyOldMessagesWhoseStoryIsOver) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1), D(2, 2), D(3, 3), D(4, 4)});
  // 1 accepted, 4 rejected, both confirmed by the gateway; 3 still waits
  // for the sink (its "received" is confirmed); 2 is accepted after the
  // confirmations, so that ack is still due.
  ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 1}, SinkVerdict::kAccepted, "").ok());
  ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 4}, SinkVerdict::kRejected, "no such room").ok());
  Confirm(*inbox);
  ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 2}, SinkVerdict::kAccepted, "").ok());
  // 5 arrives a day later, decided and confirmed.
  clock_.Advance(86'400'000);
  Insert(*inbox, {D(5, 5)});
  ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, 5}, SinkVerdict::kAccepted, "").ok());

  Result<int> none = inbox->Prune(clock_.NowMs() - 2 * 86'400'000, 100);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0) << "nothing arrived before two days ago";

  Result<int> pruned = inbox->Prune(clock_.NowMs() - 43'200'000, 100);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(*pruned, 2);
  Result<std::vector<InboxEntry>> left = inbox->List(0, 100);
  ASSERT_TRUE(left.ok());
  std::vector<uint64_t> seqs;
  for (const InboxEntry& e : *left) seqs.push_back(e.message.delivery_seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{2, 3, 5})) << "2's ack is due, 3 waits for the sink, 5 is too young";
  EXPECT_EQ(inbox->ResumePoint(), 5u) << "pruning does not move the resume point";
  // A pruned message's envelope goes with it.
  Result<Database> file = Database::Open(dir_.File("inbox.db"));
  ASSERT_TRUE(file.ok());
  Result<int64_t> envelopes = file->QueryInt("SELECT count(*) FROM envelopes");
  ASSERT_TRUE(envelopes.ok()) << envelopes.status().ToString();
  EXPECT_EQ(*envelopes, 3);
  EXPECT_EQ(*file->QueryInt("SELECT count(*) FROM envelopes WHERE row_id NOT IN (SELECT row_id FROM inbox)"), 0);
}

TEST_F(InboxTest, PruneKeepsAMessageWhoseLastAckIsStillDueAndGoesInBatches) {
  auto inbox = Open();
  Insert(*inbox, {D(1, 1), D(2, 2), D(3, 3)});
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(inbox->RecordSinkOutcome(MessageId{0xabc, i}, SinkVerdict::kCompleted, "").ok());
  }
  clock_.Advance(10);
  Result<int> unconfirmed = inbox->Prune(clock_.NowMs(), 100);
  ASSERT_TRUE(unconfirmed.ok());
  EXPECT_EQ(*unconfirmed, 0) << "the gateway has not confirmed the completed stage";
  Confirm(*inbox);
  Result<int> first = inbox->Prune(clock_.NowMs(), 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 2);
  Result<int> second = inbox->Prune(clock_.NowMs(), 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 1);
  Result<InboxCounts> counts = inbox->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 0);
}

}  // namespace
}  // namespace regline::connector
