#include "gateway/server/verifier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>

namespace regline::server {
namespace {

TEST(OrderedVerifierTest, ContinuationsRunInSubmitOrderWhateverTheChecksTake) {
  std::vector<int> order;
  std::mutex mu;
  {
    OrderedVerifier verifier(4);
    std::mt19937 rng(7);
    for (int i = 0; i < 400; ++i) {
      const int delay_us = static_cast<int>(rng() % 300);
      verifier.Submit(
          [delay_us, i]() -> Status {
            std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
            return i % 5 == 0 ? InvalidSignature("bad " + std::to_string(i)) : Status::Ok();
          },
          [&, i](Status s) {
            EXPECT_EQ(s.ok(), i % 5 != 0) << i;
            std::lock_guard lock(mu);
            order.push_back(i);
          });
    }
  }  // the destructor finishes every check and continuation
  ASSERT_EQ(order.size(), 400u);
  for (int i = 0; i < 400; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(OrderedVerifierTest, ChecksRunInParallel) {
  OrderedVerifier verifier(2);
  std::atomic<int> running{0}, most{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 8; ++i) {
    verifier.Submit(
        [&]() -> Status {
          int now = ++running;
          int seen = most.load();
          while (now > seen && !most.compare_exchange_weak(seen, now)) {
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          --running;
          return Status::Ok();
        },
        [&](Status) { ++finished; });
  }
  verifier.Stop();
  EXPECT_EQ(finished.load(), 8);
  EXPECT_EQ(most.load(), 2);
}

TEST(OrderedVerifierTest, AfterStopChecksRunOnTheCallersThread) {
  OrderedVerifier verifier(1);
  verifier.Stop();
  bool ran = false;
  verifier.Submit([] { return Status::Ok(); }, [&](Status s) { ran = s.ok(); });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace regline::server
