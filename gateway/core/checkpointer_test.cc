#include "gateway/core/checkpointer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "gateway/core/test_util.h"

namespace regline {
namespace {

class CheckpointerTest : public ::testing::Test {
 protected:
  // A frame of the log: a 4 KiB page (SQLite's default page size) and its
  // 24-byte header.
  static constexpr uintmax_t kFrameBytes = 4096 + 24;
  void SetUp() override {
    path_ = dir_.File("log.db");
    Result<Database> db = Database::Open(path_);
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    ASSERT_TRUE(db_.Exec("PRAGMA journal_mode = WAL; CREATE TABLE t(v BLOB)").ok());
  }

  // One commit of one small row: one or two frames of the log.
  void CommitOne() { ASSERT_TRUE(db_.Exec("INSERT INTO t(v) VALUES (randomblob(16))").ok()); }

  // Waits until the thread has run what it was woken for.
  static void Settle() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

  testing::TempDir dir_;
  std::string path_;
  Database db_;
};

TEST_F(CheckpointerTest, KeepsTheLogNearTheThresholdWithAFewPassesPerCycle) {
  constexpr int kThreshold = 400;  // frames of 4 KiB
  Result<std::unique_ptr<Checkpointer>> c = Checkpointer::Start(path_, kThreshold);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  (*c)->Attach(db_.get());
  constexpr int kCommits = 3000;  // about ten times round the log
  uintmax_t largest_log = 0;
  for (int i = 0; i < kCommits; ++i) {
    CommitOne();
    largest_log = std::max(largest_log, std::filesystem::file_size(path_ + "-wal"));
  }
  Settle();
  const int passes = (*c)->completed();
  EXPECT_GE(passes, 1) << "never woken past the threshold";
  // A few passes per cycle of the log. This bound is loose: a pass here
  // always catches up, so neither the quarter wake-ups (without them: 12)
  // nor the writer's finish (without it: still under 60) change the count
  // much; the log's size below is what tells.
  EXPECT_LE(passes, 60) << "in " << kCommits << " commits";
  // The writer finishes each cycle after the thread's pass (from 1.75
  // times the threshold), or at twice it when no pass is running, so the
  // log starts over instead of growing. On a busy machine a pass may still
  // run at twice the threshold; only at four times does the writer wait for
  // it, so that is the bound (4 KiB pages plus a 24-byte header per frame;
  // without finishes these commits write about 3,000 frames).
  EXPECT_LE(largest_log, uintmax_t{32} + uintmax_t{4} * kThreshold * kFrameBytes + 4 * kFrameBytes)
      << "frames: " << largest_log / kFrameBytes;
}

// While a reader holds the log's first frames, no pass can catch up, so
// the log only grows: the thread is woken at the threshold and at each
// further quarter of it, not at every commit, and not only once.
TEST_F(CheckpointerTest, WakesTheThreadAtTheThresholdAndAtEachQuarterAfter) {
  constexpr int kThreshold = 400;
  Result<std::unique_ptr<Checkpointer>> c = Checkpointer::Start(path_, kThreshold);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  (*c)->Attach(db_.get());
  CommitOne();
  Result<Database> reader = Database::Open(path_);
  ASSERT_TRUE(reader.ok());
  Result<Statement> pin = reader->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(pin.ok());
  ASSERT_TRUE(reader->Exec("BEGIN").ok());
  ASSERT_TRUE(pin->Step().ok());  // the read transaction starts here and holds its snapshot
  // Up to just under twice the threshold, where the writer would step in.
  auto log_frames = [&] { return static_cast<int>(std::filesystem::file_size(path_ + "-wal") / kFrameBytes); };
  int commits = 0;
  while (log_frames() < 2 * kThreshold - 8) {
    CommitOne();
    ++commits;
  }
  // At 400, 500, 600 and 700 frames (give or take the frames of a commit).
  EXPECT_GE((*c)->wakes(), 3) << "after " << commits << " commits, " << log_frames() << " frames";
  EXPECT_LE((*c)->wakes(), 5) << "after " << commits << " commits, " << log_frames() << " frames";
  pin->Reset();
  ASSERT_TRUE(reader->Exec("COMMIT").ok());
}

}  // namespace
}  // namespace regline
