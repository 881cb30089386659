#include "gateway/core/group_commit.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "gateway/core/sqlite.h"
#include "gateway/core/test_util.h"

namespace regline {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  std::unique_ptr<GroupCommitter> Start(GroupCommitOptions o = {}) {
    options_.path = dir_.File("store.db");
    Result<std::unique_ptr<Store>> store = Store::Open(options_, clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::make_unique<GroupCommitter>(std::move(store).value(), o);
  }

  static Submission Message(uint64_t thread, uint64_t n) {
    Submission s;
    s.sender = "console-" + std::to_string(thread);
    s.id = MessageId{thread + 1, n + 1};
    s.recipients = {"douyin"};
    s.envelope = std::string(1024, 'x');
    return s;
  }

  // Counts committed messages through a separate connection, as another
  // process would see them.
  int64_t CommittedMessages() {
    Result<Database> db = Database::Open(options_.path);
    EXPECT_TRUE(db.ok());
    Result<int64_t> n = db->QueryInt("SELECT count(*) FROM messages");
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  StoreOptions options_;
};

TEST_F(GroupCommitTest, ConcurrentSubmittersAllGetDistinctDurableReceipts) {
  auto committer = Start();
  constexpr int kThreads = 8, kEach = 500;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<uint64_t> seqs;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<Result<SubmitReceipt>>> pending;
      for (int i = 0; i < kEach; ++i) pending.push_back(committer->Submit(Message(t, i)));
      for (auto& f : pending) {
        Result<SubmitReceipt> r = f.get();
        if (!r.ok()) {
          failures++;
          continue;
        }
        std::lock_guard lock(mu);
        seqs.insert(r->seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(seqs.size(), size_t{kThreads * kEach});
  GroupCommitStats stats = committer->stats();
  EXPECT_EQ(stats.submissions, uint64_t{kThreads * kEach});
  EXPECT_GT(stats.largest_batch, 1u) << "submissions were never grouped";
  EXPECT_LT(stats.batches, stats.submissions);
  committer.reset();
  EXPECT_EQ(CommittedMessages(), kThreads * kEach);
}

TEST_F(GroupCommitTest, CallbackRunsOnlyOnceTheCommitIsVisibleToOthers) {
  auto committer = Start();
  std::atomic<int> checked{0};
  std::promise<void> all;
  constexpr int kCount = 50;
  for (int i = 0; i < kCount; ++i) {
    committer->Submit(Message(0, i), [&, i](Result<SubmitReceipt> r) {
      ASSERT_TRUE(r.ok());
      // The writer holds no transaction open while it answers, so another
      // connection must already see this message.
      Result<Database> db = Database::Open(options_.path);
      ASSERT_TRUE(db.ok());
      Result<int64_t> n = db->QueryInt("SELECT count(*) FROM messages WHERE seq = " + std::to_string(r->seq));
      EXPECT_EQ(n.value(), 1) << "message " << i << " answered before it was committed";
      if (++checked == kCount) all.set_value();
    });
  }
  all.get_future().wait();
  EXPECT_EQ(checked.load(), kCount);
}

TEST_F(GroupCommitTest, RunExecutesInOrderAfterEarlierSubmissions) {
  auto committer = Start();
  for (int i = 0; i < 10; ++i) committer->Submit(Message(0, i), [](Result<SubmitReceipt>) {});
  auto pending = committer->Run([](Store& s) -> Result<int64_t> { return s.Pending("douyin"); });
  EXPECT_EQ(pending.get().value(), 10);
}

TEST_F(GroupCommitTest, TaskCompletionRunsAfterItsBatchCommitted) {
  auto committer = Start();
  std::promise<int64_t> seen;
  committer->Submit(Message(0, 1), [](Result<SubmitReceipt>) {});
  committer->Execute([&](Store& store) -> GroupCommitter::Completion {
    EXPECT_TRUE(store.Lease("douyin", 10, 1000).ok());
    return [&](const Status& commit) {
      EXPECT_TRUE(commit.ok());
      // Committed: another connection sees the lease.
      Result<Database> db = Database::Open(options_.path);
      seen.set_value(db->QueryInt("SELECT count(*) FROM deliveries WHERE state = 1").value());
    };
  });
  EXPECT_EQ(seen.get_future().get(), 1);
}

TEST_F(GroupCommitTest, BatchesRespectMaxBatch) {
  auto committer = Start(GroupCommitOptions{.max_batch = 7});
  std::vector<std::future<Result<SubmitReceipt>>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(committer->Submit(Message(0, i)));
  for (auto& f : futures) ASSERT_TRUE(f.get().ok());
  EXPECT_LE(committer->stats().largest_batch, 7u);
}

TEST_F(GroupCommitTest, StopDrainsQueuedWorkThenRefusesMore) {
  auto committer = Start();
  std::vector<std::future<Result<SubmitReceipt>>> futures;
  for (int i = 0; i < 300; ++i) futures.push_back(committer->Submit(Message(0, i)));
  committer->Stop();
  for (auto& f : futures) EXPECT_TRUE(f.get().ok());
  Result<SubmitReceipt> late = committer->Submit(Message(0, 1000)).get();
  EXPECT_EQ(late.status().code(), StatusCode::kUnavailable);
  auto task = committer->Run([](Store&) -> Status { return Status::Ok(); });
  EXPECT_EQ(task.get().code(), StatusCode::kUnavailable);
  EXPECT_EQ(CommittedMessages(), 300);
}

TEST_F(GroupCommitTest, RefusalsAreAnsweredIndividually) {
  options_.default_quota = 3;
  auto committer = Start();
  std::vector<std::future<Result<SubmitReceipt>>> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(committer->Submit(Message(0, i)));
  int ok = 0, overloaded = 0;
  for (auto& f : futures) {
    Result<SubmitReceipt> r = f.get();
    if (r.ok()) ok++;
    if (r.status().code() == StatusCode::kOverloaded) overloaded++;
  }
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(overloaded, 2);
}

TEST_F(GroupCommitTest, AtFullDurabilityEachAnswerComesAfterASyncOfTheLog) {
  auto committer = Start();  // Durability::kFull
  ASSERT_TRUE(committer->pipelined());
  // One at a time, so that each submission is a batch of its own and needs
  // a sync of its own before its answer.
  for (int i = 0; i < 20; ++i) {
    std::promise<uint64_t> syncs_when_answered;
    committer->Submit(Message(0, i), [&](Result<SubmitReceipt> r) {
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      syncs_when_answered.set_value(committer->stats().syncs);
    });
    EXPECT_GE(syncs_when_answered.get_future().get(), static_cast<uint64_t>(i + 1))
        << "submission " << i << " was answered before a sync covered it";
  }
  EXPECT_EQ(committer->stats().submissions, 20u);
}

TEST_F(GroupCommitTest, WithNothingQueuedTheWriterSyncsItsBatchItself) {
  auto committer = Start();
  ASSERT_TRUE(committer->pipelined());
  // One at a time: nothing is ever queued behind a batch and the sync
  // thread holds none, so the writer syncs and answers each itself.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(committer->Submit(Message(0, i)).get().ok());
  const GroupCommitStats stats = committer->stats();
  EXPECT_EQ(stats.syncs, 10u);
  EXPECT_EQ(stats.writer_syncs, 10u);
}

TEST_F(GroupCommitTest, BatchesQueuedBehindOneAnotherAreSyncedOnTheSyncThreadAndAnsweredInOrder) {
  auto committer = Start(GroupCommitOptions{.max_batch = 8});
  ASSERT_TRUE(committer->pipelined());
  // Hold the writer in a task until 100 submissions are queued behind it:
  // then each batch of 8 but the last has more behind it, and goes to the
  // sync thread while the writer commits the next.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  committer->Execute([released](Store&) -> GroupCommitter::Completion {
    released.wait();
    return nullptr;
  });
  std::mutex mu;
  std::vector<uint64_t> answered;  // message sequence numbers, in the order answered
  std::vector<std::future<Result<SubmitReceipt>>> futures;
  for (int i = 0; i < 100; ++i) {
    auto done = std::make_shared<std::promise<Result<SubmitReceipt>>>();
    futures.push_back(done->get_future());
    committer->Submit(Message(0, i), [&, done](Result<SubmitReceipt> r) {
      {
        std::lock_guard lock(mu);
        answered.push_back(r.ok() ? r->seq : 0);
      }
      done->set_value(std::move(r));
    });
  }
  release.set_value();
  for (auto& f : futures) ASSERT_TRUE(f.get().ok());
  // Sequence numbers follow the commit order: answers must too, whichever
  // thread synced them.
  ASSERT_EQ(answered.size(), 100u);
  for (size_t i = 1; i < answered.size(); ++i) {
    EXPECT_LT(answered[i - 1], answered[i]) << "answer " << i << " came before an earlier commit's";
  }
  const GroupCommitStats stats = committer->stats();
  EXPECT_GT(stats.syncs, stats.writer_syncs) << "no batch went to the sync thread";
}

TEST_F(GroupCommitTest, AtNormalDurabilityTheCommitterDoesNotSync) {
  options_.durability = Durability::kNormal;
  auto committer = Start();
  EXPECT_FALSE(committer->pipelined());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(committer->Submit(Message(0, i)).get().ok());
  EXPECT_EQ(committer->stats().syncs, 0u);
}

TEST_F(GroupCommitTest, PipelinedSyncCanBeTurnedOff) {
  auto committer = Start(GroupCommitOptions{.pipelined_sync = false});
  EXPECT_FALSE(committer->pipelined());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(committer->Submit(Message(0, i)).get().ok());
  EXPECT_EQ(committer->stats().syncs, 0u);
  committer.reset();
  EXPECT_EQ(CommittedMessages(), 5);
}

// The committer's own descriptor of the log: the -wal file opened read-only
// (SQLite's is read-write). -1 when there is none.
int CommitterLogFd(const std::string& db_path) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), ec);
    if (ec || target.string() != db_path + "-wal") continue;
    const std::string fd = entry.path().filename().string();
    std::ifstream info("/proc/self/fdinfo/" + fd);
    std::string key, value;
    while (info >> key >> value) {
      if (key == "flags:" && (std::stoi(value, nullptr, 8) & O_ACCMODE) == O_RDONLY) return std::stoi(fd);
    }
  }
  return -1;
}

