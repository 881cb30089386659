#include "gateway/policy/directive_rules.h"

#include <kj/exception.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>
#include <string>

#include "gateway/policy/schema_names.h"

namespace regline::policy {

using schema::Department;
using schema::DirectiveAction;
using schema::Severity;
using SubjectKind = schema::SubjectRef::Which;

namespace {

Status Refuse(std::string_view rule, const std::string& text, StatusCode code = StatusCode::kInvalidArgument) {
  return Status(code, "directive rule " + std::string(rule) + ": " + text);
}

// The name of a value of an enum of the schema, or "number N" for a value
// this build does not know.
template <typename Enum>
std::string NameOf(Enum value) {
  std::string_view name = EnumerantName(value);
  return name.empty() ? "number " + std::to_string(static_cast<unsigned>(value)) : std::string(name);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool Blank(capnp::Text::Reader text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

// "a product", "an account", "the wholePlatform".
std::string WithArticle(SubjectKind kind) {
  std::string_view name = SubjectKindName(kind);
  if (name.empty()) return "subject kind number " + std::to_string(static_cast<unsigned>(kind));
  if (kind == SubjectKind::WHOLE_PLATFORM) return "the " + std::string(name);
  bool vowel = std::string_view("aeiou").find(name.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(name);
}

MessageId IdOf(schema::MessageId::Reader id) { return MessageId{id.getHi(), id.getLo()}; }

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<int64_t>::max() : sum;
}

// The enum-valued fields: set and known, and an action the policy covers.
Status CheckEnums(const Policy& policy, schema::Directive::Reader d) {
  const DirectiveAction action = d.getAction();
  if (action == DirectiveAction::UNSPECIFIED) {
    return Refuse("action", "no action is set; the directive must say what the platform must do (e.g. " +
                                std::string(EnumerantName(DirectiveAction::SUSPEND_BROADCAST)) + ")");
  }
  if (EnumerantName(action).empty()) {
    return Refuse("action", "action " + NameOf(action) + " is not one this gateway knows");
  }
  if (policy.Find(action) == nullptr) {
    return Refuse("action", "policy " + policy.name + " has no rules for " + NameOf(action));
  }
  const Severity severity = d.getSeverity();
  if (severity == Severity::UNSPECIFIED) {
    std::vector<std::string_view> names;
    for (Severity s : SpecifiedEnumerants<Severity>()) names.push_back(EnumerantName(s));
    return Refuse("severity", "no severity is set (" + JoinNames(names, " or ") + ")");
  }
  if (EnumerantName(severity).empty()) {
    return Refuse("severity", "severity " + NameOf(severity) + " is not one this gateway knows");
  }
  const Department department = d.getIssuer().getDepartment();
  if (department == Department::UNSPECIFIED) {
    return Refuse("issuer", "the issuing office's department is not set");
  }
  if (EnumerantName(department).empty()) {
    return Refuse("issuer", "department " + NameOf(department) + " is not one this gateway knows");
  }
  return Status::Ok();
}

Status CheckIssuerAndSubject(const Policy& policy, const ActionRules& rules, schema::Directive::Reader d) {
  const std::string action = NameOf(d.getAction());
  if (d.getLegalBasis().size() == 0) {
    return Refuse("legal basis",
                  "the directive cites no legal basis; cite at least one provision (e.g. the Measures, "
                  "Art. 18)");
  }
  const Department department = d.getIssuer().getDepartment();
  if (!rules.AllowsIssuer(department)) {
    std::vector<std::string_view> allowed;
    for (Department a : rules.issuers) allowed.push_back(EnumerantName(a));
    return Refuse("issuers",
                  Upper(EnumerantName(department)) + " may not issue " + action + " (policy " + policy.name +
                      " allows " + (allowed.empty() ? std::string("no department") : JoinNames(allowed, ", ")) + ")",
                  StatusCode::kPermissionDenied);
  }
  const SubjectKind kind = d.getSubject().which();
  if (SubjectKindName(kind).empty()) {
    return Refuse("subject", WithArticle(kind) + " is not one this gateway knows");
  }
  if (!rules.AllowsSubject(kind)) {
    std::vector<std::string> allowed;
    for (SubjectKind k : rules.subjects) allowed.push_back(WithArticle(k));
    std::vector<std::string_view> views(allowed.begin(), allowed.end());
    return Refuse("subject", action + " targets " +
                                 (views.empty() ? std::string("nothing") : JoinNames(views, " or ")) + ", not " +
                                 WithArticle(kind));
  }
  return Status::Ok();
}

Status NeedText(std::string_view action, capnp::Text::Reader text, std::string_view what, std::string_view field) {
  if (!Blank(text)) return Status::Ok();
  return Refuse("parameters", std::string(action) + " needs " + std::string(what) + " (parameters." +
                                  std::string(field) + " is empty)");
}

Status CheckParameters(schema::Directive::Reader d) {
  const std::string action = NameOf(d.getAction());
  schema::ActionParameters::Reader p = d.getParameters();
  switch (d.getAction()) {
    case DirectiveAction::POP_UP_WARNING:
    case DirectiveAction::PROMINENT_LABEL:
      REGLINE_RETURN_IF_ERROR(NeedText(action, p.getUserFacingText(), "the text users must see", "userFacingText"));
      break;
    case DirectiveAction::RESTRICT_FUNCTIONS: {
      auto functions = p.getRestrictedFunctions();
      if (functions.size() == 0) {
        return Refuse("parameters", action +
                                        " needs the functions to restrict (parameters.restrictedFunctions is "
                                        "empty)");
      }
      for (unsigned i = 0; i < functions.size(); ++i) {
        if (Blank(functions[i])) {
          return Refuse("parameters", action +
                                          " needs the functions to restrict (parameters.restrictedFunctions "
                                          "entry " +
                                          std::to_string(i + 1) + " is empty)");
        }
      }
      break;
    }
    case DirectiveAction::PROVIDE_INFORMATION:
      REGLINE_RETURN_IF_ERROR(NeedText(action, p.getInformationRequested(), "what to provide", "informationRequested"));
      break;
    case DirectiveAction::PRESERVE_EVIDENCE:
      REGLINE_RETURN_IF_ERROR(
          NeedText(action, p.getInformationRequested(), "what to preserve", "informationRequested"));
      break;
    case DirectiveAction::RECTIFY:
      REGLINE_RETURN_IF_ERROR(NeedText(action, p.getRequirements(), "what must be rectified", "requirements"));
      break;
    default:
      break;
  }
  if (p.getTrafficReductionPercent() > 100) {
    return Refuse("parameters", "parameters.trafficReductionPercent is " +
                                    std::to_string(p.getTrafficReductionPercent()) +
                                    "; it is a share of traffic, at most 100");
  }
  if (p.getDurationMs() < 0) {
    return Refuse("parameters", "parameters.durationMs is " + std::to_string(p.getDurationMs()) +
                                    "; a duration cannot be negative (0 = until revoked)");
  }
  return Status::Ok();
}

// One effective deadline and how it came about, for the messages.
struct Deadline {
  int64_t ms = 0;
  bool from_policy = false;
  int64_t default_ms = 0;  // the policy's duration, when from_policy

  std::string Describe(std::string_view what, schema::Directive::Reader d) const {
    std::string text = std::string(what) + " " + FormatUtc(ms);
    if (!from_policy) return text + " (set by the directive)";
    return text + " (policy default for " + NameOf(d.getAction()) + " at severity " + NameOf(d.getSeverity()) + ": " +
           FormatDurationMs(default_ms) + " after issue)";
  }
};

Deadline Effective(int64_t explicit_ms, int64_t default_ms, int64_t issued_ms) {
  if (explicit_ms != 0) return Deadline{explicit_ms, false, 0};
  return Deadline{SaturatingAdd(issued_ms, default_ms), true, default_ms};
}

Status CheckDeadlines(const ActionRules& rules, schema::Directive::Reader d, int64_t issued_ms, DirectiveTerms& t) {
  const Deadline ack = Effective(d.getAckDeadlineMs(), rules.DefaultAckMs(d.getSeverity()), issued_ms);
  const Deadline completion =
      Effective(d.getCompletionDeadlineMs(), rules.DefaultCompletionMs(d.getSeverity()), issued_ms);
  if (ack.ms <= issued_ms) {
    return Refuse("deadlines", ack.Describe("the acknowledgement deadline", d) + " is not after the issue time " +
                                   FormatUtc(issued_ms));
  }
  if (completion.ms <= ack.ms) {
    return Refuse("deadlines", completion.Describe("the completion deadline", d) + " is not after " +
                                   ack.Describe("the acknowledgement deadline", d));
  }
  const int64_t effective_from = d.getEffectiveFromMs();
  if (effective_from != 0 && effective_from > completion.ms) {
    return Refuse("deadlines", "the action takes effect at " + FormatUtc(effective_from) + ", after " +
                                   completion.Describe("the completion deadline", d));
  }
  t.effective_from_ms = effective_from;
  t.ack_deadline_ms = ack.ms;
  t.ack_deadline_from_policy = ack.from_policy;
  t.completion_deadline_ms = completion.ms;
  t.completion_deadline_from_policy = completion.from_policy;
  return Status::Ok();
}

Status CheckReferences(schema::Directive::Reader d, DirectiveTerms& t) {
  t.supersedes = IdOf(d.getSupersedes());
  t.revokes = IdOf(d.getRevokes());
  if (!t.supersedes.IsZero() && !t.revokes.IsZero()) {
    return Refuse("supersedes", "a directive either supersedes or revokes another, not both (supersedes " +
                                    t.supersedes.ToHex() + ", revokes " + t.revokes.ToHex() + ")");
  }
  return Status::Ok();
}

Result<DirectiveTerms> Check(const Policy& policy, schema::Directive::Reader d, int64_t issued_ms) {
  REGLINE_RETURN_IF_ERROR(CheckEnums(policy, d));
  const ActionRules& rules = *policy.Find(d.getAction());
  REGLINE_RETURN_IF_ERROR(CheckIssuerAndSubject(policy, rules, d));
  REGLINE_RETURN_IF_ERROR(CheckParameters(d));
  DirectiveTerms terms;
  terms.action = d.getAction();
  terms.severity = d.getSeverity();
  terms.department = d.getIssuer().getDepartment();
  terms.issued_ms = issued_ms;
  REGLINE_RETURN_IF_ERROR(CheckDeadlines(rules, d, issued_ms, terms));
  REGLINE_RETURN_IF_ERROR(CheckReferences(d, terms));
  return terms;
}

}  // namespace

Result<DirectiveTerms> CheckDirective(const Policy& policy, schema::Directive::Reader directive, int64_t issued_ms) {
  try {
    return Check(policy, directive, issued_ms);
  } catch (const kj::Exception& e) {
    return InvalidArgument(std::string("directive cannot be read: ") + e.getDescription().cStr());
  }
}

std::string FormatUtc(int64_t unix_ms) {
  int64_t seconds = unix_ms / 1000;
  int64_t millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_ms) + " ms";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out(text);
  if (millis != 0) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03d", static_cast<int>(millis));
    out += fraction;
  }
  return out + " UTC";
}

}  // namespace regline::policy
