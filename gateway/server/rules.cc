#include "gateway/server/rules.h"

#include <capnp/message.h>

#include "gateway/crypto/signing.h"
#include "gateway/measures/agreement_rules.h"
#include "gateway/policy/directive_rules.h"
#include "gateway/protocol/frames.h"
#include "gateway/server/catalog.h"
#include "gateway/server/reports.h"
#include "schemas/envelope.capnp.h"

namespace regline::server {
namespace {

measures::AgreementRules RulesOf(const policy::Policy& policy) {
  measures::AgreementRules rules;
  rules.min_age_years = policy.agreements.min_age_years;
  rules.guardian_consent_below_years = policy.agreements.guardian_consent_below_years;
  rules.identity_digest = policy.agreements.identity_digest;
  return rules;
}

constexpr int kAgreement = static_cast<int>(schema::MessageKind::SIGNED_AGREEMENT);

}  // namespace

Status CheckAgreementRules(const policy::Policy& policy, int kind, std::string_view payload, std::string_view sender,
                           const identity::Registry& registry) {
  if (kind != kAgreement) return Status::Ok();
  return measures::CheckAgreementPayload(payload, sender, registry, RulesOf(policy));
}

Status RedactAgreementSubmission(Submission& submission, std::string_view payload,
                                 const identity::SignatureClaim& envelope_signature, const policy::Policy& policy,
                                 const std::string& gateway_identity, const identity::Signer* signer, int64_t now_ms) {
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

Status ApplyPayloadRules(Submission& sub, const PayloadRulesInput& in) {
  // The family's default expiry ([families.<kind>] expiry) for an envelope
  // that sets none, counted from acceptance.
  if (const policy::FamilyRules* family = in.policy.FindFamily(static_cast<schema::MessageKind>(sub.kind));
      family != nullptr && family->expiry_ms > 0 && sub.expires_ms == 0) {
    sub.expires_ms = in.now_ms + family->expiry_ms;
  }
  switch (static_cast<schema::MessageKind>(sub.kind)) {
    case schema::MessageKind::DIRECTIVE: {
      Result<std::optional<DirectiveTerms>> terms =
          DirectiveTermsOf(in.policy, sub.kind, in.payload, sub.id, in.now_ms);
      if (!terms.ok()) return terms.status();
      sub.directive = std::move(*terms);
      return Status::Ok();
    }
    case schema::MessageKind::CATALOG_UPDATE: {
      Result<std::optional<CatalogVersionTerms>> version = CatalogTermsOf(sub.kind, in.payload);
      if (!version.ok()) return version.status();
      sub.catalog_version = *version;
      return Status::Ok();
    }
    case schema::MessageKind::COMPLIANCE_ATTESTATION: {
      Result<std::optional<uint64_t>> attested = AttestedCatalogVersionOf(sub.kind, in.payload);
      if (!attested.ok()) return attested.status();
      sub.attested_catalog_version = *attested;
      return Status::Ok();
    }
    case schema::MessageKind::COMPLAINT_STATISTICS:
    case schema::MessageKind::TAX_ASSISTANCE_RESPONSE: {
      Result<std::optional<ReportTerms>> report = ReportTermsOf(in.policy, sub.kind, in.payload);
      if (!report.ok()) return report.status();
      sub.report = *report;
      return Status::Ok();
    }
    case schema::MessageKind::SIGNED_AGREEMENT:
      REGLINE_RETURN_IF_ERROR(CheckAgreementRules(in.policy, sub.kind, in.payload, sub.sender, in.registry));
      return RedactAgreementSubmission(sub, in.payload, in.signature, in.policy, in.gateway_identity, in.signer,
                                       in.now_ms);
    default:
      return Status::Ok();
  }
}

Result<std::optional<DirectiveTerms>> DirectiveTermsOf(const policy::Policy& policy, int kind, std::string_view payload,
                                                       const MessageId& id, int64_t now_ms) {
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
  terms.department = std::string(protocol::DepartmentCode(checked->department));
  terms.action = static_cast<int>(checked->action);
  terms.severity = static_cast<int>(checked->severity);
  terms.ack_deadline_ms = checked->ack_deadline_ms;
  terms.completion_deadline_ms = checked->completion_deadline_ms;
  terms.supersedes = checked->supersedes;
  terms.revokes = checked->revokes;
  return std::optional<DirectiveTerms>(std::move(terms));
}

}  // namespace regline::server
