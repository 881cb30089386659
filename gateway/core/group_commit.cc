#include "gateway/core/group_commit.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "gateway/core/log.h"

namespace regline {
namespace {

// Waits until `queue` holds something or `stopping` is set, then moves all
// of it into `out` (empty on entry). False once stopping with nothing left:
// the loop ends only after everything queued has been taken.
template <typename Queue>
bool TakeAll(std::mutex& mu, std::condition_variable& wake, Queue& queue, const bool& stopping, Queue& out) {
  std::unique_lock lock(mu);
  wake.wait(lock, [&] { return stopping || !queue.empty(); });
  if (queue.empty()) return false;
  out.swap(queue);
  return true;
}

}  // namespace

GroupCommitter::GroupCommitter(std::unique_ptr<Store> store, GroupCommitOptions options)
    : store_(std::move(store)),
      options_(options),
      pipelined_(options_.pipelined_sync && store_->DeferSync()),
      writer_([this] { WriterLoop(); }) {
  if (pipelined_) sync_thread_ = std::thread([this] { SyncLoop(); });
}

GroupCommitter::~GroupCommitter() { Stop(); }

bool GroupCommitter::Enqueue(Item&& item) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
  return true;
}

void GroupCommitter::Submit(Submission submission, SubmitCallback done) {
  Item item{std::move(submission), std::move(done), {}};
  // A refused item is left as it was, callback included.
  if (!Enqueue(std::move(item))) item.done(Unavailable("the store is shutting down"));
}

std::future<Result<SubmitReceipt>> GroupCommitter::Submit(Submission submission) {
  auto promise = std::make_shared<std::promise<Result<SubmitReceipt>>>();
  auto f = promise->get_future();
  Submit(std::move(submission), [promise](Result<SubmitReceipt> r) { promise->set_value(std::move(r)); });
  return f;
}

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable() && !sync_thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  const auto self = std::this_thread::get_id();
  if (writer_.joinable() && writer_.get_id() != self) writer_.join();
  // The writer has handed over its last batch: the sync thread answers
  // everything it holds, then ends.
  {
    std::lock_guard lock(sync_mu_);
    sync_stopping_ = true;
  }
  sync_wake_.notify_one();
  if (sync_thread_.joinable() && sync_thread_.get_id() != self) sync_thread_.join();
}

GroupCommitStats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  GroupCommitStats s = stats_;
  s.fenced = !fence_.ok();
  return s;
}

void GroupCommitter::WriterLoop() {
  pthread_setname_np(pthread_self(), "regline-writer");  // shows in top -H, perf, gdb
  std::deque<Item> batch;
  while (TakeAll(mu_, wake_, queue_, stopping_, batch)) {
    while (!batch.empty()) CommitBatch(batch);
  }
}

Status GroupCommitter::fence() const {
  if (!fenced_.load(std::memory_order_acquire)) return Status::Ok();
  std::lock_guard lock(mu_);
  return fence_;
}

Status GroupCommitter::SyncCounted(bool by_writer) {
  // None once fenced: no sync can vouch for the log any more.
  Status synced = fence();
  if (!synced.ok()) return synced;
  synced = store_->SyncLog();
  {
    std::lock_guard lock(mu_);
    stats_.syncs++;
    if (by_writer) stats_.writer_syncs++;
  }
  return synced.ok() ? synced : Fence(synced);
}

void GroupCommitter::SyncLoop() {
  pthread_setname_np(pthread_self(), "regline-sync");
  std::deque<Committed> batches;
  for (;;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_holding_ = false;  // what it took before is answered
      sync_wake_.wait(lock, [&] { return sync_stopping_ || !to_sync_.empty(); });
      if (to_sync_.empty()) break;
      // Taken and marked held in one step: the writer never finds the
      // queue empty and nothing held while these wait for their answers.
      batches.swap(to_sync_);
      sync_holding_ = true;
    }
    // One fdatasync for every batch committed since the last one.
    const Status synced = SyncCounted(false);
    // Batches committed after a failed sync sit on top of it in the log:
    // they fail with it, whatever a later sync says.
    for (Committed& c : batches) Answer(c, !c.status.ok() ? c.status : synced);
    batches.clear();
  }
}

