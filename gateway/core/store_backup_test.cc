// Backups: a copy of a store that another connection keeps writing is a
// consistent snapshot (a prefix of what was confirmed, every table as of
// one commit), checked and stand-alone; an existing file is not replaced
// unless asked; a foreign, damaged or newer file is refused; a restore puts
// a backup in place, sets an old store aside, and refuses while a gateway
// holds the data directory's lock.
#include "gateway/core/store_backup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gateway/core/files.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

namespace fs = std::filesystem;

Submission Message(uint64_t n, int64_t now) {
  Submission s;
  s.sender = "samr-console";
  s.id = MessageId{0x2000, n};
  s.kind = 1;
  s.created_ms = now;
  s.recipients = {"douyin"};
  s.envelope = std::string(1000, 'e') + std::to_string(n);
  return s;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int64_t Count(const std::string& path, const std::string& sql) {
  Result<Database> db = Database::OpenReadOnly(path);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return -1;
  Result<int64_t> n = db->QueryInt(sql);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? *n : -1;
}

class StoreBackupTest : public ::testing::Test {
 protected:
  StoreBackupTest() { options_.path = dir_.File("gateway.db"); }

  // A store holding `n` messages queued for douyin, closed again.
  void MakeStore(uint64_t n) {
    Result<std::unique_ptr<Store>> store = Store::Open(options_, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (uint64_t i = 1; i <= n; ++i) ASSERT_TRUE((*store)->Submit(Message(i, clock_.NowMs())).ok());
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
};

TEST_F(StoreBackupTest, ACopyOfAStoreBeingWrittenIsASnapshotOfOneCommit) {
  std::atomic<uint64_t> confirmed{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    Result<std::unique_ptr<Store>> store = Store::Open(options_, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (uint64_t n = 1; !stop.load(); ++n) {
      Result<SubmitReceipt> r = (*store)->Submit(Message(n, clock_.NowMs()));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      confirmed.store(n);
    }
  });
  struct StopAndJoin {
    std::atomic<bool>& stop;
    std::thread& writer;
    ~StopAndJoin() {
      stop.store(true);
      writer.join();
    }
  } stop_and_join{stop, writer};
  for (int i = 0; i < 2000 && confirmed.load() < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(confirmed.load(), 50u) << "the writer did not get going";

  for (int round = 0; round < 3; ++round) {
    const std::string backup = dir_.File("backup-" + std::to_string(round) + ".db");
    const uint64_t before = confirmed.load();
    Result<StoreFileSummary> summary = BackupStore(options_.path, backup);
    const uint64_t after = confirmed.load();
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();

    // Everything confirmed before the backup began, nothing after it ended,
    // and every table as of the same commit: messages 1..n, one queued
    // delivery and one audit entry each.
    const auto n = static_cast<uint64_t>(summary->messages);
    EXPECT_GE(n, before);
    EXPECT_LE(n, after);
    EXPECT_EQ(summary->last_message_seq, n);
    EXPECT_EQ(summary->pending, summary->messages);
    EXPECT_EQ(summary->audit_head_seq, n);
    EXPECT_EQ(Count(backup, "SELECT count(*) FROM deliveries"), summary->messages);
    EXPECT_EQ(Count(backup, "SELECT count(*) FROM audit_log"), summary->messages);
    EXPECT_EQ(summary->schema_version, Store::SchemaVersion());
    EXPECT_EQ(summary->bytes, static_cast<int64_t>(fs::file_size(backup)));
    EXPECT_FALSE(fs::exists(backup + ".tmp"));
  }
}

TEST_F(StoreBackupTest, ABackupIsOneCheckedFileThatOpensAsAStore) {
  MakeStore(20);
  const std::string backup = dir_.File("backup.db");
  ASSERT_TRUE(BackupStore(options_.path, backup).ok());
  EXPECT_FALSE(fs::exists(backup + "-wal"));
  EXPECT_FALSE(fs::exists(backup + "-journal"));
  EXPECT_EQ(fs::status(backup).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);

  Result<StoreFileSummary> checked = CheckStoreFile(backup);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(checked->messages, 20);
  EXPECT_EQ(checked->pending, 20);

  StoreOptions copy = options_;
  copy.path = backup;
  Result<std::unique_ptr<Store>> store = Store::Open(copy, clock_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<std::vector<LeasedDelivery>> leased = (*store)->Lease("douyin", 100, 30'000);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 20u);
  EXPECT_EQ(leased->front().delivery_seq, 1u);
}

TEST_F(StoreBackupTest, AnExistingFileIsReplacedOnlyWhenAsked) {
  MakeStore(3);
  const std::string backup = dir_.File("backup.db");
  { std::ofstream(backup) << "last week's backup"; }
  Result<StoreFileSummary> refused = BackupStore(options_.path, backup);
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll(backup), "last week's backup");
  EXPECT_FALSE(fs::exists(backup + ".tmp"));

  Result<StoreFileSummary> replaced = BackupStore(options_.path, backup, BackupOptions{.overwrite = true});
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->messages, 3);
}

TEST_F(StoreBackupTest, AForeignOrMissingSourceWritesNothing) {
  const std::string backup = dir_.File("backup.db");
  {
    Result<Database> db = Database::Open(dir_.File("other.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE customers(id INTEGER)").ok());
  }
  EXPECT_EQ(BackupStore(dir_.File("other.db"), backup).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(BackupStore(dir_.File("absent.db"), backup).status().code(), StatusCode::kIOError);
  EXPECT_FALSE(fs::exists(backup));
  EXPECT_FALSE(fs::exists(backup + ".tmp"));
}

TEST_F(StoreBackupTest, ADamagedOrNewerFileFailsTheCheck) {
  MakeStore(200);
  const std::string backup = dir_.File("backup.db");
  ASSERT_TRUE(BackupStore(options_.path, backup).ok());

  const std::string newer = dir_.File("newer.db");
  fs::copy_file(backup, newer);
  {
    Result<Database> db = Database::Open(newer);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("PRAGMA user_version = " + std::to_string(Store::SchemaVersion() + 1)).ok());
  }
  EXPECT_EQ(CheckStoreFile(newer).status().code(), StatusCode::kFailedPrecondition);

  // Scribble over a page in the middle of the file (200 messages of 1 KiB
  // fill dozens of pages).
  const std::string damaged = dir_.File("damaged.db");
  fs::copy_file(backup, damaged);
  int64_t page_size = 0;
  {
    Result<Database> db = Database::OpenReadOnly(damaged);
    ASSERT_TRUE(db.ok());
    Result<int64_t> size = db->QueryInt("PRAGMA page_size");
    ASSERT_TRUE(size.ok()) << size.status().ToString();
    page_size = *size;
  }
  ASSERT_GT(fs::file_size(damaged), static_cast<uintmax_t>(page_size) * 20);
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(page_size * 10);
    const std::string junk(static_cast<size_t>(page_size), '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Result<StoreFileSummary> check = CheckStoreFile(damaged);
  EXPECT_EQ(check.status().code(), StatusCode::kCorruption) << check.status().ToString();
}

TEST_F(StoreBackupTest, ARestoreIntoANewDataDirectoryDeliversWhatWasPending) {
  MakeStore(5);
  const std::string backup = dir_.File("backup.db");
  ASSERT_TRUE(BackupStore(options_.path, backup).ok());
  const std::string data_dir = dir_.File("new-data");

  Result<StoreFileSummary> restored = RestoreStore(backup, data_dir);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->pending, 5);
  EXPECT_FALSE(fs::exists(data_dir + "/gateway.db.restoring"));
  StoreOptions o = options_;
  o.path = data_dir + "/gateway.db";
  Result<std::unique_ptr<Store>> store = Store::Open(o, clock_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<std::vector<LeasedDelivery>> leased = (*store)->Lease("douyin", 100, 30'000);
  ASSERT_TRUE(leased.ok());
  EXPECT_EQ(leased->size(), 5u);
}

TEST_F(StoreBackupTest, ARestoreSetsAnOldStoreAsideWithItsLogOnlyWhenAsked) {
  MakeStore(2);
  const std::string backup = dir_.File("backup.db");
  ASSERT_TRUE(BackupStore(options_.path, backup).ok());
  const std::string data_dir = dir_.File("data");
  fs::create_directories(data_dir);
  { std::ofstream(data_dir + "/gateway.db") << "the old store"; }
  { std::ofstream(data_dir + "/gateway.db-wal") << "the old store's log"; }

  EXPECT_EQ(RestoreStore(backup, data_dir).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll(data_dir + "/gateway.db"), "the old store");

  Result<StoreFileSummary> restored = RestoreStore(backup, data_dir, RestoreOptions{.replace = true});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(ReadAll(data_dir + "/gateway.db.replaced"), "the old store");
  EXPECT_EQ(ReadAll(data_dir + "/gateway.db.replaced-wal"), "the old store's log");
  EXPECT_FALSE(fs::exists(data_dir + "/gateway.db-wal"));
  EXPECT_EQ(Count(data_dir + "/gateway.db", "SELECT count(*) FROM messages"), 2);

  // A second restore would overwrite what the first set aside: refused.
  EXPECT_EQ(RestoreStore(backup, data_dir, RestoreOptions{.replace = true}).status().code(),
            StatusCode::kAlreadyExists);
}

TEST_F(StoreBackupTest, ARestoreIsRefusedWhileAGatewayHoldsTheDataDirectory) {
  MakeStore(1);
  const std::string backup = dir_.File("backup.db");
  ASSERT_TRUE(BackupStore(options_.path, backup).ok());
  const std::string data_dir = dir_.File("data");
  fs::create_directories(data_dir);
  Result<UniqueFd> running = LockFileExclusively(data_dir + "/gateway.lock");  // as a running gateway does
  ASSERT_TRUE(running.ok());

  Result<StoreFileSummary> refused = RestoreStore(backup, data_dir);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("a gateway is running"), std::string::npos) << refused.status().ToString();
  EXPECT_FALSE(fs::exists(data_dir + "/gateway.db"));

  running->reset();  // the gateway stopped
  EXPECT_TRUE(RestoreStore(backup, data_dir).ok());
}

TEST_F(StoreBackupTest, ARestoreChecksTheBackupFirst) {
  const std::string data_dir = dir_.File("data");
  { std::ofstream(dir_.File("not-a-store.db")) << "hello"; }
  Result<StoreFileSummary> refused = RestoreStore(dir_.File("not-a-store.db"), data_dir);
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(fs::exists(data_dir + "/gateway.db"));
}

}  // namespace
}  // namespace regline
