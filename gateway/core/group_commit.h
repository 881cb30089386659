// GroupCommitter: the store's single writer thread, which batches concurrent
// submissions into one transaction (group commit).
//
// Any thread calls Submit(); the writer takes everything queued since its
// last commit, stores it with Store::SubmitBatch in one transaction (one
// fsync), and only then runs each submission's callback. While one commit
// is on disk the next batch gathers, so batches grow with the load and the
// cost of an fsync is shared by every submission in it.
//
// Other work on the store (leases, acknowledgements, queries) goes through
// Execute() or Run(), which run a function on the writer thread in the same
// batch and transaction, in queue order, and report back only after the
// commit. One fsync covers a whole batch of submissions, acknowledgements
// and leases. The committer owns the Store; nothing else may touch it while
// the committer runs.
//
// Pipelined sync: with a store at Durability::kFull (Store::DeferSync) the
// writer commits without waiting for the disk and hands the batch to a
// second thread, which fdatasyncs the log once for every batch committed
// meanwhile and only then answers them, in commit order. So the next batch
// runs its statements while the last one is on its way to the disk, and
// nobody hears of a change before it is durable. Results read from the
// store by later transactions may include changes not yet synced; those
// are answered after them, by the same order.
//
// When nothing is queued behind a batch and the sync thread holds none,
// there is nothing to overlap with the sync, so the writer syncs the batch
// and answers it itself: under a light load each commit then wakes one
// thread fewer, and a wake-up costs several microseconds of CPU on some
// VMs (docs/performance.md, "The writer syncs when it would wait"). Work
// that arrives meanwhile waits for that sync, as it would wait for the
// sync thread's before its own.
//
// A failed sync fences the committer for good. The failed batches are
// committed in SQLite's eyes but perhaps not on disk, and Linux may report
// the next fdatasync ok without having written the pages that failed, so
// no later sync can vouch for them or for any batch written after them in
// the log. From then on every batch is rolled back (Store::Abandon) and
// answered with the fence's kIOError, submissions and tasks alike; a
// restart recovers the log from what the disk holds, and resubmissions are
// then stored again or answered as duplicates of what survived. (The same
// stance as PostgreSQL after a failed fsync.) Without pipelined sync,
// SQLite's own commit syncs and rolls back a commit whose sync failed.
//
// Callbacks run on the committer's sync thread or on its writer thread
// (always the writer when the store cannot defer its syncs) and must be
// quick and must not block on the committer (they may queue more work,
// since Submit and Run never wait for the writer).
//
// Shutdown: Stop() (also run by the destructor) refuses new work with
// kUnavailable, commits everything already queued, answers every callback,
// and joins the writer. Nothing handed in before Stop() is dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/core/histogram.h"
#include "gateway/core/store.h"

