// Upgrades of the connector's inbox: a file written at every earlier
// schema version, with the rows that release wrote, opens in this build,
// is migrated to the latest version, and what it held goes on: the resume
// point, the message still waiting for the sink, the acknowledgement still
// due. One from a newer release is refused.
#include <gtest/gtest.h>

#include <optional>

#include "connectors/inbox.h"
#include "connectors/inbox_schema.h"
#include "gateway/core/test_util.h"

namespace regline::connector {
namespace {

using schema::AckStage;

// Delivery 1 went to the sink and the gateway confirmed its completion;
// delivery 2 is held, waiting for the sink, with "received" still due.
void WriteOldInbox(const std::string& path, int version) {
  Result<Database> db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(inbox_schema::PrepareDatabaseAtVersion(*db, version).ok());
  // Up to version 2 the envelope is a column of the row; from 3 it is in a
  // table of its own, keyed by the row.
  const bool own_table = version >= 3;
  Result<Statement> insert = db->Prepare(
      own_table ? "INSERT INTO inbox(message_id, delivery_seq, ack_seq, attempt, kind, received_ms, sink_state, "
                  "sink_ms, stage_wanted, stage_sent, stage_ms) VALUES (?1, ?2, ?2, 1, 1, 1700000000000, ?4, ?5, "
                  "?6, ?7, 1700000000000)"  // ?3, the envelope, goes to its own table
                : "INSERT INTO inbox(message_id, delivery_seq, ack_seq, attempt, kind, envelope, received_ms, "
                  "sink_state, sink_ms, stage_wanted, stage_sent, stage_ms) VALUES (?1, ?2, ?2, 1, 1, ?3, "
                  "1700000000000, ?4, ?5, ?6, ?7, 1700000000000)");
  ASSERT_TRUE(insert.ok()) << insert.status().ToString();
  std::optional<Statement> insert_envelope;
  if (own_table) {
    Result<Statement> st = db->Prepare("INSERT INTO envelopes(row_id, envelope) VALUES (last_insert_rowid(), ?1)");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    insert_envelope = std::move(st).value();
  }
  struct Row {
    uint64_t seq;
    int sink_state;
    int64_t sink_ms;
    AckStage wanted;
    AckStage sent;
  };
  for (const Row& r : {Row{1, 2, 1700000001000, AckStage::COMPLETED, AckStage::COMPLETED},
                       Row{2, 0, 0, AckStage::RECEIVED, AckStage::UNSPECIFIED}}) {
    auto id = MessageId{0xabc, r.seq}.ToBytes();
    const std::string envelope = "envelope-" + std::to_string(r.seq);
    insert->Reset();
    insert->BindBlob(1, id.data(), id.size()).Bind(2, static_cast<int64_t>(r.seq));
    insert->BindBlob(3, envelope.data(), envelope.size()).Bind(4, int64_t{r.sink_state}).Bind(5, r.sink_ms);
    insert->Bind(6, static_cast<int64_t>(r.wanted)).Bind(7, static_cast<int64_t>(r.sent));
    ASSERT_TRUE(insert->Run().ok());
    if (insert_envelope) {
      insert_envelope->Reset();
      insert_envelope->BindBlob(1, envelope.data(), envelope.size());
      ASSERT_TRUE(insert_envelope->Run().ok());
    }
  }
  ASSERT_TRUE(db->Exec("UPDATE resume SET held_upto = 2").ok());
}

class InboxUpgradeTest : public ::testing::TestWithParam<int> {
 protected:
  testing::TempDir dir_;
  FakeClock clock_;
};

TEST_P(InboxUpgradeTest, AnOlderInboxIsMigratedAndWhatItHeldGoesOn) {
  const std::string path = dir_.File("inbox.db");
  WriteOldInbox(path, GetParam());
  ASSERT_FALSE(HasFatalFailure());

  Result<std::unique_ptr<Inbox>> opened = Inbox::Open({path, Durability::kFull}, clock_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Inbox& inbox = **opened;
  EXPECT_EQ(inbox.ResumePoint(), 2u);
  EXPECT_EQ(inbox.CatalogHeld(), 0u);

  Result<std::optional<InboxMessage>> next = inbox.NextForSink();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->delivery_seq, 2u);
  EXPECT_EQ((*next)->envelope, "envelope-2");
  Result<std::string> first = inbox.StoredEnvelope(MessageId{0xabc, 1});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, "envelope-1") << "a message the sink took long ago keeps its envelope";

  Result<std::vector<PendingAck>> due = inbox.PendingAcks(10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].delivery_seq, 2u);
  EXPECT_EQ((*due)[0].stage, AckStage::RECEIVED);

  ASSERT_TRUE(inbox.RecordSinkOutcome(MessageId{0xabc, 2}, SinkVerdict::kCompleted, "").ok());
  Result<InboxCounts> counts = inbox.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->messages, 2);
  EXPECT_EQ(counts->awaiting_sink, 0);

  // A new delivery goes on from the resume point.
  std::vector<Delivery> third = {
      {3, 1, MessageId{0xabc, 3}, static_cast<int>(schema::MessageKind::DIRECTIVE), "envelope-3"}};
  Result<std::vector<bool>> duplicate = inbox.Insert(third);
  ASSERT_TRUE(duplicate.ok()) << duplicate.status().ToString();
  EXPECT_EQ(*duplicate, std::vector<bool>{false});
  EXPECT_EQ(inbox.ResumePoint(), 3u);
}

INSTANTIATE_TEST_SUITE_P(EveryEarlierVersion, InboxUpgradeTest, ::testing::Range(1, inbox_schema::LatestVersion()),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "FromVersion" + std::to_string(info.param);
                         });

TEST(InboxUpgrade, AnInboxFromANewerReleaseIsRefused) {
  testing::TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("inbox.db");
  ASSERT_TRUE(Inbox::Open({path, Durability::kFull}, clock).ok());
  {
    Result<Database> db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version = " + std::to_string(inbox_schema::LatestVersion() + 1)).ok());
  }
  Result<std::unique_ptr<Inbox>> s = Inbox::Open({path, Durability::kFull}, clock);
  ASSERT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("newer than this build's"), std::string::npos) << s.status().ToString();
}

}  // namespace
}  // namespace regline::connector
