// AuditOverview: the audit chain's state for the web console's overview,
// cheap enough to compute on every page view of a store with millions of
// entries.
//
// A full walk (VerifyAuditChain) reads and hashes every entry: about a
// million a second on the build machine, minutes for a busy store. So the
// overview walks everything once at the first view, and then again at
// most once per `full_walk_every_ms` (default ten minutes) on a thread of
// its own, while page views go on being answered. Each view continues from
// the head the last walk verified (VerifyAuditChainAfter), which costs
// only the entries appended since. Tampering at or after that head shows
// on the next view; tampering before it when the next full walk finishes.
// A broken verdict is kept until a full walk says otherwise (the chain
// does not mend itself). `reglinectl audit verify` always walks
// everything, at once.
//
// Thread-safe: page views may arrive on several threads. Stop() (and the
// destructor) ends every walk in progress at its next entry, a view's
// included, so that a shutdown does not wait for a long walk; the
// destructor also waits for the background walk to end.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gateway/core/audit_chain.h"
#include "gateway/core/clock.h"

namespace regline::server {

struct AuditOverviewReport {
  Result<AuditVerdict> verdict = AuditVerdict{};
  bool full_walk = false;       // this answer waited for a walk of the whole chain (the first view)
  int64_t full_walk_at_ms = 0;  // when the last full walk that finished began (0: none yet)
};

class AuditOverview {
 public:
  static constexpr int64_t kDefaultFullWalkEveryMs = 10 * 60 * 1000;

  // `clock` must outlive this object.
  AuditOverview(std::string db_path, const Clock& clock, int64_t full_walk_every_ms = kDefaultFullWalkEveryMs);
  ~AuditOverview();
  AuditOverview(const AuditOverview&) = delete;
  AuditOverview& operator=(const AuditOverview&) = delete;

  AuditOverviewReport Check();

  // From now on every walk gives up at its next entry and Check() answers
  // kUnavailable. Call before stopping what serves the page views.
  void Stop() { stopping_ = true; }

  // Until no full walk runs in the background (tests).
  void WaitForFullWalk();

 private:
  // Takes a full walk's verdict (begun at `started_ms`) into last_.
  void TakeFullWalk(const Result<AuditVerdict>& verdict, int64_t started_ms);

  const std::string db_path_;
  const Clock& clock_;
  const int64_t full_walk_every_ms_;

  std::mutex check_mu_;  // one incremental check at a time (they extend last_)
  std::mutex mu_;        // guards the members below
  std::condition_variable walked_;
  std::optional<AuditVerdict> last_;  // intact: checked counts every entry found intact
  int64_t full_walk_at_ms_ = 0;       // when the last full walk that finished began; 0 never
  bool full_walk_wanted_ = false;     // due at the next view whatever the interval
  bool walking_ = false;
  std::atomic<bool> stopping_{false};  // Stop(): every walk gives up
  std::thread walker_;
};

}  // namespace regline::server
