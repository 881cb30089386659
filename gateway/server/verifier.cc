#include "gateway/server/verifier.h"

namespace regline::server {

OrderedVerifier::OrderedVerifier(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) workers_.emplace_back([this] { Work(); });
}

OrderedVerifier::~OrderedVerifier() { Stop(); }

void OrderedVerifier::Submit(std::function<Status()> check, std::function<void(Status)> then) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back({next_seq_++, std::move(check), std::move(then)});
      wake_.notify_one();
      return;
    }
  }
  then(check());
}

void OrderedVerifier::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void OrderedVerifier::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing is left to check
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Status result = job.check();
    lock.lock();
    done_.emplace(job.seq, Done{std::move(result), std::move(job.then)});
    if (releasing_) continue;  // the releasing worker will reach this one
    releasing_ = true;
    for (auto it = done_.find(next_release_); it != done_.end(); it = done_.find(next_release_)) {
      Done ready = std::move(it->second);
      done_.erase(it);
      next_release_++;
      lock.unlock();
      ready.then(std::move(ready.result));
      lock.lock();
    }
    releasing_ = false;
  }
}

}  // namespace regline::server
