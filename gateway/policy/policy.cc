#include "gateway/policy/policy.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "gateway/core/toml_table.h"
#include "gateway/policy/schema_names.h"

namespace regline::policy {

using schema::Department;
using schema::DirectiveAction;
using schema::Severity;
using SubjectKind = schema::SubjectRef::Which;

bool ActionRules::AllowsSubject(SubjectKind kind) const {
  return std::find(subjects.begin(), subjects.end(), kind) != subjects.end();
}

bool ActionRules::AllowsIssuer(Department department) const {
  return std::find(issuers.begin(), issuers.end(), department) != issuers.end();
}

int64_t ActionRules::DefaultAckMs(Severity severity) const {
  auto i = static_cast<size_t>(severity);
  return i < ack_deadline_ms.size() ? ack_deadline_ms[i] : 0;
}

int64_t ActionRules::DefaultCompletionMs(Severity severity) const {
  auto i = static_cast<size_t>(severity);
  return i < completion_deadline_ms.size() ? completion_deadline_ms[i] : 0;
}

const ActionRules* Policy::Find(DirectiveAction action) const {
  auto i = static_cast<size_t>(action);
  if (i == 0 || i >= actions.size()) return nullptr;
  return &actions[i];
}

const FamilyRules* Policy::FindFamily(schema::MessageKind kind) const {
  for (const FamilyRules& f : families) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

std::map<int, int> Policy::MaxAttemptsByKind() const {
  std::map<int, int> out;
  for (const FamilyRules& f : families) {
    if (f.max_attempts > 0) out[static_cast<int>(f.kind)] = f.max_attempts;
  }
  return out;
}

std::map<int, FamilyQuota> Policy::QuotaByKind() const {
  std::map<int, FamilyQuota> out;
  for (const FamilyRules& f : families) {
    if (f.quota > 0) out[static_cast<int>(f.kind)] = FamilyQuota{f.quota, std::string(EnumerantName(f.kind))};
  }
  return out;
}

const ReportSchedule* Policy::FindReport(schema::MessageKind kind) const {
  for (const ReportSchedule& r : reports) {
    if (r.kind == kind) return &r;
  }
  return nullptr;
}

namespace {

constexpr std::string_view kDurationSyntax = "(use 90s, 15m, 4h or 7d)";

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

int64_t UnitMs(char unit) {
  switch (unit) {
    case 's':
      return 1000;
    case 'm':
      return 60 * 1000;
    case 'h':
      return 3600 * 1000;
    case 'd':
      return 24 * 3600 * 1000;
    default:
      return 0;
  }
}

template <typename Enum>
std::vector<std::string_view> SpecifiedNames() {
  std::vector<std::string_view> names;
  for (Enum e : SpecifiedEnumerants<Enum>()) names.push_back(EnumerantName(e));
  return names;
}

// A key every policy must give; TomlTableReader's Get* leave a missing key
// alone, so required ones are checked first.
Status Require(const TomlTableReader& r, const char* key) {
  return r.Find(key) == nullptr ? r.Missing(key) : Status::Ok();
}

Status RequireTable(TomlTableReader& r, const char* key, const toml::table*& out) {
  r.MarkKnown(key);
  const toml::node* n = r.Find(key);
  if (n == nullptr) return r.Missing(key);
  out = n->as_table();
  return out == nullptr ? r.Error(*n, key, "must be a table") : Status::Ok();
}

Status ReadPolicySection(const std::string& file, const toml::table& t, Policy& p) {
  TomlTableReader r(file, t, "policy.");
  REGLINE_RETURN_IF_ERROR(Require(r, "name"));
  REGLINE_RETURN_IF_ERROR(r.Get("name", p.name));
  if (p.name.empty()) return r.Error(*r.Find("name"), "name", "must not be empty");
  return r.Finish();
}

Status ReadAgreements(const std::string& file, const toml::table& t, AgreementRules& a) {
  TomlTableReader r(file, t, "agreements.");
  for (const char* key : {"min_age_years", "guardian_consent_below_years", "identity_digest"}) {
    REGLINE_RETURN_IF_ERROR(Require(r, key));
  }
  REGLINE_RETURN_IF_ERROR(r.GetInt("min_age_years", a.min_age_years, 1, 100));
  REGLINE_RETURN_IF_ERROR(r.GetInt("guardian_consent_below_years", a.guardian_consent_below_years, 1, 100));
  if (a.guardian_consent_below_years < a.min_age_years) {
    return r.Error(*r.Find("guardian_consent_below_years"), "guardian_consent_below_years",
                   "must be at least min_age_years (" + std::to_string(a.min_age_years) + "), not " +
                       std::to_string(a.guardian_consent_below_years));
  }
  std::string digest;
  REGLINE_RETURN_IF_ERROR(r.Get("identity_digest", digest));
  auto algorithm = EnumerantByName<schema::DigestAlgorithm>(digest);
  if (!algorithm || *algorithm == schema::DigestAlgorithm::UNSPECIFIED) {
    return r.Error(*r.Find("identity_digest"), "identity_digest",
                   Quote(digest) + " is not a digest algorithm (use \"sm3\" or \"sha256\")");
  }
  a.identity_digest = *algorithm;
  return r.Finish();
}

Status ReadRetention(const std::string& file, const toml::table& t, RetentionRules& rules) {
  TomlTableReader r(file, t, "retention.");
  REGLINE_RETURN_IF_ERROR(Require(r, "days"));
  REGLINE_RETURN_IF_ERROR(r.GetInt("days", rules.days, 1, 36500));
  return r.Finish();
}

// Reads a required, non-empty array of names of `noun`s, each turned into a
// value by `lookup`; `what` describes a bad name ("is not a ...").
template <typename T, typename Lookup>
Status ReadNames(TomlTableReader& r, const char* key, std::string_view noun, const std::string& what, Lookup lookup,
                 std::vector<T>& out) {
  REGLINE_RETURN_IF_ERROR(Require(r, key));
  r.MarkKnown(key);
  const toml::node* n = r.Find(key);
  const toml::array* array = n->as_array();
  if (array == nullptr) return r.Error(*n, key, "must be an array of strings");
  if (array->empty()) return r.Error(*n, key, "must name at least one " + std::string(noun));
  for (const toml::node& item : *array) {
    if (!item.is_string()) return r.Error(item, key, "must be an array of strings");
    const std::string& name = item.as_string()->get();
    std::optional<T> value = lookup(name);
    if (!value) return r.Error(item, key, Quote(name) + " " + what);
    if (std::find(out.begin(), out.end(), *value) != out.end()) {
      return r.Error(item, key, Quote(name) + " is listed twice");
    }
    out.push_back(*value);
  }
  return Status::Ok();
}

Status ReadSubjects(TomlTableReader& r, ActionRules& rules) {
  std::vector<std::string_view> kinds;
  for (SubjectKind k : AllSubjectKinds()) kinds.push_back(SubjectKindName(k));
  return ReadNames<SubjectKind>(r, "subjects", "subject kind",
                                "is not a subject kind (" + JoinNames(kinds, " or ") + ")", SubjectKindByName,
                                rules.subjects);
}

Status ReadIssuers(TomlTableReader& r, ActionRules& rules) {
  const toml::node* n = r.Find("issuers");
  const toml::array* a = n == nullptr ? nullptr : n->as_array();
  if (a != nullptr &&
      std::any_of(a->begin(), a->end(), [](const toml::node& i) { return i.value<std::string>() == "*"; })) {
    r.MarkKnown("issuers");
    if (a->size() != 1) return r.Error(*n, "issuers", "\"*\" means every department; list no other with it");
    rules.issuers = SpecifiedEnumerants<Department>();
    return Status::Ok();
  }
  auto lookup = [](const std::string& name) -> std::optional<Department> {
    auto d = EnumerantByName<Department>(name);
    if (d == Department::UNSPECIFIED) return std::nullopt;
    return d;
  };
  std::vector<std::string_view> names = SpecifiedNames<Department>();
  names.push_back("\"*\" for all");
  return ReadNames<Department>(r, "issuers", "department", "is not a department (" + JoinNames(names, " or ") + ")",
                               lookup, rules.issuers);
}

// One deadline table: a duration for every specified severity. `nodes`
// receives each value's node (by severity), for later messages.
Status ReadDeadlines(const std::string& file, const std::string& prefix, const toml::table& t,
                     std::vector<int64_t>& out, std::vector<const toml::node*>& nodes) {
  TomlTableReader r(file, t, prefix);
  out.assign(EnumerantCount<Severity>(), 0);
  nodes.assign(out.size(), nullptr);
  const std::string severities = JoinNames(SpecifiedNames<Severity>(), " and ");
  for (const auto& [k, v] : t) {
    std::string key(k.str());
    auto severity = EnumerantByName<Severity>(key);
    if (!severity || *severity == Severity::UNSPECIFIED) {
      return r.Error(v, key, "is not a severity (give " + severities + ")");
    }
    r.MarkKnown(key.c_str());
    if (!v.is_string()) return r.Error(v, key, "must be a string such as \"30m\" " + std::string(kDurationSyntax));
    Result<int64_t> ms = ParseDurationMs(v.as_string()->get());
    if (!ms.ok()) return r.Error(v, key, ms.status().message());
    out[static_cast<size_t>(*severity)] = *ms;
    nodes[static_cast<size_t>(*severity)] = &v;
  }
  for (Severity s : SpecifiedEnumerants<Severity>()) {
    if (nodes[static_cast<size_t>(s)] == nullptr) {
      return r.Error(t, std::string(EnumerantName(s)), "is required (give " + severities + ")");
    }
  }
  return r.Finish();
}

Status ReadAction(const std::string& file, const std::string& name, const toml::table& t, ActionRules& rules) {
  const std::string prefix = "actions." + name + ".";
  TomlTableReader r(file, t, prefix);
  REGLINE_RETURN_IF_ERROR(ReadSubjects(r, rules));
  REGLINE_RETURN_IF_ERROR(ReadIssuers(r, rules));
  const toml::table* ack = nullptr;
  const toml::table* completion = nullptr;
  REGLINE_RETURN_IF_ERROR(RequireTable(r, "ack_deadline", ack));
  REGLINE_RETURN_IF_ERROR(RequireTable(r, "completion_deadline", completion));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  std::vector<const toml::node*> ack_nodes;
  std::vector<const toml::node*> completion_nodes;
  REGLINE_RETURN_IF_ERROR(ReadDeadlines(file, prefix + "ack_deadline.", *ack, rules.ack_deadline_ms, ack_nodes));
  REGLINE_RETURN_IF_ERROR(ReadDeadlines(file, prefix + "completion_deadline.", *completion,
                                        rules.completion_deadline_ms, completion_nodes));
  TomlTableReader c(file, *completion, prefix + "completion_deadline.");
  for (Severity s : SpecifiedEnumerants<Severity>()) {
    auto i = static_cast<size_t>(s);
    if (rules.completion_deadline_ms[i] <= rules.ack_deadline_ms[i]) {
      return c.Error(*completion_nodes[i], std::string(EnumerantName(s)),
                     FormatDurationMs(rules.completion_deadline_ms[i]) + " is not after the ack deadline " +
                         FormatDurationMs(rules.ack_deadline_ms[i]) + " (completion must come after acknowledgement)");
    }
  }
  return Status::Ok();
}

Status ReadActions(const std::string& file, const toml::table& t, Policy& p) {
  TomlTableReader r(file, t, "actions.");
  p.actions.assign(EnumerantCount<DirectiveAction>(), ActionRules{});
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    auto action = EnumerantByName<DirectiveAction>(name);
    if (!action || *action == DirectiveAction::UNSPECIFIED) {
      return r.Error(v, name,
                     "is not a directive action (" + JoinNames(SpecifiedNames<DirectiveAction>(), " or ") + ")");
    }
    r.MarkKnown(name.c_str());
    if (!v.is_table()) return r.Error(v, name, "must be a table");
    REGLINE_RETURN_IF_ERROR(ReadAction(file, name, *v.as_table(), p.actions[static_cast<size_t>(*action)]));
  }
  for (DirectiveAction a : SpecifiedEnumerants<DirectiveAction>()) {
    std::string name(EnumerantName(a));
    if (t.get(name) == nullptr) {
      return r.Error(t, name, "is missing: every directive action needs its table [actions." + name + "]");
    }
  }
  return r.Finish();
}

// "YYYY-MM" -> year and month; false for anything else.
bool ParseYearMonth(std::string_view text, int& year, int& month) {
  if (text.size() != 7 || text[4] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  year = std::stoi(std::string(text.substr(0, 4)));
  month = std::stoi(std::string(text.substr(5, 2)));
  return month >= 1 && month <= 12;
}

Status ReadReport(const std::string& file, const std::string& name, const toml::table& t, ReportSchedule& s) {
  TomlTableReader r(file, t, "reports." + name + ".");
  for (const char* key : {"every", "due_days", "first_period"}) REGLINE_RETURN_IF_ERROR(Require(r, key));
  std::string every;
  REGLINE_RETURN_IF_ERROR(r.Get("every", every));
  std::optional<int> months = MonthsPerPeriod(every);
  if (!months) {
    return r.Error(*r.Find("every"), "every",
                   Quote(every) + " is not a period (use \"month\", \"quarter\" or \"half-year\")");
  }
  s.months = *months;
  REGLINE_RETURN_IF_ERROR(r.GetInt("due_days", s.due_days, 0, 366));
  std::string first;
  REGLINE_RETURN_IF_ERROR(r.Get("first_period", first));
  if (!ParseYearMonth(first, s.first_year, s.first_month) || s.first_year < 2000 || s.first_year > 2100) {
    return r.Error(*r.Find("first_period"), "first_period",
                   Quote(first) + " is not a month (use \"YYYY-MM\", 2000 to 2100)");
  }
  if ((s.first_month - 1) % s.months != 0) {
    return r.Error(*r.Find("first_period"), "first_period",
                   Quote(first) + " does not start a " + every + " (" +
                       (s.months == 3 ? "quarters start in 01, 04, 07 and 10" : "half-years start in 01 and 07") + ")");
  }
  return r.Finish();
}

Status ReadReports(const std::string& file, const toml::table& t, Policy& p) {
  TomlTableReader r(file, t, "reports.");
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    auto kind = EnumerantByName<schema::MessageKind>(name);
    if (kind != schema::MessageKind::COMPLAINT_STATISTICS && kind != schema::MessageKind::TAX_ASSISTANCE_RESPONSE) {
      return r.Error(v, name, "is not a scheduled report (complaintStatistics or taxAssistanceResponse)");
    }
    r.MarkKnown(name.c_str());
    if (!v.is_table()) return r.Error(v, name, "must be a table");
    ReportSchedule schedule;
    schedule.kind = *kind;
    REGLINE_RETURN_IF_ERROR(ReadReport(file, name, *v.as_table(), schedule));
    p.reports.push_back(schedule);
  }
  return r.Finish();
}

Status ReadFamily(const std::string& file, const std::string& name, const toml::table& t, FamilyRules& f) {
  TomlTableReader r(file, t, "families." + name + ".");
  if (r.Find("max_attempts") == nullptr && r.Find("expiry") == nullptr && r.Find("quota") == nullptr) {
    return r.Error(t, "max_attempts", "expiry or quota is required (a family table changes something)");
  }
  if (r.Find("max_attempts") != nullptr) REGLINE_RETURN_IF_ERROR(r.GetInt("max_attempts", f.max_attempts, 1, 1000));
  if (r.Find("quota") != nullptr) REGLINE_RETURN_IF_ERROR(r.GetInt("quota", f.quota, 1, 10'000'000));
  if (const toml::node* v = r.Find("expiry")) {
    r.MarkKnown("expiry");
    if (!v->is_string()) return r.Error(*v, "expiry", "must be a string such as \"30d\" " + std::string(kDurationSyntax));
    Result<int64_t> ms = ParseDurationMs(v->as_string()->get());
    if (!ms.ok()) return r.Error(*v, "expiry", ms.status().message());
    f.expiry_ms = *ms;
  }
  return r.Finish();
}

Status ReadFamilies(const std::string& file, const toml::table& t, Policy& p) {
  TomlTableReader r(file, t, "families.");
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    auto kind = EnumerantByName<schema::MessageKind>(name);
    if (!kind || *kind == schema::MessageKind::UNSPECIFIED) {
      return r.Error(v, name, "is not a message family (a MessageKind such as directive or catalogUpdate)");
    }
    r.MarkKnown(name.c_str());
    if (!v.is_table()) return r.Error(v, name, "must be a table");
    FamilyRules family;
    family.kind = *kind;
    REGLINE_RETURN_IF_ERROR(ReadFamily(file, name, *v.as_table(), family));
    p.families.push_back(family);
  }
  return r.Finish();
}

Status ReadGroups(const std::string& file, const toml::table& t, Policy& p) {
  TomlTableReader r(file, t, "groups.");
  for (const auto& [k, v] : t) {
    std::string name(k.str());
    r.MarkKnown(name.c_str());
    const toml::array* members = v.as_array();
    if (members == nullptr) return r.Error(v, name, "must be an array of identity names");
    if (members->empty()) return r.Error(v, name, "must name at least one identity");
    std::vector<std::string>& out = p.groups[name];
    for (const toml::node& m : *members) {
      if (!m.is_string() || m.as_string()->get().empty()) return r.Error(m, name, "members must be identity names");
      const std::string member = m.as_string()->get();
      if (std::find(out.begin(), out.end(), member) != out.end()) {
        return r.Error(m, name, Quote(member) + " is listed twice");
      }
      out.push_back(member);
    }
  }
  return r.Finish();
}

Status Read(const std::string& file, const toml::table& root, Policy& p) {
  TomlTableReader top(file, root, "");
  const toml::table* policy = nullptr;
  const toml::table* agreements = nullptr;
  const toml::table* actions = nullptr;
  REGLINE_RETURN_IF_ERROR(RequireTable(top, "policy", policy));
  const toml::table* retention = nullptr;
  REGLINE_RETURN_IF_ERROR(RequireTable(top, "agreements", agreements));
  REGLINE_RETURN_IF_ERROR(RequireTable(top, "retention", retention));
  REGLINE_RETURN_IF_ERROR(RequireTable(top, "actions", actions));
  // [reports] is optional: a policy may schedule no report.
  const toml::table* reports = nullptr;
  if (top.Find("reports") != nullptr) REGLINE_RETURN_IF_ERROR(RequireTable(top, "reports", reports));
  // [families] is optional: without it every family gets [delivery]'s defaults.
  const toml::table* families = nullptr;
  if (top.Find("families") != nullptr) REGLINE_RETURN_IF_ERROR(RequireTable(top, "families", families));
  // [groups] is optional too.
  const toml::table* groups = nullptr;
  if (top.Find("groups") != nullptr) REGLINE_RETURN_IF_ERROR(RequireTable(top, "groups", groups));
  REGLINE_RETURN_IF_ERROR(top.Finish());
  REGLINE_RETURN_IF_ERROR(ReadPolicySection(file, *policy, p));
  REGLINE_RETURN_IF_ERROR(ReadAgreements(file, *agreements, p.agreements));
  REGLINE_RETURN_IF_ERROR(ReadRetention(file, *retention, p.retention));
  REGLINE_RETURN_IF_ERROR(ReadActions(file, *actions, p));
  if (families != nullptr) REGLINE_RETURN_IF_ERROR(ReadFamilies(file, *families, p));
  if (groups != nullptr) REGLINE_RETURN_IF_ERROR(ReadGroups(file, *groups, p));
  return reports == nullptr ? Status::Ok() : ReadReports(file, *reports, p);
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  auto not_a_duration = [&] {
    return InvalidArgument(Quote(text) + " is not a duration " + std::string(kDurationSyntax));
  };
  if (!text.empty() && text.front() == '-') {
    return InvalidArgument(Quote(text) + " is negative; a duration is more than zero " + std::string(kDurationSyntax));
  }
  if (text.size() < 2) return not_a_duration();
  const int64_t unit_ms = UnitMs(text.back());
  std::string_view digits = text.substr(0, text.size() - 1);
  if (unit_ms == 0 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return not_a_duration();
  }
  const std::string too_long =
      Quote(text) + " is longer than the longest duration a policy may give, " + FormatDurationMs(kMaxPolicyDurationMs);
  int64_t count = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec == std::errc::result_out_of_range) return InvalidArgument(too_long);
  if (ec != std::errc() || end != digits.data() + digits.size()) return not_a_duration();
  if (count == 0) return InvalidArgument(Quote(text) + " is zero; a duration is more than zero");
  if (count > kMaxPolicyDurationMs / unit_ms) return InvalidArgument(too_long);
  return count * unit_ms;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms != 0) {
    for (char unit : {'d', 'h', 'm', 's'}) {
      if (ms % UnitMs(unit) == 0) return std::to_string(ms / UnitMs(unit)) + unit;
    }
  }
  return std::to_string(ms) + "ms";
}

Result<Policy> ParsePolicy(const std::string& file, std::string_view text) {
  Policy p;
  p.source = file;
  try {
    toml::table root = toml::parse(text, file);
    REGLINE_RETURN_IF_ERROR(Read(file, root, p));
  } catch (const toml::parse_error& e) {
    std::string where = e.source().begin.line > 0 ? ":" + std::to_string(e.source().begin.line) : "";
    return InvalidArgument(file + where + ": " + std::string(e.description()));
  }
  return p;
}

Result<Policy> LoadPolicy(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound("policy file " + path + " does not exist or is not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IOError("policy file " + path + ": cannot be opened");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IOError("policy file " + path + ": cannot be read");
  return ParsePolicy(path, text);
}

}  // namespace regline::policy
