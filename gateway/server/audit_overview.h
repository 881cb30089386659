// AuditOverview: the audit chain's state for the web console's overview,
// cheap enough to compute on every page view of a store with millions of
// entries.
//
// A full walk (VerifyAuditChain) reads and hashes every entry: seconds for
// a large store. So the overview walks everything at most once per
// `full_walk_every_ms` (default ten minutes) and in between continues from
// the head the last walk verified (VerifyAuditChainAfter), which costs only
// the entries appended since. Tampering at or after that head shows on the
// next page view; tampering before it shows at the next full walk. A broken
// verdict is kept until the next full walk (the chain does not mend
// itself). `reglinectl audit verify` always walks everything.
//
// Thread-safe: page views may arrive on several threads; walks are run one
// at a time.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/core/audit_chain.h"
#include "gateway/core/clock.h"

namespace regline::server {

struct AuditOverviewReport {
  Result<AuditVerdict> verdict = AuditVerdict{};
  bool full_walk = false;       // this report came from a walk of the whole chain
  int64_t full_walk_at_ms = 0;  // when the last full walk ran (0: none has succeeded)
};

class AuditOverview {
 public:
  static constexpr int64_t kDefaultFullWalkEveryMs = 10 * 60 * 1000;

  // `clock` must outlive this object.
  AuditOverview(std::string db_path, const Clock& clock, int64_t full_walk_every_ms = kDefaultFullWalkEveryMs);

  AuditOverviewReport Check();

 private:
  AuditOverviewReport FullWalk(int64_t now_ms);

  const std::string db_path_;
  const Clock& clock_;
  const int64_t full_walk_every_ms_;

  std::mutex mu_;                     // one walk at a time; guards the members below
  std::optional<AuditVerdict> last_;  // the last verdict (intact: checked counts every entry found intact)
  int64_t full_walk_at_ms_ = 0;
};

}  // namespace regline::server
