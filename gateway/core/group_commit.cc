#include "gateway/core/group_commit.h"

#include <pthread.h>

#include <vector>

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

// Takes from the front of `batch` the submissions up to the next task (or
// max_batch), commits them together, answers them; then runs that task.
void GroupCommitter::CommitBatch(std::deque<Item>& batch) {
  if (batch.front().task) {
    Item item = std::move(batch.front());
    batch.pop_front();
    item.task(*store_);
    return;
  }
  std::vector<const Submission*> subs;
  size_t n = 0;
  while (n < batch.size() && n < options_.max_batch && !batch[n].task) {
    subs.push_back(&batch[n].submission);
    ++n;
  }
  std::vector<Result<SubmitReceipt>> results = store_->SubmitBatch(subs);
  {
    std::lock_guard lock(mu_);
    stats_.batches++;
    stats_.submissions += n;
    if (n > stats_.largest_batch) stats_.largest_batch = n;
  }
  for (size_t i = 0; i < n; ++i) batch[i].done(std::move(results[i]));
  batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace regline
