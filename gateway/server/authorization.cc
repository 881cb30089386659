#include "gateway/server/authorization.h"

#include <capnp/schema.h>
#include <kj/exception.h>

#include <algorithm>
#include <optional>
#include <string>

#include "gateway/protocol/frames.h"
#include "schemas/catalog.capnp.h"
#include "schemas/directive.capnp.h"
#include "schemas/envelope.capnp.h"
#include "schemas/tax.capnp.h"

namespace regline::server {
namespace {

using identity::Identity;
using identity::Role;
using Kind = schema::MessageKind;

// Which office a regulator's payload names.
enum class Office { kNone, kIssuer };

struct SubmitRule {
  Kind kind;
  std::optional<Role> sender;     // nullopt: nobody submits this family
  std::vector<Role> recipients;   // roles a recipient may have
  std::string_view department;    // non-empty: the sender must belong to it
  Office office = Office::kNone;  // kIssuer: the payload's office must be the sender's department
};

const std::vector<SubmitRule>& SubmitRules() {
  static const std::vector<SubmitRule> rules = {
      {Kind::DIRECTIVE, Role::kRegulator, {Role::kPlatform}, "", Office::kIssuer},
      {Kind::CATALOG_UPDATE, Role::kRegulator, {Role::kPlatform}, "", Office::kIssuer},
      {Kind::CATALOG_SNAPSHOT, Role::kRegulator, {Role::kPlatform}, "", Office::kIssuer},
      {Kind::TAX_ASSISTANCE_REQUEST, Role::kRegulator, {Role::kPlatform}, "STA", Office::kIssuer},
      {Kind::TAX_ASSISTANCE_RESPONSE, Role::kPlatform, {Role::kRegulator}, "", Office::kNone},
      {Kind::COMPLAINT_STATISTICS, Role::kPlatform, {Role::kRegulator}, "", Office::kNone},
      {Kind::COMPLIANCE_ATTESTATION, Role::kPlatform, {Role::kRegulator}, "", Office::kNone},
      {Kind::SIGNED_AGREEMENT, Role::kMcnAgency, {Role::kPlatform, Role::kRegulator}, "", Office::kNone},
      {Kind::ACKNOWLEDGEMENT, std::nullopt, {}, "", Office::kNone},
      {Kind::ESCALATION, std::nullopt, {}, "", Office::kNone},
  };
  return rules;
}

std::string KindName(Kind k) {
  auto e = capnp::Schema::from<Kind>().getEnumerants();
  auto i = static_cast<unsigned>(k);
  return i < e.size() ? std::string(e[i].getProto().getName().cStr()) : "kind " + std::to_string(i);
}

template <typename T>
Result<std::string> IssuerDepartment(std::string_view payload, schema::IssuingOffice::Reader (*office)(typename T::Reader)) {
  Result<protocol::Decoded<T>> decoded = protocol::Decoded<T>::Parse(payload, payload.size());
  if (!decoded.ok()) return InvalidArgument("payload: " + decoded.status().message());
  std::string code;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions(
      [&]() { code = std::string(protocol::DepartmentCode(office(decoded->get()).getDepartment())); });
  KJ_IF_MAYBE(e, failure) { return InvalidArgument(std::string("payload: ") + e->getDescription().cStr()); }
  return code;
}

Result<std::string> PayloadDepartment(Kind kind, std::string_view payload) {
  switch (kind) {
    case Kind::DIRECTIVE:
      return IssuerDepartment<schema::Directive>(payload, [](schema::Directive::Reader r) { return r.getIssuer(); });
    case Kind::CATALOG_UPDATE:
      return IssuerDepartment<schema::CatalogUpdate>(payload,
                                                     [](schema::CatalogUpdate::Reader r) { return r.getIssuer(); });
    case Kind::CATALOG_SNAPSHOT:
      return IssuerDepartment<schema::CatalogSnapshot>(
          payload, [](schema::CatalogSnapshot::Reader r) { return r.getIssuer(); });
    case Kind::TAX_ASSISTANCE_REQUEST:
      return IssuerDepartment<schema::TaxAssistanceRequest>(
          payload, [](schema::TaxAssistanceRequest::Reader r) { return r.getOffice(); });
    default: return std::string();
  }
}

std::string Who(const Identity& i) {
  std::string s = "'" + i.name + "' (" + std::string(identity::RoleName(i.role));
  if (!i.department.empty()) s += " of " + i.department;
  return s + ")";
}

}  // namespace

Status AuthorizeSubmit(const Identity& sender, int kind, const std::vector<const Identity*>& recipients,
                       std::string_view payload) {
  const auto k = static_cast<Kind>(kind);
  const auto& rules = SubmitRules();
  auto rule = std::find_if(rules.begin(), rules.end(), [&](const SubmitRule& r) { return r.kind == k; });
  if (rule == rules.end()) return InvalidArgument("no message family has kind " + std::to_string(kind));
  if (!rule->sender.has_value()) {
    return PermissionDenied("nobody submits " + KindName(k) + " messages" +
                            (k == Kind::ACKNOWLEDGEMENT ? ": acknowledgements go in ACK frames"
                                                        : ": only the gateway issues them"));
  }
  if (sender.role != *rule->sender) {
    return PermissionDenied(Who(sender) + " may not send " + KindName(k) + " messages; only a " +
                            std::string(identity::RoleName(*rule->sender)) + " may");
  }
  if (!rule->department.empty() && sender.department != rule->department) {
    return PermissionDenied(Who(sender) + " may not send " + KindName(k) + " messages; only " +
                            std::string(rule->department) + " may");
  }
  for (const Identity* r : recipients) {
    if (std::find(rule->recipients.begin(), rule->recipients.end(), r->role) == rule->recipients.end()) {
      return PermissionDenied(KindName(k) + " messages may not go to " + Who(*r));
    }
  }
  if (rule->office == Office::kIssuer) {
    Result<std::string> office = PayloadDepartment(k, payload);
    if (!office.ok()) return office.status();
    if (*office != sender.department) {
      return PermissionDenied(Who(sender) + " may not issue a " + KindName(k) + " in the name of " +
                              (office->empty() ? std::string("no department") : *office));
    }
  }
  return Status::Ok();
}

Status AuthorizeMessageView(const Identity& viewer, std::string_view sender,
                            const std::vector<std::string>& recipients) {
  if (viewer.role == Role::kOperator || viewer.role == Role::kRegulator || viewer.name == sender) return Status::Ok();
  if (std::find(recipients.begin(), recipients.end(), viewer.name) != recipients.end()) return Status::Ok();
  return PermissionDenied(Who(viewer) + " may not see a message that '" + std::string(sender) +
                          "' sent to others");
}

Status AuthorizeQueueView(const Identity& viewer) {
  if (viewer.role == Role::kMcnAgency) return PermissionDenied(Who(viewer) + " has no queue to see");
  return Status::Ok();
}

bool SeesEveryRecipient(const Identity& viewer) {
  return viewer.role == Role::kOperator || viewer.role == Role::kRegulator;
}

Status AuthorizeLegalHold(const Identity& viewer) {
  if (viewer.role == Role::kOperator || viewer.role == Role::kRegulator) return Status::Ok();
  return PermissionDenied(Who(viewer) + " may not set, lift or list legal holds; only regulators and gateway "
                                        "operators may");
}

Status AuthorizeOperatorQuery(const Identity& viewer, std::string_view what) {
  if (viewer.role == Role::kOperator) return Status::Ok();
  return PermissionDenied(Who(viewer) + " may not " + std::string(what) + "; only gateway operators may");
}

}  // namespace regline::server
