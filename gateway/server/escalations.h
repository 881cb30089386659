// Escalations: the message the gateway sends a directive's issuer when a
// platform misses one of the directive's deadlines (schemas/escalation.capnp).
//
// MakeEscalation turns one overdue item of the store's directive ledger
// into a Submission from the gateway's own identity to the directive's
// sender, kind escalation, correlated with the directive, signed with the
// gateway's signing key when it has one. The gateway stores it with
// Store::Escalate, which records the miss as escalated in the same
// transaction, so each miss is escalated once per level. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "gateway/core/directive_ledger.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/identity/signature_check.h"

namespace regline::server {

// Level `level` escalation of `item` at `now_ms`, sent as `gateway_identity`.
// `signer` may be null (development mode: unsigned).
Result<Submission> MakeEscalation(const OverdueItem& item, int level, int64_t now_ms,
                                  const std::string& gateway_identity, const identity::Signer* signer);

}  // namespace regline::server
