// OrderedVerifier: checks signatures on worker threads and hands each
// result on in the order the checks were asked for.
//
// A signature check (Ed25519 ~0.2 ms, SM2 ~0.6 ms on the build machine) is
// the costliest step of a submission, too costly for the session thread.
// Workers run the checks in parallel; the continuations ("then") run one at
// a time, strictly in Submit order, on whichever worker finished the
// oldest outstanding check, so that submissions reach the store in the
// order the session thread accepted them (per-sender order is kept).
//
// Submit may be called from any thread. Continuations must be quick and
// must not call Submit on the same verifier. Stop() (and the destructor)
// finishes every check already submitted, runs its continuation, then
// joins the workers; a Submit after Stop() runs its check on the caller's
// thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/core/status.h"

namespace regline::server {

class OrderedVerifier {
 public:
  explicit OrderedVerifier(int threads);
  ~OrderedVerifier();
  OrderedVerifier(const OrderedVerifier&) = delete;
  OrderedVerifier& operator=(const OrderedVerifier&) = delete;

  void Submit(std::function<Status()> check, std::function<void(Status)> then);
  void Stop();

 private:
  struct Job {
    uint64_t seq;
    std::function<Status()> check;
    std::function<void(Status)> then;
  };
  struct Done {
    Status result;
    std::function<void(Status)> then;
  };
  void Work();

  std::mutex mu_;  // guards everything below
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::map<uint64_t, Done> done_;  // checked, waiting for older ones
  uint64_t next_seq_ = 0;          // the next Submit's number
  uint64_t next_release_ = 0;      // the next continuation to run
  bool releasing_ = false;         // a worker is running continuations
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace regline::server
