#include "gateway/server/rules.h"

#include <capnp/message.h>

#include "gateway/crypto/signing.h"
#include "gateway/measures/agreement_rules.h"
#include "gateway/policy/directive_rules.h"
#include "gateway/protocol/frames.h"
#include "schemas/envelope.capnp.h"

namespace regline::server {
namespace {

// The registry's department codes ("SAMR"), which the store keeps.
std::string DepartmentCode(schema::Department d) {
  static constexpr const char* kCodes[] = {"", "CAC", "MPS", "MOFCOM", "MCT", "STA", "SAMR", "NRTA"};
  auto i = static_cast<size_t>(d);
  return i < std::size(kCodes) ? kCodes[i] : "";
}

measures::AgreementRules RulesOf(const policy::Policy& policy) {
  measures::AgreementRules rules;
  rules.min_age_years = policy.agreements.min_age_years;
  rules.guardian_consent_below_years = policy.agreements.guardian_consent_below_years;
  rules.identity_digest = policy.agreements.identity_digest;
  return rules;
}

constexpr int kAgreement = static_cast<int>(schema::MessageKind::SIGNED_AGREEMENT);

}  // namespace

Status CheckAgreementRules(const policy::Policy& policy, int kind, std::string_view payload,
                           std::string_view sender, const identity::Registry& registry) {
  if (kind != kAgreement) return Status::Ok();
  return measures::CheckAgreementPayload(payload, sender, registry, RulesOf(policy));
}

Status RedactAgreementSubmission(Submission& submission, std::string_view payload,
                                 const identity::SignatureClaim& envelope_signature, const policy::Policy& policy,
                                 const std::string& gateway_identity, const identity::Signer* signer,
                                 int64_t now_ms) {
  if (submission.kind != kAgreement) return Status::Ok();
  measures::RedactionInputs inputs;
  inputs.envelope_signature = envelope_signature;
  inputs.gateway = gateway_identity;
  inputs.now_ms = now_ms;
  inputs.rules = RulesOf(policy);
  Result<std::string> redacted = measures::RedactAgreement(payload, inputs);
  if (!redacted.ok()) return redacted.status();

  Result<protocol::DecodedEnvelope> original =
      protocol::DecodedEnvelope::Parse(submission.envelope, submission.envelope.size());
  if (!original.ok()) return original.status();
  capnp::MallocMessageBuilder message;
  message.setRoot(original->get());
  auto envelope = message.getRoot<schema::Envelope>();
  envelope.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(redacted->data()), redacted->size()));
  if (signer != nullptr) {
    Result<identity::SignatureClaim> signature = signer->Sign(*redacted);
    if (!signature.ok()) return signature.status().WithContext("re-signing a redacted agreement");
    protocol::ToWire(*signature, envelope.initSignature());
  } else {
    envelope.disownSignature();
  }
  submission.submitted_digest = crypto::Sha256(submission.envelope);
  submission.envelope = protocol::Encode(message);
  return Status::Ok();
}

Result<std::optional<DirectiveTerms>> DirectiveTermsOf(const policy::Policy& policy, int kind,
                                                       std::string_view payload, const MessageId& id,
                                                       int64_t now_ms) {
  if (kind != static_cast<int>(schema::MessageKind::DIRECTIVE)) return std::optional<DirectiveTerms>();
  Result<protocol::Decoded<schema::Directive>> directive =
      protocol::Decoded<schema::Directive>::Parse(payload, payload.size());
  if (!directive.ok()) return InvalidArgument("directive payload: " + directive.status().message());
  Result<policy::DirectiveTerms> checked = policy::CheckDirective(policy, directive->get(), now_ms);
  if (!checked.ok()) return checked.status();
  if (checked->supersedes == id || checked->revokes == id) {
    return InvalidArgument("directive rule supersedes: a directive cannot supersede or revoke itself");
  }
  DirectiveTerms terms;
  terms.department = DepartmentCode(checked->department);
  terms.action = static_cast<int>(checked->action);
  terms.severity = static_cast<int>(checked->severity);
  terms.ack_deadline_ms = checked->ack_deadline_ms;
  terms.completion_deadline_ms = checked->completion_deadline_ms;
  terms.supersedes = checked->supersedes;
  terms.revokes = checked->revokes;
  return std::optional<DirectiveTerms>(std::move(terms));
}

}  // namespace regline::server
