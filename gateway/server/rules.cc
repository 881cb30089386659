#include "gateway/server/rules.h"

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

}  // namespace

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
