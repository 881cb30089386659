// The Build* functions of envelopes.h: family payloads from flags.
#include <capnp/dynamic.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "ctl/envelopes.h"
#include "ctl/json_input.h"
#include "ctl/parse.h"

namespace regline::ctl {
namespace {

using schema::DirectiveAction;

capnp::Text::Reader AsText(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

Status Required(std::string_view flag, std::string_view why) {
  return InvalidArgument(std::string(flag) + " is required" + (why.empty() ? "" : " " + std::string(why)));
}

Status CheckRegion(const std::string& region) {
  bool digits =
      std::all_of(region.begin(), region.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!region.empty() && (region.size() != 6 || !digits)) {
    return InvalidArgument("--region: '" + region + "' is not a six-digit region code (GB/T 2260, e.g. 310000)");
  }
  return Status::Ok();
}

Status FillIssuer(std::string_view department, const std::string& region, const std::string& name,
                  schema::IssuingOffice::Builder out) {
  if (department.empty()) return Required("--department", "(e.g. SAMR)");
  Result<schema::Department> d = ParseEnum<schema::Department>("--department", department);
  if (!d.ok()) return d.status();
  REGLINE_RETURN_IF_ERROR(CheckRegion(region));
  out.setDepartment(*d);
  out.setRegionCode(AsText(region));
  out.setName(AsText(name));
  return Status::Ok();
}

Status FillLegalBasis(const std::string& instrument, int64_t article, const std::string& clause,
                      schema::LegalBasis::Builder out) {
  if (article < 0 || article > UINT16_MAX) {
    return InvalidArgument("--article: " + std::to_string(article) + " is not an article number (0..65535)");
  }
  if (instrument.empty()) return Required("--instrument", "");
  out.setInstrument(AsText(instrument));
  out.setArticle(static_cast<uint16_t>(article));
  out.setClause(AsText(clause));
  return Status::Ok();
}

// now + the duration in `text`; 0 when text is empty.
Result<int64_t> After(int64_t now_ms, std::string_view flag, const std::string& text) {
  if (text.empty()) return int64_t{0};
  Result<int64_t> d = ParseDuration(flag, text);
  if (!d.ok()) return d.status();
  return now_ms + *d;
}

Status FillSubject(const DirectiveFlags& f, schema::SubjectRef::Builder out) {
  const std::string& kind = f.subject_kind;
  if (kind == "whole-platform") {
    if (!f.subject_id.empty()) return InvalidArgument("--subject-id needs a --subject-kind other than whole-platform");
    out.setWholePlatform();
    return Status::Ok();
  }
  const bool needs_id = kind != "marketer";
  if (needs_id && f.subject_id.empty()) return Required("--subject-id", "for --subject-kind " + kind);
  if (kind == "live-room") {
    auto room = out.initLiveRoom();
    room.setRoomId(AsText(f.subject_id));
    room.setTitle(AsText(f.subject_name));
  } else if (kind == "account") {
    auto account = out.initAccount();
    account.setAccountId(AsText(f.subject_id));
    account.setNickname(AsText(f.subject_name));
  } else if (kind == "marketer") {
    if (f.subject_id.empty() && f.subject_name.empty()) {
      return Required("--subject-name or --subject-id", "for --subject-kind marketer");
    }
    Result<schema::MarketingRole> role = ParseEnum<schema::MarketingRole>("--marketer-role", f.marketer_role);
    if (!role.ok()) return role.status();
    auto marketer = out.initMarketer();
    marketer.setRole(*role);
    marketer.setName(AsText(f.subject_name));
    if (!f.subject_id.empty()) marketer.initAccounts(1)[0].setAccountId(AsText(f.subject_id));
  } else if (kind == "product") {
    auto product = out.initProduct();
    product.setProductId(AsText(f.subject_id));
    product.setTitle(AsText(f.subject_name));
  } else if (kind == "mcn-agency") {
    auto agency = out.initMcnAgency();
    agency.setUscc(AsText(f.subject_id));
    agency.setName(AsText(f.subject_name));
  } else {
    return InvalidArgument("--subject-kind: '" + kind +
                           "' is not one of whole-platform, live-room, account, marketer, product or mcn-agency");
  }
  return Status::Ok();
}

// Which actions use which ActionParameters flag.
struct ParameterRule {
  const char* flag;
  bool given;
  std::set<DirectiveAction> used_by;
  std::set<DirectiveAction> required_by;
};

Status FillParameters(const DirectiveFlags& f, DirectiveAction action, schema::ActionParameters::Builder out) {
  using A = DirectiveAction;
  const std::vector<ParameterRule> rules = {
      {"--duration",
       !f.duration.empty(),
       {A::RESTRICT_FUNCTIONS, A::RESTRICT_TRAFFIC, A::SUSPEND_BROADCAST, A::BAR_RE_REGISTRATION},
       {}},
      {"--retention-days", f.retention_days >= 0, {A::EXTEND_CONTENT_RETENTION, A::DESIGNATE_KEY_LIVE_ROOM}, {}},
      {"--functions", !f.functions.empty(), {A::RESTRICT_FUNCTIONS}, {A::RESTRICT_FUNCTIONS}},
      {"--traffic-reduction", f.traffic_reduction >= 0, {A::RESTRICT_TRAFFIC}, {}},
      {"--user-text",
       !f.user_text.empty(),
       {A::POP_UP_WARNING, A::PROMINENT_LABEL},
       {A::POP_UP_WARNING, A::PROMINENT_LABEL}},
      {"--information",
       !f.information.empty(),
       {A::PROVIDE_INFORMATION, A::PRESERVE_EVIDENCE},
       {A::PROVIDE_INFORMATION, A::PRESERVE_EVIDENCE}},
      {"--requirements", !f.requirements.empty(), {A::RECTIFY}, {A::RECTIFY}},
      {"--inspection-scope", !f.inspection_scope.empty(), {A::DESIGNATE_KEY_LIVE_ROOM}, {}},
  };
  const std::string action_name = EnumName(action);
  for (const ParameterRule& rule : rules) {
    if (rule.given && !rule.used_by.contains(action)) {
      return InvalidArgument(std::string(rule.flag) + " does not apply to --action " + action_name);
    }
    if (!rule.given && rule.required_by.contains(action)) return Required(rule.flag, "for --action " + action_name);
  }
  if (!f.duration.empty()) {
    Result<int64_t> d = ParseDuration("--duration", f.duration);
    if (!d.ok()) return d.status();
    out.setDurationMs(*d);
  }
  if (f.retention_days > UINT32_MAX) return InvalidArgument("--retention-days: too large");
  if (f.retention_days >= 0) out.setRetentionDays(static_cast<uint32_t>(f.retention_days));
  if (f.traffic_reduction > 100 || f.traffic_reduction == 0) {
    return InvalidArgument("--traffic-reduction: " + std::to_string(f.traffic_reduction) +
                           " is not a percentage 1..100");
  }
  if (f.traffic_reduction > 0) out.setTrafficReductionPercent(static_cast<uint8_t>(f.traffic_reduction));
  if (!f.functions.empty()) {
    auto list = out.initRestrictedFunctions(static_cast<unsigned>(f.functions.size()));
    for (unsigned i = 0; i < f.functions.size(); ++i) list.set(i, AsText(f.functions[i]));
  }
  out.setUserFacingText(AsText(f.user_text));
  out.setInformationRequested(AsText(f.information));
  out.setRequirements(AsText(f.requirements));
  out.setInspectionScope(AsText(f.inspection_scope));
  return Status::Ok();
}

Status SetId(std::string_view flag, const std::string& text, schema::MessageId::Builder out) {
  if (text.empty()) return Status::Ok();
  Result<MessageId> id = ParseMessageId(flag, text);
  if (!id.ok()) return id.status();
  out.setHi(id->hi);
  out.setLo(id->lo);
  return Status::Ok();
}

}  // namespace

Status BuildDirective(const DirectiveFlags& f, int64_t now_ms, schema::Directive::Builder out) {
  if (f.action.empty()) return Required("--action", "(e.g. suspend-broadcast)");
  Result<DirectiveAction> action = ParseEnum<DirectiveAction>("--action", f.action);
  if (!action.ok()) return action.status();
  if (f.severity.empty()) return Required("--severity", "(low, medium, high or critical)");
  Result<schema::Severity> severity = ParseEnum<schema::Severity>("--severity", f.severity);
  if (!severity.ok()) return severity.status();
  if (f.article < 0) return Required("--article", "(the article the directive rests on, e.g. 18)");
  if (f.rationale.empty()) return Required("--rationale", "(the facts found and the violation)");

  REGLINE_RETURN_IF_ERROR(FillIssuer(f.department, f.region, f.office_name, out.initIssuer()));
  out.setReference(AsText(f.reference));
  REGLINE_RETURN_IF_ERROR(FillLegalBasis(f.instrument, f.article, f.clause, out.initLegalBasis(1)[0]));
  if (f.to.size() == 1 && std::string_view(f.to[0]) != schema::ALL_PLATFORMS.get().cStr())
    out.setPlatformId(AsText(f.to[0]));
  REGLINE_RETURN_IF_ERROR(FillSubject(f, out.initSubject()));
  out.setAction(*action);
  REGLINE_RETURN_IF_ERROR(FillParameters(f, *action, out.initParameters()));
  out.setSeverity(*severity);

  Result<int64_t> effective = After(now_ms, "--effective-in", f.effective_in);
  if (!effective.ok()) return effective.status();
  Result<int64_t> ack = After(now_ms, "--ack-within", f.ack_within);
  if (!ack.ok()) return ack.status();
  Result<int64_t> complete = After(now_ms, "--complete-within", f.complete_within);
  if (!complete.ok()) return complete.status();
  if (*ack != 0 && *complete != 0 && *complete < *ack) {
    return InvalidArgument("--complete-within " + f.complete_within + " ends before --ack-within " + f.ack_within);
  }
  out.setEffectiveFromMs(*effective);
  out.setAckDeadlineMs(*ack);
  out.setCompletionDeadlineMs(*complete);
  out.setRationale(AsText(f.rationale));
  REGLINE_RETURN_IF_ERROR(SetId("--supersedes", f.supersedes, out.initSupersedes()));
  REGLINE_RETURN_IF_ERROR(SetId("--revokes", f.revokes, out.initRevokes()));
  out.setCaseContact(AsText(f.case_contact));
  return Status::Ok();
}

Status BuildCatalogUpdate(const CatalogFlags& f, int64_t now_ms, schema::CatalogUpdate::Builder out) {
  if (f.version < 1) return Required("--version", "(the version this update produces, 1 or more)");
  const int64_t base = f.base >= 0 ? f.base : f.version - 1;
  if (f.version != base + 1) {
    return InvalidArgument("--version " + std::to_string(f.version) + " must be --base + 1 (--base is " +
                           std::to_string(base) + ")");
  }
  if (f.add_file.empty() && f.change_file.empty() && f.withdraw.empty()) {
    return InvalidArgument("nothing to publish: give --add-file, --change-file or --withdraw");
  }
  out.setVersion(static_cast<uint64_t>(f.version));
  out.setBaseVersion(static_cast<uint64_t>(base));
  out.setPublishedMs(now_ms);
  REGLINE_RETURN_IF_ERROR(FillIssuer(f.department, f.region, f.office_name, out.initIssuer()));
  capnp::DynamicStruct::Builder dynamic = out;
  for (const auto& [path, field] : {std::pair{f.add_file, "added"}, std::pair{f.change_file, "changed"}}) {
    if (path.empty()) continue;
    Result<std::string> text = ReadTextFile(path);
    if (!text.ok()) return text.status();
    REGLINE_RETURN_IF_ERROR(DecodeJsonArray(path, *text, dynamic, field));
  }
  auto withdrawn = out.initWithdrawn(static_cast<unsigned>(f.withdraw.size()));
  for (unsigned i = 0; i < f.withdraw.size(); ++i) withdrawn.set(i, AsText(f.withdraw[i]));
  out.setNotes(AsText(f.notes));
  return Status::Ok();
}

Status BuildTaxRequest(const TaxRequestFlags& f, int64_t now_ms, schema::TaxAssistanceRequest::Builder out) {
  if (f.platform.empty()) return Required("--to", "(the platform asked)");
  if (f.subject_name.empty()) return Required("--subject-name", "(the operator's or marketer's name)");
  if (f.period.empty()) return Required("--period", "(e.g. 2026-01-01..2026-06-30)");
  if (f.fields.empty()) return Required("--fields", "(e.g. income,gmv)");
  REGLINE_RETURN_IF_ERROR(FillIssuer(f.department, f.region, f.office_name, out.initOffice()));
  out.setReference(AsText(f.reference));
  out.setPlatformId(AsText(f.platform));

  Result<schema::MarketingRole> role = ParseEnum<schema::MarketingRole>("--subject-role", f.subject_role);
  if (!role.ok()) return role.status();
  auto subject = out.initSubject();
  subject.setRole(*role);
  subject.setName(AsText(f.subject_name));
  subject.setUscc(AsText(f.subject_uscc));
  auto accounts = subject.initAccounts(static_cast<unsigned>(f.accounts.size()));
  for (unsigned i = 0; i < f.accounts.size(); ++i) {
    accounts[i].setPlatformId(AsText(f.platform));
    accounts[i].setAccountId(AsText(f.accounts[i]));
  }

  Result<PeriodMs> period = ParsePeriod("--period", f.period);
  if (!period.ok()) return period.status();
  out.initPeriod().setStartMs(period->start_ms);
  out.getPeriod().setEndMs(period->end_ms);

  auto fields = out.initFields(static_cast<unsigned>(f.fields.size()));
  for (unsigned i = 0; i < f.fields.size(); ++i) {
    Result<schema::TaxField> field = ParseEnum<schema::TaxField>("--fields", f.fields[i]);
    if (!field.ok()) return field.status();
    fields.set(i, *field);
  }
  out.setMonthlyBreakdown(f.monthly);
  if (f.article >= 0)
    REGLINE_RETURN_IF_ERROR(FillLegalBasis(f.instrument, f.article, f.clause, out.initLegalBasis(1)[0]));
  Result<int64_t> deadline = After(now_ms, "--respond-within", f.respond_within);
  if (!deadline.ok()) return deadline.status();
  out.setResponseDeadlineMs(*deadline);
  out.setNotes(AsText(f.notes));
  return Status::Ok();
}

Status BuildAcknowledgement(const AckFlags& f, int64_t now_ms, schema::Acknowledgement::Builder out) {
  Result<MessageId> id = ParseMessageId("MESSAGE_ID", f.message_id);
  if (!id.ok()) return id.status();
  if (f.stage.empty()) return Required("--stage", "(received, accepted, completed or rejected)");
  Result<schema::AckStage> stage = ParseEnum<schema::AckStage>("--stage", f.stage);
  if (!stage.ok()) return stage.status();
  if (f.original_sender.empty()) return Required("--original-sender", "(the identity that sent the message)");
  Result<schema::MessageKind> kind = ParseEnum<schema::MessageKind>("--original-kind", f.original_kind);
  if (!kind.ok()) return kind.status();
  const bool rejected = *stage == schema::AckStage::REJECTED;
  if (rejected && f.reason_code.empty()) return Required("--reason-code", "for --stage rejected");
  if (!rejected && !f.reason_code.empty()) return InvalidArgument("--reason-code applies to --stage rejected only");
  out.initMessageId().setHi(id->hi);
  out.getMessageId().setLo(id->lo);
  out.setOriginalSender(AsText(f.original_sender));
  out.setOriginalKind(*kind);
  out.setStage(*stage);
  out.setAtMs(now_ms);
  if (rejected) {
    Result<schema::RejectReason> reason = ParseEnum<schema::RejectReason>("--reason-code", f.reason_code);
    if (!reason.ok()) return reason.status();
    out.setReasonCode(*reason);
  }
  out.setReason(AsText(f.reason));
  out.setActionsTaken(AsText(f.actions_taken));
  return Status::Ok();
}

}  // namespace regline::ctl
