#include "gateway/core/group_commit.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "gateway/core/log.h"

namespace regline {

GroupCommitter::GroupCommitter(std::unique_ptr<Store> store, GroupCommitOptions options)
    : store_(std::move(store)), options_(options), writer_([this] { WriterLoop(); }) {}

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
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
}

GroupCommitStats GroupCommitter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitter::WriterLoop() {
  pthread_setname_np(pthread_self(), "regline-writer");  // shows in top -H, perf, gdb
  std::deque<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is answered
      batch.swap(queue_);
    }
    while (!batch.empty()) CommitBatch(batch);
  }
}

// Takes up to max_batch items from the front of `batch` and does them all
// in one transaction: runs of submissions through SubmitBatch, tasks in
// their place in the queue. Only after the commit does anyone hear back:
// submitters get their results (or the commit's failure), tasks' completions
// get the commit's status.
void GroupCommitter::CommitBatch(std::deque<Item>& batch) {
  const size_t n = std::min(batch.size(), options_.max_batch);
  const auto started = std::chrono::steady_clock::now();
  const Status begun = store_->Begin();
  // Without a transaction of our own (BEGIN failed), each store call still
  // commits by itself, so results are durable as they are returned.
  std::vector<Result<SubmitReceipt>> results;
  std::vector<Completion> completions;
  results.reserve(n);
  size_t submissions = 0;
  std::vector<const Submission*> run;
  auto flush = [&] {
    if (run.empty()) return;
    for (auto& r : store_->SubmitBatch(run)) results.push_back(std::move(r));
    run.clear();
  };
  for (size_t i = 0; i < n; ++i) {
    if (batch[i].task) {
      flush();
      completions.push_back(batch[i].task(*store_));
    } else {
      run.push_back(&batch[i].submission);
      ++submissions;
    }
  }
  flush();
  const Status committed = begun.ok() ? store_->Commit() : Status::Ok();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {
    std::lock_guard lock(mu_);
    stats_.batch_items.Observe(static_cast<double>(n));
    stats_.commit_seconds.Observe(seconds);
    stats_.batches++;
    stats_.submissions += submissions;
    if (submissions > stats_.largest_batch) stats_.largest_batch = submissions;
  }
  size_t next_result = 0, next_completion = 0;
  for (size_t i = 0; i < n; ++i) {
    if (batch[i].task) {
      Completion& c = completions[next_completion++];
      if (c) c(committed);
    } else {
      Result<SubmitReceipt>& r = results[next_result++];
      batch[i].done(committed.ok() ? std::move(r) : Result<SubmitReceipt>(committed.WithContext("commit")));
    }
  }
  batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
}

void GroupCommitter::Execute(Task task) {
  if (!Enqueue(Item{{}, {}, std::move(task)})) {
    Log(LogLevel::kWarning, "store_task_dropped", {{"reason", "the store is shutting down"}});
  }
}

}  // namespace regline