namespace regline {

struct GroupCommitOptions {
  // Most submissions in one transaction. Larger batches share an fsync among
  // more callers; smaller ones bound the latency of a single commit.
  size_t max_batch = 4096;
  // Sync on a thread of its own when the store allows it (see above).
  bool pipelined_sync = true;
  // Who refuses every change once fenced, in the fence's text.
  std::string fenced_subject = "the gateway";
};

// Counters since start, for benchmarks and metrics.
struct GroupCommitStats {
  uint64_t batches = 0;
  uint64_t submissions = 0;
  uint64_t largest_batch = 0;
  // fdatasyncs of the log by the committer (pipelined sync only); each
  // covers every batch committed since the one before.
  uint64_t syncs = 0;
  // Of those, the ones the writer made itself, nothing being queued.
  uint64_t writer_syncs = 0;
  // A sync failed and the committer refuses all work (fence() is not ok).
  bool fenced = false;
  // Items (submissions and tasks) per committed transaction.
  Histogram batch_items{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
  // Seconds from BEGIN until the batch is durable (COMMIT and its fsync).
  Histogram commit_seconds{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
};

class GroupCommitter {
 public:
  using SubmitCallback = std::function<void(Result<SubmitReceipt>)>;

  GroupCommitter(std::unique_ptr<Store> store, GroupCommitOptions options = {});
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues a submission; `done` runs on the writer thread once its result is
  // known: ok only after the batch holding it has committed.
  void Submit(Submission submission, SubmitCallback done);
  // The same, for callers that prefer to wait.
  std::future<Result<SubmitReceipt>> Submit(Submission submission);

  // Work on the store as part of the writer's current batch. A Task runs on
  // the writer thread inside the batch's transaction and returns the
  // Completion to run once that transaction has committed, with the
  // commit's status: only then are the task's changes durable, so only then
  // may anyone be told of them. A failed commit undid them.
  using Completion = std::function<void(const Status& commit)>;
  using Task = std::function<Completion(Store&)>;

  // Queues `task`. After Stop() it is not run but logged and dropped:
  // callers that must hear back either way use Run().
  void Execute(Task task);

  // Runs fn(store) on the writer thread in the current batch and returns
  // its result once committed (the commit's failure if it failed;
  // kUnavailable after Stop()). R is Status or a Result<T>.
  template <typename Fn>
  auto Run(Fn fn) -> std::future<decltype(fn(std::declval<Store&>()))> {
    using R = decltype(fn(std::declval<Store&>()));
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> f = promise->get_future();
    Task task = [fn = std::move(fn), promise](Store& s) -> Completion {
      auto result = std::make_shared<R>(fn(s));
      return [promise, result](const Status& commit) {
        promise->set_value(commit.ok() ? std::move(*result) : R(commit));
      };
    };
    if (!Enqueue(Item{{}, {}, std::move(task)})) promise->set_value(R(Unavailable("the store is shutting down")));
    return f;
  }

  // Stops taking work, drains what is queued, joins the writer. Idempotent.
  void Stop();

  GroupCommitStats stats() const;
  // Whether syncs run on their own thread (see "Pipelined sync" above).
  bool pipelined() const { return pipelined_; }
  // Ok, or why the committer refuses all work since a sync failed (see
  // "A failed sync fences" above).
  Status fence() const;

 private:
  struct Item {
    Submission submission;
    SubmitCallback done;               // set for submissions
    Task task;                         // set for Execute() and Run()
  };
  // Queues `item` (moving from it) unless stopping; a refused item is left
  // untouched for the caller to answer.
  // A committed batch waiting to be made durable and answered.
  struct Committed {
    std::deque<Item> items;
    std::vector<Result<SubmitReceipt>> results;  // the submissions', in order
    std::vector<Completion> completions;         // the tasks', in order
    Status status;                               // the commit's
    size_t submissions = 0;
    std::chrono::steady_clock::time_point started;
  };
  bool Enqueue(Item&& item);
  void WriterLoop();
  void SyncLoop();
  void CommitBatch(std::deque<Item>& batch);
  // Sets the fence after the sync that failed with `failure`, logs it, and
  // returns the fence's status.
  Status Fence(const Status& failure);
  // One fdatasync of the log, counted; fences on failure. Ok or the fence.
  Status SyncCounted(bool by_writer);
  // Whether the writer should sync the batch it just committed itself:
  // nothing queued for it and nothing held by the sync thread.
  bool WriterMaySync(const std::deque<Item>& rest);
  // Runs the callbacks of `c` with `status` (the commit's, or the sync's
  // failure) and counts the batch.
  void Answer(Committed& c, const Status& status);

  std::unique_ptr<Store> store_;  // used only by the writer thread (and SyncLog by the sync thread)
  const GroupCommitOptions options_;
  const bool pipelined_;  // the store defers its syncs to sync_thread_

  mutable std::mutex mu_;  // guards queue_, stopping_, stats_ and fence_
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  GroupCommitStats stats_;
  Status fence_;                     // set once, by Fence() after the failed sync
  std::atomic<bool> fenced_{false};  // fence_ is set (read without the lock)

  std::mutex sync_mu_;  // guards to_sync_, sync_holding_ and sync_stopping_
  std::condition_variable sync_wake_;
  std::deque<Committed> to_sync_;
  bool sync_holding_ = false;  // the sync thread has taken batches it has not answered yet
  bool sync_stopping_ = false;

  // Last: they start after everything above exists.
  std::thread sync_thread_;  // only when pipelined_
  std::thread writer_;
};

}  // namespace regline
