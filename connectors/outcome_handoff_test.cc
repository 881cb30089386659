// OutcomeHandoff: the sink worker's outcomes written by the link's write
// while the link serves, by the worker itself otherwise; the worker hears
// back only once they are durable either way.
#include "connectors/outcome_handoff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "connectors/test_inbox.h"
#include "gateway/core/test_util.h"

namespace regline::connector {
namespace {

using testing::DirectiveDelivery;

// True once `done` holds; false if it still does not after 10 s.
template <typename Pred>
bool Eventually(Pred done) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= limit) return false;
    std::this_thread::yield();
  }
  return true;
}

class OutcomeHandoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::OpenFullInbox(dir_.File("inbox.db"), clock_, inbox_));
    std::vector<Delivery> batch = {DirectiveDelivery(1), DirectiveDelivery(2), DirectiveDelivery(3)};
    ASSERT_TRUE(inbox_->Insert(batch).ok());
  }

  // Whether the sink's outcome for message #seq is recorded.
  bool Recorded(uint64_t seq) {
    Result<std::vector<InboxEntry>> list = inbox_->List(seq - 1, 1);
    EXPECT_TRUE(list.ok());
    return list.ok() && !list->empty() && list->front().sink_state != 0;
  }

  // Calls h.Record(outcomes) on a thread of its own, as the sink worker
  // would, and returns once they wait to be taken; the future holds
  // Record's answer.
  static std::future<Status> HandOver(OutcomeHandoff& h, const std::vector<SinkOutcomeRecord>& outcomes) {
    std::future<Status> recorded = std::async(std::launch::async, [&h, &outcomes] { return h.Record(outcomes, {}); });
    EXPECT_TRUE(Eventually([&] { return h.Waiting(); })) << "Record never offered them to the link";
    return recorded;
  }

  regline::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Inbox> inbox_;
  std::atomic<int> wakes_{0};
};

TEST_F(OutcomeHandoffTest, WithoutALinkServingTheWorkerRecordsItself) {
  OutcomeHandoff h(*inbox_, [this] { ++wakes_; });
  std::vector<SinkOutcomeRecord> outcomes = {{MessageId{0xabc, 1}, SinkVerdict::kAccepted, ""}};
  ASSERT_TRUE(h.Record(outcomes, {}).ok());
  EXPECT_TRUE(Recorded(1));
  EXPECT_EQ(h.written_by_recorder(), 1);
  EXPECT_EQ(h.written_by_link(), 0);
  EXPECT_EQ(wakes_.load(), 0);
  EXPECT_FALSE(h.Take().taken);
}

TEST_F(OutcomeHandoffTest, WhileTheLinkServesItsWriteRecordsThemWithItsDeliveries) {
  OutcomeHandoff h(
      *inbox_, [this] { ++wakes_; }, /*claim_timeout_ms=*/60'000);
  h.SetServing(true);
  std::vector<SinkOutcomeRecord> outcomes = {{MessageId{0xabc, 1}, SinkVerdict::kAccepted, ""},
                                             {MessageId{0xabc, 2}, SinkVerdict::kRejected, "no such room"}};
  std::future<Status> recorded = HandOver(h, outcomes);
  // The link's side: woken, it takes them and writes them with a delivery.
  ASSERT_TRUE(Eventually([&] { return wakes_.load() > 0; }));
  EXPECT_EQ(wakes_.load(), 1) << "the link is woken once per batch handed over";
  OutcomeHandoff::Claim c = h.Take();
  ASSERT_TRUE(c.taken);
  ASSERT_EQ(c.outcomes.size(), 2u);
  EXPECT_FALSE(h.Take().taken) << "taken once";
  EXPECT_EQ(recorded.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "the worker hears back only after the write";
  std::vector<Delivery> fourth = {DirectiveDelivery(4)};
  Result<std::vector<bool>> w = inbox_->Write(WriteBatch{fourth, {}, c.outcomes, c.catalog});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  h.Finish(w.status());
  EXPECT_TRUE(recorded.get().ok());
  EXPECT_TRUE(Recorded(1));
  EXPECT_TRUE(Recorded(2));
  EXPECT_FALSE(Recorded(3));
  EXPECT_EQ(inbox_->ResumePoint(), 4u);
  EXPECT_EQ(h.written_by_link(), 1);
  EXPECT_EQ(h.written_by_recorder(), 0);
}

TEST_F(OutcomeHandoffTest, TheWorkerHearsTheLinksFailedWrite) {
  OutcomeHandoff h(*inbox_, nullptr, /*claim_timeout_ms=*/60'000);
  h.SetServing(true);
  std::vector<SinkOutcomeRecord> outcomes = {{MessageId{0xabc, 1}, SinkVerdict::kAccepted, ""}};
  std::future<Status> recorded = HandOver(h, outcomes);
  ASSERT_TRUE(h.Take().taken);
  h.Finish(IOError("disk I/O error"));
  Status s = recorded.get();
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_FALSE(Recorded(1));
}

TEST_F(OutcomeHandoffTest, OutcomesNotTakenWhenTheLinkStopsServingAreRecordedByTheWorker) {
  OutcomeHandoff h(*inbox_, nullptr, /*claim_timeout_ms=*/60'000);
  h.SetServing(true);
  std::vector<SinkOutcomeRecord> outcomes = {{MessageId{0xabc, 3}, SinkVerdict::kCompleted, ""}};
  std::future<Status> recorded = HandOver(h, outcomes);
  h.SetServing(false);  // the session ended before the link took them
  EXPECT_TRUE(recorded.get().ok());
  EXPECT_TRUE(Recorded(3));
  EXPECT_EQ(h.written_by_recorder(), 1);
  EXPECT_FALSE(h.Waiting());
  EXPECT_FALSE(h.Take().taken);
}

TEST_F(OutcomeHandoffTest, OutcomesTheServingLinkLeavesUntakenAreRecordedAfterTheClaimTimeout) {
  OutcomeHandoff h(*inbox_, nullptr, /*claim_timeout_ms=*/20);
  h.SetServing(true);
  std::vector<SinkOutcomeRecord> outcomes = {{MessageId{0xabc, 2}, SinkVerdict::kAccepted, ""}};
  ASSERT_TRUE(h.Record(outcomes, {}).ok());  // nobody takes them
  EXPECT_TRUE(Recorded(2));
  EXPECT_EQ(h.written_by_recorder(), 1);
  EXPECT_FALSE(h.Take().taken);
}

}  // namespace
}  // namespace regline::connector