bool GroupCommitter::WriterMaySync(const std::deque<Item>& rest) {
  if (!rest.empty()) return false;
  {
    std::lock_guard lock(mu_);
    if (!queue_.empty() || stopping_) return false;
  }
  // The writer pushes to to_sync_ and only it; the sync thread empties it.
  // Empty and not holding: every batch committed before is answered, so
  // answering this one now keeps the commit order.
  std::lock_guard lock(sync_mu_);
  return to_sync_.empty() && !sync_holding_;
}

Status GroupCommitter::Fence(const Status& failure) {
  const Status fence = failure.WithContext("the store's log could not be made durable, so " + options_.fenced_subject +
                                           " takes no more changes until it is restarted (check the disk first)");
  Log(LogLevel::kError, "store_fenced", {{"error", fence.ToString()}});
  std::lock_guard lock(mu_);
  fence_ = fence;
  fenced_.store(true, std::memory_order_release);
  return fence;
}

// Takes up to max_batch items from the front of `batch` and does them all
// in one transaction: runs of submissions through SubmitBatch, tasks in
// their place in the queue. Only once the commit is durable does anyone
// hear back: submitters get their results (or the commit's failure),
// tasks' completions get the commit's status.
void GroupCommitter::CommitBatch(std::deque<Item>& batch) {
  const size_t n = std::min(batch.size(), options_.max_batch);
  Committed c;
  c.started = std::chrono::steady_clock::now();
  c.items.insert(c.items.end(), std::make_move_iterator(batch.begin()),
                 std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(n)));
  batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
  const Status begun = store_->Begin();
  // Without a transaction of our own (BEGIN failed), each store call still
  // commits by itself, so results are durable as they are returned (once
  // synced, when syncs are deferred).
  c.results.reserve(n);
  std::vector<const Submission*> run;
  auto flush = [&] {
    if (run.empty()) return;
    for (auto& r : store_->SubmitBatch(run)) c.results.push_back(std::move(r));
    run.clear();
  };
  for (Item& item : c.items) {
    if (item.task) {
      flush();
      c.completions.push_back(item.task(*store_));
    } else {
      run.push_back(&item.submission);
      ++c.submissions;
    }
  }
  flush();
  // Fenced: nothing more goes into the log (see group_commit.h).
  const Status fenced = fence();
  if (!fenced.ok()) {
    c.status = store_->Abandon(fenced);
  } else {
    c.status = begun.ok() ? store_->Commit() : Status::Ok();
  }
  if (!pipelined_) {
    Answer(c, c.status);
    return;
  }
  if (WriterMaySync(batch)) {
    // Nothing to overlap the sync with (see "Pipelined sync" in the header).
    Answer(c, !c.status.ok() ? c.status : SyncCounted(true));
    return;
  }
  {
    std::lock_guard lock(sync_mu_);
    to_sync_.push_back(std::move(c));
  }
  sync_wake_.notify_one();
}

void GroupCommitter::Answer(Committed& c, const Status& status) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count();
  {
    std::lock_guard lock(mu_);
    stats_.batch_items.Observe(static_cast<double>(c.items.size()));
    stats_.commit_seconds.Observe(seconds);
    stats_.batches++;
    stats_.submissions += c.submissions;
    if (c.submissions > stats_.largest_batch) stats_.largest_batch = c.submissions;
  }
  size_t next_result = 0, next_completion = 0;
  for (Item& item : c.items) {
    if (item.task) {
      Completion& done = c.completions[next_completion++];
      if (done) done(status);
    } else {
      Result<SubmitReceipt>& r = c.results[next_result++];
      item.done(status.ok() ? std::move(r) : Result<SubmitReceipt>(status.WithContext("commit")));
    }
  }
}

void GroupCommitter::Execute(Task task) {
  if (!Enqueue(Item{{}, {}, std::move(task)})) {
    Log(LogLevel::kWarning, "store_task_dropped", {{"reason", "the store is shutting down"}});
  }
}

}  // namespace regline
