// The Measures' rules the gateway applies to a submission's payload before
// it stores it, on the session thread, after authorization and before the
// signature check: directives against the running policy
// (policy/directive_rules.h), giving the terms the store tracks.
//
// Pure functions of their arguments; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "gateway/core/directive_ledger.h"
#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/policy/policy.h"

namespace regline::server {

// For a directive (kind = schema MessageKind.directive), the terms to
// track: CheckDirective's, at `now_ms`, plus "a directive cannot supersede
// or revoke itself" (its id is `id`). nullopt for other kinds. Refusals as
// CheckDirective's (kInvalidArgument, kPermissionDenied).
Result<std::optional<DirectiveTerms>> DirectiveTermsOf(const policy::Policy& policy, int kind,
                                                       std::string_view payload, const MessageId& id,
                                                       int64_t now_ms);

}  // namespace regline::server
