// SinkWorker and the gateway link: the worker wakes the link for the
// outcomes it recorded itself, and not for those the link wrote.
#include "connectors/sink_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "connectors/test_inbox.h"
#include "gateway/core/test_util.h"

namespace regline::connector {
namespace {

using testing::DirectiveDelivery;

SinkConfig DiscardSinkConfig() {
  SinkConfig c;
  c.type = SinkType::kDiscard;
  return c;
}

class SinkWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::OpenFullInbox(dir_.File("inbox.db"), clock_, inbox_));
    Result<std::unique_ptr<Sink>> sink = MakeSink(DiscardSinkConfig());
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    sink_ = std::move(sink).value();
  }

  // Waits up to 10 s until the inbox holds n messages, all with a sink
  // outcome recorded.
  bool AllRecorded(uint64_t n) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      Result<InboxCounts> counts = inbox_->Counts();
      if (counts.ok() && counts->messages == static_cast<int64_t>(n) && counts->awaiting_sink == 0) return true;
      if (std::chrono::steady_clock::now() >= limit) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  regline::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Sink> sink_;
  std::atomic<int> link_told_{0};
};

TEST_F(SinkWorkerTest, OutcomesTheLinkWroteAreNotAnnouncedToItAgain) {
  std::atomic<int> handoff_wakes{0};
  OutcomeHandoff handoff(
      *inbox_, [&] { ++handoff_wakes; }, /*claim_timeout_ms=*/60'000);
  handoff.SetServing(true);
  // The link's side: whatever is handed over is written with the next pass.
  std::atomic<bool> stop{false};
  std::thread link([&] {
    while (!stop) {
      OutcomeHandoff::Claim c = handoff.Take();
      if (!c.taken) {
        std::this_thread::yield();
        continue;
      }
      Result<std::vector<bool>> w = inbox_->Write(WriteBatch{{}, {}, c.outcomes, c.catalog});
      handoff.Finish(w.status());
    }
  });
  SinkWorkerOptions options;
  options.handoff = &handoff;
  SinkWorker worker(*inbox_, *sink_, options, [this] { ++link_told_; });
  worker.Start();
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    std::vector<Delivery> one = {DirectiveDelivery(seq)};
    ASSERT_TRUE(inbox_->Insert(one).ok());
    worker.Notify();
    ASSERT_TRUE(AllRecorded(seq)) << "message " << seq << " never got its outcome";
  }
  worker.Stop();
  handoff.SetServing(false);
  stop = true;
  link.join();
  EXPECT_GE(handoff.written_by_link(), 1);
  EXPECT_EQ(handoff.written_by_recorder(), 0);
  EXPECT_GE(handoff_wakes.load(), 1);
  EXPECT_EQ(link_told_.load(), 0) << "the link was told again of outcomes it wrote itself";
}

TEST_F(SinkWorkerTest, OutcomesTheWorkerRecordedItselfAreAnnouncedToTheLink) {
  // No link serving: the worker records them, and the link must hear of
  // them to send their acknowledgements.
  OutcomeHandoff handoff(*inbox_, [] {});
  SinkWorkerOptions options;
  options.handoff = &handoff;
  SinkWorker worker(*inbox_, *sink_, options, [this] { ++link_told_; });
  worker.Start();
  std::vector<Delivery> batch = {DirectiveDelivery(1), DirectiveDelivery(2)};
  ASSERT_TRUE(inbox_->Insert(batch).ok());
  worker.Notify();
  ASSERT_TRUE(AllRecorded(2));
  worker.Stop();
  EXPECT_GE(handoff.written_by_recorder(), 1);
  EXPECT_GE(link_told_.load(), 1);
}

}  // namespace
}  // namespace regline::connector