TEST_F(GroupCommitTest, AFailedSyncFencesTheCommitterUntilARestart) {
  auto committer = Start();
  ASSERT_TRUE(committer->pipelined());
  ASSERT_TRUE(committer->Submit(Message(0, 0)).get().ok());
  EXPECT_TRUE(committer->fence().ok());
  const int log_fd = CommitterLogFd(std::filesystem::canonical(options_.path).string());
  ASSERT_GE(log_fd, 0) << "the committer holds no read-only descriptor of the log";
  // fdatasync of a pipe fails (EINVAL): in place of the log's descriptor it
  // stands for a disk that refuses to sync.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_GE(dup2(pipe_fds[0], log_fd), 0);
  Result<SubmitReceipt> unsynced = committer->Submit(Message(0, 1)).get();
  EXPECT_EQ(unsynced.status().code(), StatusCode::kIOError) << unsynced.status().ToString();
  EXPECT_NE(unsynced.status().message().find("fdatasync"), std::string::npos) << unsynced.status().ToString();
  EXPECT_EQ(committer->fence().code(), StatusCode::kIOError);
  // The log syncs again, but nothing may be confirmed on top of the batch
  // whose sync failed: a new message, a resubmission and a task all fail
  // with the fence, and nothing more is synced.
  const int wal = ::open((options_.path + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(wal, 0);
  ASSERT_GE(dup2(wal, log_fd), 0);
  ::close(wal);
  const uint64_t syncs = committer->stats().syncs;
  for (uint64_t n : {2, 1}) {
    Result<SubmitReceipt> after = committer->Submit(Message(0, n)).get();
    EXPECT_EQ(after.status().code(), StatusCode::kIOError) << "message " << n << ": " << after.status().ToString();
    EXPECT_NE(after.status().message().find("restarted"), std::string::npos) << after.status().ToString();
  }
  auto task = committer->Run([](Store& s) -> Result<int64_t> { return s.Pending("douyin"); });
  EXPECT_EQ(task.get().status().code(), StatusCode::kIOError);
  EXPECT_EQ(committer->stats().syncs, syncs);
  committer.reset();
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  // Message 2 came after the fence and was rolled back; message 1 was
  // committed before its sync failed and is whatever the disk kept (here,
  // the whole log): after a restart its resubmission is a duplicate.
  EXPECT_EQ(CommittedMessages(), 2);
  committer = Start();
  Result<SubmitReceipt> resubmitted = committer->Submit(Message(0, 1)).get();
  ASSERT_TRUE(resubmitted.ok()) << resubmitted.status().ToString();
  EXPECT_TRUE(resubmitted->duplicate);
  Result<SubmitReceipt> fresh = committer->Submit(Message(0, 2)).get();
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_FALSE(fresh->duplicate);
  EXPECT_TRUE(committer->fence().ok());
}

}  // namespace
}  // namespace regline
