#include "connectors/outcome_handoff.h"

#include <chrono>

namespace regline::connector {

OutcomeHandoff::OutcomeHandoff(Inbox& inbox, std::function<void()> wake_link, int64_t claim_timeout_ms)
    : inbox_(inbox), wake_link_(std::move(wake_link)), claim_timeout_ms_(claim_timeout_ms) {}

Status OutcomeHandoff::Record(std::span<const SinkOutcomeRecord> outcomes, const CatalogProgress& catalog) {
  if (outcomes.empty() && catalog.empty()) return Status::Ok();
  auto record_here = [&] {
    Status s = inbox_.RecordSinkOutcomes(outcomes, catalog);
    std::lock_guard lock(mu_);
    if (s.ok()) ++by_recorder_;
    return s;
  };
  {
    std::unique_lock lock(mu_);
    if (!serving_) {
      lock.unlock();
      return record_here();
    }
    outcomes_.assign(outcomes.begin(), outcomes.end());
    catalog_ = catalog;
    state_ = State::kWaiting;
    waiting_.store(true, std::memory_order_release);
  }
  if (wake_link_) wake_link_();
  std::unique_lock lock(mu_);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(claim_timeout_ms_);
  for (;;) {
    if (state_ == State::kDone) {
      state_ = State::kEmpty;
      return written_;
    }
    if (state_ == State::kWaiting && (!serving_ || std::chrono::steady_clock::now() >= give_up)) {
      // Not taken: the link stopped serving or is busy elsewhere.
      state_ = State::kEmpty;
      waiting_.store(false, std::memory_order_release);
      outcomes_.clear();
      catalog_ = {};
      lock.unlock();
      return record_here();
    }
    if (state_ == State::kWaiting) {
      changed_.wait_until(lock, give_up);
    } else {
      changed_.wait(lock);  // taken: the link's write always finishes
    }
  }
}

void OutcomeHandoff::SetServing(bool serving) {
  {
    std::lock_guard lock(mu_);
    serving_ = serving;
  }
  changed_.notify_all();
}

OutcomeHandoff::Claim OutcomeHandoff::Take() {
  Claim c;
  if (!Waiting()) return c;
  std::lock_guard lock(mu_);
  if (state_ != State::kWaiting) return c;
  c.taken = true;
  c.outcomes = std::move(outcomes_);
  c.catalog = std::move(catalog_);
  outcomes_.clear();
  catalog_ = {};
  state_ = State::kTaken;
  waiting_.store(false, std::memory_order_release);
  return c;
}

void OutcomeHandoff::Finish(const Status& written) {
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kTaken) return;
    written_ = written;
    state_ = State::kDone;
    if (written.ok()) ++by_link_;
  }
  changed_.notify_all();
}

int64_t OutcomeHandoff::written_by_link() const {
  std::lock_guard lock(mu_);
  return by_link_;
}

int64_t OutcomeHandoff::written_by_recorder() const {
  std::lock_guard lock(mu_);
  return by_recorder_;
}

}  // namespace regline::connector
