#include "gateway/server/audit_overview.h"

#include <utility>

namespace regline::server {

AuditOverview::AuditOverview(std::string db_path, const Clock& clock, int64_t full_walk_every_ms)
    : db_path_(std::move(db_path)), clock_(clock), full_walk_every_ms_(full_walk_every_ms) {}

AuditOverviewReport AuditOverview::FullWalk(int64_t now_ms) {
  Result<AuditVerdict> v = VerifyAuditChain(db_path_);
  if (!v.ok()) {
    last_.reset();  // try again in full next time
    return {v.status(), true, full_walk_at_ms_};
  }
  last_ = *v;
  full_walk_at_ms_ = now_ms;
  return {*v, true, full_walk_at_ms_};
}

AuditOverviewReport AuditOverview::Check() {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowMs();
  if (!last_.has_value() || now - full_walk_at_ms_ >= full_walk_every_ms_) return FullWalk(now);
  if (!last_->intact) return {*last_, false, full_walk_at_ms_};

  Result<AuditVerdict> more = VerifyAuditChainAfter(db_path_, last_->head);
  if (!more.ok()) {
    // Retention pruned the entry the last walk ended at: start over.
    if (more.status().code() == StatusCode::kFailedPrecondition) return FullWalk(now);
    return {more.status(), false, full_walk_at_ms_};
  }
  AuditVerdict merged = *more;
  merged.checked += last_->checked;
  last_ = merged;
  return {merged, false, full_walk_at_ms_};
}

}  // namespace regline::server
