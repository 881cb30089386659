// OutcomeHandoff: lets the sink worker's outcomes ride in the gateway
// link's next inbox transaction instead of a commit of their own, so that
// the connector has one writer on its hot path.
//
// Without it the link commits each batch of deliveries and the sink worker
// commits each batch of outcomes: two fsyncs per round, the same rows and
// index pages written to the log twice, and each commit waiting for the
// other's write lock. With it the worker hands its outcomes over here and
// waits; the link takes them (Take) into the Inbox::Write that stores the
// deliveries it is reading, or into a write of their own when none came,
// and reports that write's status (Finish), which Record returns. The
// worker still hears back only once its outcomes are durable, exactly as
// when it committed them itself, so nothing about when acknowledgements
// become due changes.
//
// While the link serves no session (it is reconnecting, draining or
// stopped), or when it has not taken the outcomes within claim_timeout_ms,
// the worker records them itself (Inbox::RecordSinkOutcomes): outcomes
// never wait for the gateway.
//
// Threads: one recorder (the sink worker) calls Record; the link calls
// SetServing, Waiting, Take and Finish. A Take that returned outcomes is
// always followed by Finish before the link calls SetServing(false).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "connectors/inbox.h"

namespace regline::connector {

class OutcomeHandoff {
 public:
  // `wake_link` (any thread) cuts the link's wait for frames short.
  OutcomeHandoff(Inbox& inbox, std::function<void()> wake_link, int64_t claim_timeout_ms = 100);
  OutcomeHandoff(const OutcomeHandoff&) = delete;
  OutcomeHandoff& operator=(const OutcomeHandoff&) = delete;

  // Records `outcomes` and `catalog` durably (through the link's next
  // write, or itself); the write's status. Blocks until then.
  Status Record(std::span<const SinkOutcomeRecord> outcomes, const CatalogProgress& catalog);

  // The link: whether it takes outcomes now. SetServing(false) hands
  // anything not taken back to its recorder.
  void SetServing(bool serving);
  // Whether outcomes wait to be taken (cheap; may be stale).
  bool Waiting() const { return waiting_.load(std::memory_order_acquire); }

  struct Claim {
    bool taken = false;  // false: nothing was waiting
    std::vector<SinkOutcomeRecord> outcomes;
    CatalogProgress catalog;
  };
  // Takes what waits; the link must then write it and call Finish.
  Claim Take();
  // The write holding the last Take's outcomes committed (ok) or failed.
  void Finish(const Status& written);

  // Outcome batches written by the link and by the recorder itself (tests,
  // logs, and the sink worker, which wakes the link only for its own).
  int64_t written_by_link() const;
  int64_t written_by_recorder() const;

 private:
  enum class State { kEmpty, kWaiting, kTaken, kDone };

  Inbox& inbox_;
  const std::function<void()> wake_link_;
  const int64_t claim_timeout_ms_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable changed_;
  bool serving_ = false;
  State state_ = State::kEmpty;
  std::vector<SinkOutcomeRecord> outcomes_;
  CatalogProgress catalog_;
  Status written_;
  int64_t by_link_ = 0;
  int64_t by_recorder_ = 0;
  std::atomic<bool> waiting_{false};  // state_ == kWaiting, readable without mu_
};

}  // namespace regline::connector
