#include "gateway/core/log_gather_vfs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "gateway/core/sqlite.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

class LogGatherVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Database> db = Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    writer_ = std::move(db).value();
    // NORMAL: SQLite does not sync the log at a commit, so nothing but the
    // commit frame's write flushes what was gathered.
    ASSERT_TRUE(writer_
                    .Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                          "PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)")
                    .ok());
  }

  // What a second connection, reading the files through descriptors of its
  // own, finds: the rows and the sum of their sizes.
  std::pair<int64_t, int64_t> SeenByAnotherConnection() {
    Result<Database> reader = Database::OpenReadOnly(path_);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {-1, -1};
    Result<Statement> st = reader->Prepare("SELECT count(*), coalesce(sum(length(v)), 0) FROM t");
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (!st.ok()) return {-1, -1};
    Result<bool> row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return {st->ColumnInt64(0), st->ColumnInt64(1)};
  }

  int64_t LogBytesOnDisk() { return static_cast<int64_t>(std::filesystem::file_size(path_ + "-wal")); }

  testing::TempDir dir_;
  std::string path_ = dir_.File("gather.db");
  Database writer_;
};

TEST_F(LogGatherVfsTest, IsSQLitesDefaultOnceADatabaseIsOpen) {
  sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
  ASSERT_NE(vfs, nullptr);
  EXPECT_STREQ(vfs->zName, kLogGatherVfsName);
  EXPECT_TRUE(RegisterLogGatherVfs());  // a second call changes nothing
  EXPECT_STREQ(sqlite3_vfs_find(nullptr)->zName, kLogGatherVfsName);
}

TEST_F(LogGatherVfsTest, ACommittedTransactionIsInTheLogFileWhenTheCommitReturns) {
  // Each commit's frames end with the commit frame: a log whose size is not
  // a whole number of frames past the header still held some in memory.
  const int64_t page = 4096, frame = 24 + page;
  int64_t previous = 0;
  const uint64_t barrier_writes = LogGatherBarrierWrites();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(writer_.Exec("INSERT INTO t(v) VALUES (zeroblob(" + std::to_string(i * 1000) + "))").ok());
    const int64_t size = LogBytesOnDisk();
    EXPECT_EQ((size - 32) % frame, 0) << "commit " << i << ": " << size << " bytes";
    EXPECT_GT(size, previous);
    previous = size;
    EXPECT_EQ(SeenByAnotherConnection(), std::make_pair(int64_t{i}, int64_t{i * (i + 1) / 2 * 1000}));
  }
  // Written by the commit frame's own write, not by the second line.
  EXPECT_EQ(LogGatherBarrierWrites(), barrier_writes);
}

TEST_F(LogGatherVfsTest, ATransactionLargerThanWhatIsGatheredCommitsWhole) {
  // 40 MiB in one transaction: past the 4 MiB that are written at once, past
  // the page cache (SQLite then writes frames before the commit), and in
  // writes of at most 120 KiB each.
  ASSERT_TRUE(writer_.Exec("PRAGMA cache_size = -1024; BEGIN").ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(writer_.Exec("INSERT INTO t(v) VALUES (randomblob(1048576))").ok());
  }
  ASSERT_TRUE(writer_.Exec("COMMIT").ok());
  EXPECT_EQ(SeenByAnotherConnection(), std::make_pair(int64_t{40}, int64_t{40} << 20));
  Result<Statement> check = writer_.Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  Result<bool> row = check->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(check->ColumnText(0), "ok");
}

TEST_F(LogGatherVfsTest, FramesOfARolledBackTransactionNeverReachAReader) {
  // The rolled-back transaction spills frames that stay past the log's end
  // as readers know it; the next commit writes over them.
  ASSERT_TRUE(writer_.Exec("PRAGMA cache_size = -1024; BEGIN").ok());
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(writer_.Exec("INSERT INTO t(v) VALUES (randomblob(1048576))").ok());
  ASSERT_TRUE(writer_.Exec("ROLLBACK").ok());
  EXPECT_EQ(SeenByAnotherConnection(), std::make_pair(int64_t{0}, int64_t{0}));
  ASSERT_TRUE(writer_.Exec("INSERT INTO t(v) VALUES (zeroblob(5000))").ok());
  EXPECT_EQ(SeenByAnotherConnection(), std::make_pair(int64_t{1}, int64_t{5000}));
  // And a checkpoint copies only what committed.
  ASSERT_TRUE(writer_.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  EXPECT_EQ(LogBytesOnDisk(), 0);
  EXPECT_EQ(SeenByAnotherConnection(), std::make_pair(int64_t{1}, int64_t{5000}));
}

}  // namespace
}  // namespace regline
