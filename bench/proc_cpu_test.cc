// The /proc readers behind the benchmarks' per-thread CPU, context-switch
// and machine figures: each reads what it should, and 0 when it cannot.
#include "bench/proc_cpu.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gateway/core/test_util.h"

namespace regline::bench {
namespace {

// A file holding `text` in `dir`.
std::string Write(const regline::testing::TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.File(name)) << text;
  return dir.File(name);
}

// Computes until `done()` holds or 10 s have passed.
template <typename Done>
void ComputeUntil(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  volatile uint64_t sink = 0;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1'000'000; ++i) sink = sink + static_cast<uint64_t>(i);
  }
}

TEST(ProcCpuTest, CpuTicksAddsUserAndSystemTimeAfterTheCommandName) {
  // A command name holding spaces and a ')' of its own: fields are counted
  // from the last ')'. utime (field 14) 700 and stime (field 15) 42.
  regline::testing::TempDir dir;
  const std::string stat =
      Write(dir, "stat", "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 700 42 0 0 20 0 9\n");
  EXPECT_EQ(CpuTicks(stat), 742);
  EXPECT_EQ(CpuTicks("/nonexistent/stat"), 0);
}

TEST(ProcCpuTest, CpuTicksOfThisProcessGrowWhileItComputes) {
  const int64_t before = CpuTicks("/proc/self/stat");
  ComputeUntil([&] { return CpuTicks("/proc/self/stat") != before; });
  EXPECT_GT(CpuTicks("/proc/self/stat"), before);
}

TEST(ProcCpuTest, ContextSwitchesCountBothKinds) {
  regline::testing::TempDir dir;
  const std::string status =
      Write(dir, "status", "Name:\tx\nvoluntary_ctxt_switches:\t120\nnonvoluntary_ctxt_switches:\t3\n");
  EXPECT_EQ(ContextSwitches(status), 123);
  EXPECT_EQ(ContextSwitches("/nonexistent/status"), 0);
}

TEST(ProcCpuTest, ASleepIsAContextSwitchOfTheThread) {
  const std::filesystem::path self = "/proc/thread-self/status";
  const int64_t before = ContextSwitches(self);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GT(ContextSwitches(self), before);
}

TEST(ProcCpuTest, MachineTicksCountBusyTimeWithinAllTime) {
  const MachineTicks before = ReadMachineTicks();
  EXPECT_GT(before.busy, 0);
  EXPECT_GT(before.all, before.busy);
  ComputeUntil([&] { return ReadMachineTicks().busy != before.busy; });
  const MachineTicks after = ReadMachineTicks();
  EXPECT_GT(after.busy, before.busy);
  EXPECT_GE(after.all - before.all, after.busy - before.busy);
}

}  // namespace
}  // namespace regline::bench
