#include "gateway/core/checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "gateway/core/test_util.h"

namespace regline {
namespace {

class CheckpointerTest : public ::testing::Test {
 protected:
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

TEST_F(CheckpointerTest, IsWokenAtTheThresholdAndEachQuarterPastItNotOnEveryCommit) {
  constexpr int kThreshold = 400;
  Result<std::unique_ptr<Checkpointer>> c = Checkpointer::Start(path_, kThreshold);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  (*c)->Attach(db_.get());
  for (int i = 0; i < kThreshold / 2; ++i) CommitOne();  // below the threshold: ~200-400 frames
  Settle();
  const int below = (*c)->completed();
  // Past the threshold, short of twice it: a few hundred commits, each of
  // which sees the log above the threshold.
  int commits_past = 0;
  while (std::filesystem::file_size(path_ + "-wal") < uint64_t{kThreshold} * 4096 * 7 / 4) {
    CommitOne();
    ++commits_past;
    ASSERT_LT(commits_past, 4 * kThreshold) << "the log does not grow";
  }
  Settle();
  const int passes = (*c)->completed() - below;
  EXPECT_GE(commits_past, 100);
  EXPECT_GE(passes, 1) << "never woken past the threshold";
  // Woken at 400, 500, 600 and 700 frames: at most four passes, not one per commit.
  EXPECT_LE(passes, 4) << commits_past << " commits past the threshold";
}

}  // namespace
}  // namespace regline
