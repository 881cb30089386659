// Outbox: retention deletes what the gateway confirmed long ago and keeps
// what still waits.
#include "connectors/outbox.h"

#include <gtest/gtest.h>

#include <future>

#include "gateway/core/test_util.h"
#include "schemas/envelope.capnp.h"

namespace regline::connector {
namespace {

constexpr int64_t kDayMs = 86'400'000;

class OutboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<Outbox> Open() {
    Result<std::unique_ptr<Outbox>> outbox = Outbox::Open({dir_.File("outbox.db"), Durability::kFull}, clock_);
    EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
    return outbox.ok() ? std::move(outbox).value() : nullptr;
  }

  void Submit(Outbox& outbox, uint64_t id_lo) {
    std::promise<Result<SubmitReceipt>> done;
    outbox.Submit("douyin", MessageId{0x5e7, id_lo}, static_cast<int>(schema::MessageKind::COMPLAINT_STATISTICS), 0,
                  "report " + std::to_string(id_lo), [&](Result<SubmitReceipt> r) { done.set_value(std::move(r)); });
    Result<SubmitReceipt> r = done.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  testing::TempDir dir_;
  FakeClock clock_;
};

TEST_F(OutboxTest, RetentionDeletesWhatTheGatewayConfirmedAndKeepsWhatWaits) {
  auto outbox = Open();
  Submit(*outbox, 1);
  Submit(*outbox, 2);
  Submit(*outbox, 3);
  Result<std::vector<LeasedDelivery>> leased = outbox->Lease(2);
  ASSERT_TRUE(leased.ok()) << leased.status().ToString();
  ASSERT_EQ(leased->size(), 2u);
  ASSERT_TRUE(outbox->MarkSent((*leased)[0].seq).ok());
  ASSERT_TRUE(outbox->MarkRefused((*leased)[1].seq, "invalid: period in the future").ok());
  EXPECT_EQ(outbox->Pending(), 1);

  Result<PruneCounts> young = outbox->PruneRetained(30 * kDayMs, 100);
  ASSERT_TRUE(young.ok()) << young.status().ToString();
  EXPECT_EQ(young->messages, 0) << "nothing is older than the period yet";

  clock_.Advance(31 * kDayMs);
  Result<PruneCounts> old = outbox->PruneRetained(30 * kDayMs, 100);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->messages, 2) << "the confirmed and the refused report";
  EXPECT_EQ(outbox->Pending(), 1) << "the report never sent is kept whatever its age";
  Result<std::vector<LeasedDelivery>> rest = outbox->Lease(10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().id, (MessageId{0x5e7, 3}));
}

}  // namespace
}  // namespace regline::connector
