// Directive rules: what the gateway checks in a regulator's Directive
// before accepting it, against the running Policy, and the terms it then
// tracks (the effective acknowledgement and completion deadlines).
//
// CheckDirective is a pure function of its arguments: the caller owns the
// Policy and the message and passes its clock's reading; nothing is kept.
// Any thread may call it, on the same Policy concurrently. Rules about the
// envelope (who sent it, its signature, the directive's own message id) are
// checked elsewhere; these are the rules the payload and the policy decide.
#pragma once

#include <cstdint>

#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/policy/policy.h"
#include "schemas/directive.capnp.h"

namespace regline::policy {

// What an accepted directive binds the platform to, as the gateway tracks it.
struct DirectiveTerms {
  schema::DirectiveAction action = schema::DirectiveAction::UNSPECIFIED;
  schema::Severity severity = schema::Severity::UNSPECIFIED;
  // The issuing office's department.
  schema::Department department = schema::Department::UNSPECIFIED;
  // The gateway's clock when it accepted the directive (Unix ms).
  int64_t issued_ms = 0;
  // The directive's effectiveFromMs as sent: 0 = on receipt.
  int64_t effective_from_ms = 0;
  // By when the platform must acknowledge accepted or rejected, and
  // completed (Unix ms): the directive's own values when non-zero,
  // otherwise issued_ms + the policy default for the action and severity.
  int64_t ack_deadline_ms = 0;
  int64_t completion_deadline_ms = 0;
  // True when the deadline above came from the policy (the directive's
  // field was 0).
  bool ack_deadline_from_policy = false;
  bool completion_deadline_from_policy = false;
  // The directive this one supersedes or revokes; all-zero = none. At most
  // one of the two is set.
  MessageId supersedes;
  MessageId revokes;

  friend bool operator==(const DirectiveTerms&, const DirectiveTerms&) = default;
};

// Checks `directive` against the rules below and `policy`, as issued at
// `issued_ms`, and returns its terms. The first rule broken is refused with
// a message a regulator's staff can act on, "directive rule <rule>: ...":
//   action       action set and known to this build and the policy;
//   severity     severity set and known;
//   issuer       the issuing office's department set and known;
//   legal basis  at least one provision cited;
//   issuers      the policy lets the department issue the action:
//                kPermissionDenied, e.g. "directive rule issuers: STA may
//                not issue suspendBroadcast (policy measures-default allows
//                cac, samr, nrta, mps)";
//   subject      the subject is of a kind the policy lets the action
//                target ("takeDownProduct targets a product, not a
//                liveRoom");
//   parameters   popUpWarning and prominentLabel have userFacingText,
//                restrictFunctions at least one restrictedFunctions entry
//                (none blank), provideInformation and preserveEvidence
//                informationRequested, rectify requirements;
//                trafficReductionPercent <= 100; durationMs not negative;
//   deadlines    effective ack deadline after issued_ms, completion after
//                ack, effectiveFromMs (if set) not after completion; the
//                message says which deadlines were set by the directive and
//                which are policy defaults;
//   supersedes   supersedes and revokes not both set.
// Every refusal is kInvalidArgument except the issuers rule. A message that
// cannot be read (capnp throws) is kInvalidArgument too.
Result<DirectiveTerms> CheckDirective(const Policy& policy, schema::Directive::Reader directive, int64_t issued_ms);

// "2024-05-01 12:13:00 UTC" (with ".250" before " UTC" when the
// milliseconds are not zero): how the rules' messages show instants.
std::string FormatUtc(int64_t unix_ms);

}  // namespace regline::policy
