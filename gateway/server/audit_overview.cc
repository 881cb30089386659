#include "gateway/server/audit_overview.h"

#include <utility>

#include "gateway/core/log.h"

namespace regline::server {

AuditOverview::AuditOverview(std::string db_path, const Clock& clock, int64_t full_walk_every_ms)
    : db_path_(std::move(db_path)), clock_(clock), full_walk_every_ms_(full_walk_every_ms) {}

AuditOverview::~AuditOverview() {
  Stop();  // a walk of millions of entries would hold up the gateway's shutdown
  WaitForFullWalk();
  if (walker_.joinable()) walker_.join();
}

void AuditOverview::WaitForFullWalk() {
  std::unique_lock lock(mu_);
  walked_.wait(lock, [this] { return !walking_; });
}

void AuditOverview::TakeFullWalk(const Result<AuditVerdict>& verdict, int64_t started_ms) {
  if (!verdict.ok()) {
    // Tried again at the next view; the last verdict stands meanwhile.
    Log(LogLevel::kWarning, "audit_overview_walk_failed", {{"error", verdict.status().ToString()}});
    return;
  }
  full_walk_at_ms_ = started_ms;
  // An intact full walk that ended behind what the views have verified
  // since adds nothing, nor does one that did not reach the entry a view
  // found broken; anything else replaces the last verdict.
  if (verdict->intact && last_.has_value()) {
    if (last_->intact && last_->head.seq >= verdict->head.seq) return;
    if (!last_->intact && verdict->head.seq < last_->first_broken) return;
  }
  last_ = *verdict;
}

AuditOverviewReport AuditOverview::Check() {
  std::lock_guard check(check_mu_);
  const int64_t now = clock_.NowMs();
  std::optional<AuditVerdict> last;
  {
    std::lock_guard lock(mu_);
    last = last_;
    if (last.has_value() && !walking_ && (full_walk_wanted_ || now - full_walk_at_ms_ >= full_walk_every_ms_)) {
      full_walk_wanted_ = false;
      // Due again: walk everything on a thread of its own.
      if (walker_.joinable()) walker_.join();  // the previous walk has finished
      walking_ = true;
      walker_ = std::thread([this, now] {
        Result<AuditVerdict> v = VerifyAuditChain(db_path_, std::nullopt, &stopping_);
        std::lock_guard done(mu_);
        if (!stopping_) TakeFullWalk(v, now);
        walking_ = false;
        walked_.notify_all();
      });
    }
  }
  if (!last.has_value()) {
    // The first view: nothing verified yet to continue from.
    Result<AuditVerdict> v = VerifyAuditChain(db_path_, std::nullopt, &stopping_);
    if (stopping_) return {v.ok() ? Unavailable("the gateway is stopping") : v.status(), true, 0};
    std::lock_guard lock(mu_);
    TakeFullWalk(v, now);
    if (!v.ok()) return {v.status(), true, full_walk_at_ms_};
    return {*last_, true, full_walk_at_ms_};
  }
  if (!last->intact) {
    std::lock_guard lock(mu_);
    return {*last_, false, full_walk_at_ms_};
  }
  Result<AuditVerdict> more = VerifyAuditChainAfter(db_path_, last->head, &stopping_);
  std::lock_guard lock(mu_);
  if (stopping_) return {more.ok() ? Unavailable("the gateway is stopping") : more.status(), false, full_walk_at_ms_};
  if (!more.ok()) {
    // Retention pruned the entry the last walk ended at: a full walk starts
    // at the next view; until then the last verdict stands, and so does the
    // time of the last full walk (it did happen).
    if (more.status().code() == StatusCode::kFailedPrecondition) {
      if (!walking_) full_walk_wanted_ = true;  // one in progress replaces last_ when it ends
      return {*last_, false, full_walk_at_ms_};
    }
    return {more.status(), false, full_walk_at_ms_};
  }
  // A full walk may have finished meanwhile: extend only what it left.
  if (last_.has_value() && (!last_->intact || last_->head.seq > last->head.seq)) {
    return {*last_, false, full_walk_at_ms_};
  }
  AuditVerdict merged = *more;
  merged.checked += last->checked;
  last_ = merged;
  return {merged, false, full_walk_at_ms_};
}

}  // namespace regline::server
