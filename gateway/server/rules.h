// The Measures' rules the gateway applies to a submission's payload before
// it stores it, after authorization: directives against the running policy
// (policy/directive_rules.h), giving the terms the store tracks; MCN
// agreements against measures/agreement_rules.h, and then redacted (the
// identity numbers replaced by salted digests, the envelope re-signed by
// the gateway) before anything is stored.
//
// Pure functions of their arguments; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "gateway/core/directive_ledger.h"
#include "gateway/core/message_id.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/policy/policy.h"

namespace regline::server {

// For a directive (kind = schema MessageKind.directive), the terms to
// track: CheckDirective's, at `now_ms`, plus "a directive cannot supersede
// or revoke itself" (its id is `id`). nullopt for other kinds. Refusals as
// CheckDirective's (kInvalidArgument, kPermissionDenied).
Result<std::optional<DirectiveTerms>> DirectiveTermsOf(const policy::Policy& policy, int kind, std::string_view payload,
                                                       const MessageId& id, int64_t now_ms);

// For an agreement (kind signedAgreement) from `sender`: every rule of
// measures::CheckAgreement, signatures of the agency and of each party
// over the document digest included. Ok for other kinds.
Status CheckAgreementRules(const policy::Policy& policy, int kind, std::string_view payload, std::string_view sender,
                           const identity::Registry& registry);

// An agreement whose envelope signature has been verified: replaces
// `submission.envelope` by the redacted one (payload from
// measures::RedactAgreement, signature by `signer` as `gateway_identity`,
// or none when `signer` is null) and sets submitted_digest to the SHA-256
// of the envelope as submitted, so a resubmission is still a duplicate.
// `envelope_signature` is the agency's, kept in the Redaction record.
Status RedactAgreementSubmission(Submission& submission, std::string_view payload,
                                 const identity::SignatureClaim& envelope_signature, const policy::Policy& policy,
                                 const std::string& gateway_identity, const identity::Signer* signer, int64_t now_ms);

// Everything the Measures' rules make of one checked submission, in one
// call for the session thread: sets the submission's directive terms,
// catalog version, attested catalog version and report terms (each only
// for its kind), and checks and redacts an agreement. The first refusal is
// returned and the submission must not be stored.
struct PayloadRulesInput {
  const policy::Policy& policy;
  const identity::Registry& registry;
  std::string_view payload;                   // the envelope's payload, as signed
  const identity::SignatureClaim& signature;  // the envelope's signature
  const std::string& gateway_identity;        // signs what the gateway changes
  const identity::Signer* signer;             // may be null (development)
  int64_t now_ms;
};
Status ApplyPayloadRules(Submission& submission, const PayloadRulesInput& in);

}  // namespace regline::server
