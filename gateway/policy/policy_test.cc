// Policy: the shipped policies/measures.toml loads and covers every action;
// each kind of mistake is refused naming the file, the line and the key.
#include "gateway/policy/policy.h"

#include <gtest/gtest.h>

#include <fstream>

#include "gateway/core/test_util.h"
#include "gateway/policy/schema_names.h"
#include "gateway/policy/shipped_policy.h"

namespace regline::policy {
namespace {

using schema::Department;
using schema::DirectiveAction;
using schema::Severity;
using SubjectKind = schema::SubjectRef::Which;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// A valid policy with the same five lines for every action, so lines are
// easy to count: [policy] is line 1, [agreements] line 3, and the action
// with schema value k starts at line 7 + 5 (k - 1): suspendBroadcast (5)
// at 27 (subjects 28, issuers 29, ack_deadline 30, completion_deadline 31),
// closeAccount (6) at 32. The report schedules follow at 82
// ([reports.complaintStatistics]: every 83, due_days 84, first_period 85)
// and 86 ([reports.taxAssistanceResponse]: 87, 88, 89); [retention] is at
// 90 (days 91).
std::string ValidPolicyText() {
  std::string text =
      "[policy]\n"
      "name = \"test-policy\"\n"
      "[agreements]\n"
      "min_age_years = 16\n"
      "guardian_consent_below_years = 18\n"
      "identity_digest = \"sm3\"\n";
  for (DirectiveAction a : SpecifiedEnumerants<DirectiveAction>()) {
    text += "[actions." + std::string(EnumerantName(a)) +
            "]\n"
            "subjects = [\"liveRoom\", \"account\"]\n"
            "issuers = [\"cac\", \"samr\"]\n"
            "ack_deadline = { low = \"2h\", medium = \"1h\", high = \"30m\", critical = \"10m\" }\n"
            "completion_deadline = { low = \"48h\", medium = \"24h\", high = \"6h\", critical = \"2h\" }\n";
  }
  text +=
      "[reports.complaintStatistics]\n"
      "every = \"month\"\n"
      "due_days = 15\n"
      "first_period = \"2026-01\"\n"
      "[reports.taxAssistanceResponse]\n"
      "every = \"half-year\"\n"
      "due_days = 30\n"
      "first_period = \"2026-07\"\n"
      "[retention]\n"
      "days = 1095\n";
  return text;
}

// `text` with the first `from` after the first `after` replaced by `to`.
std::string Edit(std::string text, const std::string& after, const std::string& from, const std::string& to) {
  size_t start = text.find(after);
  EXPECT_NE(start, std::string::npos) << after;
  size_t at = text.find(from, start);
  EXPECT_NE(at, std::string::npos) << from;
  if (start == std::string::npos || at == std::string::npos) return text;
  return text.replace(at, from.size(), to);
}

TEST(PolicyTest, TheShippedPolicyLoadsAndCoversEveryAction) {
  Result<Policy> p = LoadPolicy(ShippedPolicyPath());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "measures-default");
  EXPECT_EQ(p->source, ShippedPolicyPath());
  EXPECT_EQ(p->agreements.min_age_years, 16);
  EXPECT_EQ(p->agreements.guardian_consent_below_years, 18);
  EXPECT_EQ(p->agreements.identity_digest, schema::DigestAlgorithm::SM3);
  EXPECT_EQ(p->retention.days, 1095);
  EXPECT_EQ(p->retention.period_ms(), int64_t{1095} * kDay);
  std::vector<DirectiveAction> actions = SpecifiedEnumerants<DirectiveAction>();
  ASSERT_EQ(actions.size(), 15u);
  for (DirectiveAction a : actions) {
    SCOPED_TRACE(EnumerantName(a));
    const ActionRules* rules = p->Find(a);
    ASSERT_NE(rules, nullptr);
    EXPECT_FALSE(rules->subjects.empty());
    EXPECT_TRUE(rules->AllowsIssuer(Department::CAC));
    EXPECT_TRUE(rules->AllowsIssuer(Department::SAMR));
    for (Severity s : SpecifiedEnumerants<Severity>()) {
      EXPECT_GT(rules->DefaultAckMs(s), 0);
      EXPECT_GT(rules->DefaultCompletionMs(s), rules->DefaultAckMs(s));
    }
  }
}

TEST(PolicyTest, FamiliesSetMaxAttemptsAndExpiryOverTheGatewayDefaults) {
  Result<Policy> shipped = LoadPolicy(ShippedPolicyPath());
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  const FamilyRules* tax = shipped->FindFamily(schema::MessageKind::TAX_ASSISTANCE_REQUEST);
  ASSERT_NE(tax, nullptr);
  EXPECT_EQ(tax->expiry_ms, 30 * kDay);
  EXPECT_EQ(shipped->FindFamily(schema::MessageKind::CATALOG_UPDATE), nullptr);  // never expires
  ASSERT_NE(shipped->FindFamily(schema::MessageKind::ESCALATION), nullptr);
  EXPECT_EQ(shipped->FindFamily(schema::MessageKind::ESCALATION)->quota, 10000);

  std::string text = ValidPolicyText() +
                     "[families.directive]\n"
                     "max_attempts = 50\n"
                     "[families.escalation]\n"
                     "max_attempts = 5\n"
                     "expiry = \"7d\"\n"
                     "[families.complaintStatistics]\n"
                     "quota = 12\n";
  Result<Policy> p = ParsePolicy("measures.toml", text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->families.size(), 3u);
  EXPECT_EQ(p->FindFamily(schema::MessageKind::DIRECTIVE)->max_attempts, 50);
  EXPECT_EQ(p->FindFamily(schema::MessageKind::DIRECTIVE)->expiry_ms, 0);
  EXPECT_EQ(p->FindFamily(schema::MessageKind::ESCALATION)->expiry_ms, 7 * kDay);
  EXPECT_EQ(p->MaxAttemptsByKind(), (std::map<int, int>{{static_cast<int>(schema::MessageKind::DIRECTIVE), 50},
                                                         {static_cast<int>(schema::MessageKind::ESCALATION), 5}}));
  EXPECT_EQ(p->FindFamily(schema::MessageKind::COMPLAINT_STATISTICS)->max_attempts, 0);
  EXPECT_EQ(p->QuotaByKind(), (std::map<int, FamilyQuota>{{static_cast<int>(schema::MessageKind::COMPLAINT_STATISTICS),
                                                           {12, "complaintStatistics"}}}));
}

TEST(PolicyTest, GroupsNameIdentities) {
  Result<Policy> p = ParsePolicy("measures.toml", ValidPolicyText() +
                                                      "[groups]\n"
                                                      "key-platforms = [\"douyin\", \"kuaishou\"]\n"
                                                      "south = [\"kuaishou\"]\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->groups, (std::map<std::string, std::vector<std::string>>{{"key-platforms", {"douyin", "kuaishou"}},
                                                                         {"south", {"kuaishou"}}}));
  for (const auto& [table, message] : std::vector<std::pair<std::string, std::string>>{
           {"[groups]\nkey = \"douyin\"\n", "measures.toml:93: groups.key: must be an array of identity names"},
           {"[groups]\nkey = []\n", "measures.toml:93: groups.key: must name at least one identity"},
           {"[groups]\nkey = [\"douyin\", 3]\n", "measures.toml:93: groups.key: members must be identity names"},
           {"[groups]\nkey = [\"douyin\", \"douyin\"]\n", "measures.toml:93: groups.key: \"douyin\" is listed twice"},
       }) {
    Result<Policy> bad = ParsePolicy("measures.toml", ValidPolicyText() + table);
    ASSERT_FALSE(bad.ok()) << table;
    EXPECT_EQ(bad.status().message(), message);
  }
}

struct FamilyMistake {
  const char* name;
  const char* table;    // appended to a valid policy (which has 91 lines)
  const char* message;  // the whole message
};

void PrintTo(const FamilyMistake& m, std::ostream* os) { *os << m.name; }

class FamilyMistakeTest : public ::testing::TestWithParam<FamilyMistake> {};

TEST_P(FamilyMistakeTest, IsRefusedNamingFileLineAndKey) {
  Result<Policy> p = ParsePolicy("measures.toml", ValidPolicyText() + GetParam().table);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, FamilyMistakeTest,
    ::testing::Values(
        FamilyMistake{"UnknownFamily", "[families.telegram]\nexpiry = \"1d\"\n",
                      "measures.toml:92: families.telegram: is not a message family (a MessageKind such as directive "
                      "or catalogUpdate)"},
        FamilyMistake{"NothingSet", "[families.directive]\n",
                      "measures.toml:92: families.directive.max_attempts: expiry or quota is required (a family table "
                      "changes something)"},
        FamilyMistake{"ZeroAttempts", "[families.directive]\nmax_attempts = 0\n",
                      "measures.toml:93: families.directive.max_attempts: must be between 1 and 1000, not 0"},
        FamilyMistake{"BadExpiry", "[families.directive]\nexpiry = \"soon\"\n",
                      "measures.toml:93: families.directive.expiry: \"soon\" is not a duration (use 90s, 15m, 4h or "
                      "7d)"},
        FamilyMistake{"ZeroQuota", "[families.directive]\nquota = 0\n",
                      "measures.toml:93: families.directive.quota: must be between 1 and 10000000, not 0"},
        FamilyMistake{"UnknownKey", "[families.directive]\nexpiry = \"1d\"\nretries = 5\n",
                      "measures.toml:94: families.directive.retries: unknown key"}),
    [](const ::testing::TestParamInfo<FamilyMistake>& info) { return std::string(info.param.name); });

TEST(PolicyTest, TheShippedPolicyFollowsTheDepartmentsRemits) {
  Result<Policy> p = LoadPolicy(ShippedPolicyPath());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Find(DirectiveAction::SUSPEND_BROADCAST)->issuers,
            (std::vector<Department>{Department::CAC, Department::SAMR, Department::NRTA, Department::MPS}));
  for (DirectiveAction a : SpecifiedEnumerants<DirectiveAction>()) {
    bool sta_may = a == DirectiveAction::PROVIDE_INFORMATION || a == DirectiveAction::PRESERVE_EVIDENCE;
    EXPECT_EQ(p->Find(a)->AllowsIssuer(Department::STA), sta_may) << EnumerantName(a);
  }
  EXPECT_EQ(p->Find(DirectiveAction::DESIGNATE_KEY_LIVE_ROOM)->subjects, std::vector{SubjectKind::LIVE_ROOM});
  EXPECT_EQ(p->Find(DirectiveAction::TAKE_DOWN_PRODUCT)->subjects, std::vector{SubjectKind::PRODUCT});
  EXPECT_TRUE(p->Find(DirectiveAction::RECTIFY)->AllowsSubject(SubjectKind::WHOLE_PLATFORM));
  EXPECT_FALSE(p->Find(DirectiveAction::CLOSE_ACCOUNT)->AllowsSubject(SubjectKind::LIVE_ROOM));
}

TEST(PolicyTest, DeadlineDefaultsAreReadPerSeverity) {
  Result<Policy> p = ParsePolicy("measures.toml", ValidPolicyText());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const ActionRules* rules = p->Find(DirectiveAction::SUSPEND_BROADCAST);
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(rules->DefaultAckMs(Severity::LOW), 2 * kHour);
  EXPECT_EQ(rules->DefaultAckMs(Severity::CRITICAL), 10 * kMinute);
  EXPECT_EQ(rules->DefaultCompletionMs(Severity::MEDIUM), 24 * kHour);
  EXPECT_EQ(rules->DefaultAckMs(Severity::UNSPECIFIED), 0);
  EXPECT_EQ(rules->subjects, (std::vector{SubjectKind::LIVE_ROOM, SubjectKind::ACCOUNT}));
  EXPECT_EQ(rules->issuers, (std::vector{Department::CAC, Department::SAMR}));
}

TEST(PolicyTest, ReportSchedulesAreReadPerKind) {
  Result<Policy> p = ParsePolicy("measures.toml", ValidPolicyText());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->reports.size(), 2u);
  EXPECT_EQ(*p->FindReport(schema::MessageKind::COMPLAINT_STATISTICS),
            (ReportSchedule{schema::MessageKind::COMPLAINT_STATISTICS, 1, 15, 2026, 1}));
  EXPECT_EQ(*p->FindReport(schema::MessageKind::TAX_ASSISTANCE_RESPONSE),
            (ReportSchedule{schema::MessageKind::TAX_ASSISTANCE_RESPONSE, 6, 30, 2026, 7}));
  EXPECT_EQ(p->FindReport(schema::MessageKind::DIRECTIVE), nullptr);
}

TEST(PolicyTest, ReportSchedulesAreOptional) {
  std::string text = ValidPolicyText();
  text.erase(text.find("[reports."), text.find("[retention]") - text.find("[reports."));
  Result<Policy> p = ParsePolicy("measures.toml", text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->reports.empty());
  EXPECT_EQ(p->FindReport(schema::MessageKind::COMPLAINT_STATISTICS), nullptr);
}

TEST(PolicyTest, TheShippedPolicySchedulesComplaintStatisticsAndTaxReports) {
  Result<Policy> p = LoadPolicy(ShippedPolicyPath());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const ReportSchedule* complaints = p->FindReport(schema::MessageKind::COMPLAINT_STATISTICS);
  ASSERT_NE(complaints, nullptr);
  EXPECT_EQ(complaints->months, 1);
  const ReportSchedule* tax = p->FindReport(schema::MessageKind::TAX_ASSISTANCE_RESPONSE);
  ASSERT_NE(tax, nullptr);
  EXPECT_EQ(tax->months, 6);
}

TEST(PolicyTest, FindCoversNeitherUnspecifiedNorUnknownActions) {
  Result<Policy> p = ParsePolicy("measures.toml", ValidPolicyText());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Find(DirectiveAction::UNSPECIFIED), nullptr);
  EXPECT_EQ(p->Find(static_cast<DirectiveAction>(99)), nullptr);
  EXPECT_EQ(Policy{}.Find(DirectiveAction::RECTIFY), nullptr);
}

TEST(PolicyTest, StarIssuersAreAllSevenDepartments) {
  std::string text = Edit(ValidPolicyText(), "[actions.rectify]", "[\"cac\", \"samr\"]", "[\"*\"]");
  Result<Policy> p = ParsePolicy("measures.toml", text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Find(DirectiveAction::RECTIFY)->issuers, SpecifiedEnumerants<Department>());
}

TEST(PolicyTest, DeadlinesMayBeStandardTables) {
  std::string text = Edit(ValidPolicyText(), "[actions.rectify]",
                          "ack_deadline = { low = \"2h\", medium = \"1h\", high = \"30m\", critical = \"10m\" }",
                          "[actions.rectify.ack_deadline]\nlow = \"3h\"\nmedium = \"1h\"\nhigh = \"30m\"\n"
                          "critical = \"10m\"\n[actions.rectify.completion_deadline]\nlow = \"30d\"\n"
                          "medium = \"15d\"\nhigh = \"7d\"\ncritical = \"3d\"\n#");
  text = Edit(text, "[actions.rectify.completion_deadline]\nlow", "completion_deadline = {", "# {");
  Result<Policy> p = ParsePolicy("measures.toml", text);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Find(DirectiveAction::RECTIFY)->DefaultAckMs(Severity::LOW), 3 * kHour);
  EXPECT_EQ(p->Find(DirectiveAction::RECTIFY)->DefaultCompletionMs(Severity::LOW), 30 * kDay);
}

TEST(PolicyTest, LoadPolicyReadsTheFileAndNamesItInMistakes) {
  regline::testing::TempDir dir;
  std::ofstream(dir.File("p.toml")) << Edit(ValidPolicyText(), "", "test-policy", "from-disk");
  Result<Policy> p = LoadPolicy(dir.File("p.toml"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "from-disk");
  EXPECT_EQ(p->source, dir.File("p.toml"));

  std::ofstream(dir.File("bad.toml")) << Edit(ValidPolicyText(), "", "min_age_years = 16", "min_age_years = 0");
  Result<Policy> bad = LoadPolicy(dir.File("bad.toml"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            dir.File("bad.toml") + ":4: agreements.min_age_years: must be between 1 and 100, not 0");
}

TEST(PolicyTest, AMissingFileIsNotFound) {
  regline::testing::TempDir dir;
  Result<Policy> p = LoadPolicy(dir.File("absent.toml"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find(dir.File("absent.toml")), std::string::npos);
}

struct Mistake {
  const char* name;
  const char* after;  // the edit applies after the first occurrence of this
  const char* from;
  const char* to;
  const char* message;  // the whole message
};

void PrintTo(const Mistake& m, std::ostream* os) { *os << m.name; }

class PolicyMistakeTest : public ::testing::TestWithParam<Mistake> {};

TEST_P(PolicyMistakeTest, IsRefusedNamingFileLineAndKey) {
  const Mistake& m = GetParam();
  Result<Policy> p = ParsePolicy("measures.toml", Edit(ValidPolicyText(), m.after, m.from, m.to));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message(), m.message);
}

constexpr const char* kSuspend = "[actions.suspendBroadcast]";
constexpr const char* kComplaints = "[reports.complaintStatistics]";
constexpr const char* kAck = "ack_deadline = { low = \"2h\", medium = \"1h\", high = \"30m\", critical = \"10m\" }";

INSTANTIATE_TEST_SUITE_P(
    Mistakes, PolicyMistakeTest,
    ::testing::Values(
        Mistake{"UnknownTopLevelKey", "", "[policy]", "colour = \"red\"\n[policy]",
                "measures.toml:1: colour: unknown key"},
        Mistake{"MissingPolicyTable", "", "[policy]\nname = \"test-policy\"\n", "",
                "measures.toml:1: policy: is required"},
        Mistake{"PolicyIsNotATable", "", "[policy]\nname = \"test-policy\"\n", "policy = 3\n",
                "measures.toml:1: policy: must be a table"},
        Mistake{"MissingName", "", "name = \"test-policy\"", "", "measures.toml:1: policy.name: is required"},
        Mistake{"EmptyName", "", "name = \"test-policy\"", "name = \"\"",
                "measures.toml:2: policy.name: must not be empty"},
        Mistake{"UnknownPolicyKey", "", "name = \"test-policy\"", "name = \"test-policy\"\nversion = 2",
                "measures.toml:3: policy.version: unknown key"},
        Mistake{"MinAgeOutOfRange", "", "min_age_years = 16", "min_age_years = 0",
                "measures.toml:4: agreements.min_age_years: must be between 1 and 100, not 0"},
        Mistake{"MinAgeNotANumber", "", "min_age_years = 16", "min_age_years = \"16\"",
                "measures.toml:4: agreements.min_age_years: must be an integer"},
        Mistake{"GuardianAgeBelowMinAge", "", "guardian_consent_below_years = 18", "guardian_consent_below_years = 14",
                "measures.toml:5: agreements.guardian_consent_below_years: must be at least min_age_years (16), "
                "not 14"},
        Mistake{"MissingIdentityDigest", "", "identity_digest = \"sm3\"\n", "",
                "measures.toml:3: agreements.identity_digest: is required"},
        Mistake{"UnknownDigest", "", "\"sm3\"", "\"md5\"",
                "measures.toml:6: agreements.identity_digest: \"md5\" is not a digest algorithm (use \"sm3\" or "
                "\"sha256\")"},
        Mistake{"UnknownAction", "", kSuspend, "[actions.suspendBroadcst]",
                "measures.toml:27: actions.suspendBroadcst: is not a directive action (popUpWarning, "
                "prominentLabel, restrictFunctions, restrictTraffic, suspendBroadcast, closeAccount, "
                "barReRegistration, addToBlacklist, removeFromBlacklist, designateKeyLiveRoom, "
                "extendContentRetention, preserveEvidence, provideInformation, takeDownProduct or rectify)"},
        Mistake{"UnspecifiedIsNoAction", "", kSuspend, "[actions.unspecified]",
                "measures.toml:27: actions.unspecified: is not a directive action (popUpWarning, "
                "prominentLabel, restrictFunctions, restrictTraffic, suspendBroadcast, closeAccount, "
                "barReRegistration, addToBlacklist, removeFromBlacklist, designateKeyLiveRoom, "
                "extendContentRetention, preserveEvidence, provideInformation, takeDownProduct or rectify)"},
        Mistake{"UnknownActionKey", kSuspend, "subjects", "note = \"x\"\nsubjects",
                "measures.toml:28: actions.suspendBroadcast.note: unknown key"},
        Mistake{"MissingSubjects", kSuspend, "subjects = [\"liveRoom\", \"account\"]\n", "",
                "measures.toml:27: actions.suspendBroadcast.subjects: is required"},
        Mistake{"SubjectsNotAnArray", kSuspend, "[\"liveRoom\", \"account\"]", "\"liveRoom\"",
                "measures.toml:28: actions.suspendBroadcast.subjects: must be an array of strings"},
        Mistake{"NoSubjects", kSuspend, "[\"liveRoom\", \"account\"]", "[]",
                "measures.toml:28: actions.suspendBroadcast.subjects: must name at least one subject kind"},
        Mistake{"UnknownSubject", kSuspend, "\"account\"]", "\"room\"]",
                "measures.toml:28: actions.suspendBroadcast.subjects: \"room\" is not a subject kind "
                "(wholePlatform, liveRoom, account, marketer, product or mcnAgency)"},
        Mistake{"SubjectTwice", kSuspend, "\"account\"]", "\"liveRoom\"]",
                "measures.toml:28: actions.suspendBroadcast.subjects: \"liveRoom\" is listed twice"},
        Mistake{"UnknownDepartment", kSuspend, "\"samr\"]", "\"fbi\"]",
                "measures.toml:29: actions.suspendBroadcast.issuers: \"fbi\" is not a department (cac, mps, "
                "mofcom, mct, sta, samr, nrta or \"*\" for all)"},
        Mistake{"UnspecifiedIsNoDepartment", kSuspend, "\"samr\"]", "\"unspecified\"]",
                "measures.toml:29: actions.suspendBroadcast.issuers: \"unspecified\" is not a department (cac, "
                "mps, mofcom, mct, sta, samr, nrta or \"*\" for all)"},
        Mistake{"StarWithOthers", kSuspend, "\"samr\"]", "\"*\"]",
                "measures.toml:29: actions.suspendBroadcast.issuers: \"*\" means every department; list no other "
                "with it"},
        Mistake{"MissingAckDeadline", kSuspend, kAck, "",
                "measures.toml:27: actions.suspendBroadcast.ack_deadline: is required"},
        Mistake{"AckDeadlineNotATable", kSuspend, kAck, "ack_deadline = \"1h\"",
                "measures.toml:30: actions.suspendBroadcast.ack_deadline: must be a table"},
        Mistake{"UnknownSeverity", kSuspend, "low = \"2h\"", "urgent = \"2h\"",
                "measures.toml:30: actions.suspendBroadcast.ack_deadline.urgent: is not a severity (give low, "
                "medium, high and critical)"},
        Mistake{"MissingSeverity", kSuspend, ", critical = \"10m\"", "",
                "measures.toml:30: actions.suspendBroadcast.ack_deadline.critical: is required (give low, "
                "medium, high and critical)"},
        Mistake{"NotADuration", kSuspend, "\"30m\"", "\"30x\"",
                "measures.toml:30: actions.suspendBroadcast.ack_deadline.high: \"30x\" is not a duration (use "
                "90s, 15m, 4h or 7d)"},
        Mistake{"ZeroDuration", kSuspend, "\"30m\"", "\"0m\"",
                "measures.toml:30: actions.suspendBroadcast.ack_deadline.high: \"0m\" is zero; a duration is more "
                "than zero"},
        Mistake{"NegativeDuration", kSuspend, "\"30m\"", "\"-30m\"",
                "measures.toml:30: actions.suspendBroadcast.ack_deadline.high: \"-30m\" is negative; a duration "
                "is more than zero (use 90s, 15m, 4h or 7d)"},
        Mistake{"DurationNotAString", kSuspend, "\"30m\"", "30",
                "measures.toml:30: actions.suspendBroadcast.ack_deadline.high: must be a string such as \"30m\" "
                "(use 90s, 15m, 4h or 7d)"},
        Mistake{"CompletionBeforeAck", kSuspend, "high = \"6h\"", "high = \"20m\"",
                "measures.toml:31: actions.suspendBroadcast.completion_deadline.high: 20m is not after the ack "
                "deadline 30m (completion must come after acknowledgement)"},
        Mistake{"CompletionEqualToAck", kSuspend, "critical = \"2h\"", "critical = \"600s\"",
                "measures.toml:31: actions.suspendBroadcast.completion_deadline.critical: 10m is not after the "
                "ack deadline 10m (completion must come after acknowledgement)"},
        Mistake{"MissingRetention", "", "[retention]\ndays = 1095\n", "",
                "measures.toml:1: retention: is required"},
        Mistake{"RetentionDaysZero", "[retention]", "days = 1095", "days = 0",
                "measures.toml:91: retention.days: must be between 1 and 36500, not 0"},
        Mistake{"UnknownRetentionKey", "[retention]", "days", "years = 3\ndays",
                "measures.toml:91: retention.years: unknown key"},
        Mistake{"UnscheduledKind", "", kComplaints, "[reports.directive]",
                "measures.toml:82: reports.directive: is not a scheduled report (complaintStatistics or "
                "taxAssistanceResponse)"},
        Mistake{"ReportNotATable", "",
                "[reports.complaintStatistics]\nevery = \"month\"\ndue_days = 15\nfirst_period = \"2026-01\"\n",
                "[reports]\ncomplaintStatistics = 3\n",
                "measures.toml:83: reports.complaintStatistics: must be a table"},
        Mistake{"UnknownReportKey", kComplaints, "every", "note = 1\nevery",
                "measures.toml:83: reports.complaintStatistics.note: unknown key"},
        Mistake{"MissingDueDays", kComplaints, "due_days = 15\n", "",
                "measures.toml:82: reports.complaintStatistics.due_days: is required"},
        Mistake{"UnknownEvery", kComplaints, "\"month\"", "\"week\"",
                "measures.toml:83: reports.complaintStatistics.every: \"week\" is not a period (use \"month\", "
                "\"quarter\" or \"half-year\")"},
        Mistake{"DueDaysOutOfRange", kComplaints, "due_days = 15", "due_days = 400",
                "measures.toml:84: reports.complaintStatistics.due_days: must be between 0 and 366, not 400"},
        Mistake{"NegativeDueDays", kComplaints, "due_days = 15", "due_days = -1",
                "measures.toml:84: reports.complaintStatistics.due_days: must be between 0 and 366, not -1"},
        Mistake{"FirstPeriodNotAMonth", kComplaints, "\"2026-01\"", "\"2026-1\"",
                "measures.toml:85: reports.complaintStatistics.first_period: \"2026-1\" is not a month (use "
                "\"YYYY-MM\", 2000 to 2100)"},
        Mistake{"FirstPeriodMonth13", kComplaints, "\"2026-01\"", "\"2026-13\"",
                "measures.toml:85: reports.complaintStatistics.first_period: \"2026-13\" is not a month (use "
                "\"YYYY-MM\", 2000 to 2100)"},
        Mistake{"FirstPeriodNotStartingAHalfYear", "[reports.taxAssistanceResponse]", "\"2026-07\"", "\"2026-03\"",
                "measures.toml:89: reports.taxAssistanceResponse.first_period: \"2026-03\" does not start a "
                "half-year (half-years start in 01 and 07)"}),
    [](const ::testing::TestParamInfo<Mistake>& info) { return std::string(info.param.name); });

TEST(PolicyTest, ATomlSyntaxErrorNamesTheLine) {
  Result<Policy> p = ParsePolicy("measures.toml", Edit(ValidPolicyText(), "", "\"test-policy\"", "\"test-policy"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  // The rest of the message is toml++'s own description.
  EXPECT_EQ(p.status().message().rfind("measures.toml:2: ", 0), 0u) << p.status().message();
}

TEST(PolicyTest, AMissingActionTableIsNamed) {
  std::string text = ValidPolicyText();
  size_t start = text.find("[actions.closeAccount]");
  size_t end = text.find("[actions.barReRegistration]");
  ASSERT_NE(start, std::string::npos);
  text.erase(start, end - start);
  Result<Policy> p = ParsePolicy("measures.toml", text);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "measures.toml:7: actions.closeAccount: is missing: every directive action needs its table "
            "[actions.closeAccount]");
}

struct DurationCase {
  const char* text;
  int64_t ms;  // 0: refused
};

void PrintTo(const DurationCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class DurationTest : public ::testing::TestWithParam<DurationCase> {};

TEST_P(DurationTest, ParsesOnlyAnIntegerAndOneUnit) {
  const DurationCase& c = GetParam();
  Result<int64_t> ms = ParseDurationMs(c.text);
  if (c.ms == 0) {
    ASSERT_FALSE(ms.ok()) << c.text << " -> " << *ms;
    EXPECT_EQ(ms.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(ms.status().message().find("\"" + std::string(c.text) + "\""), std::string::npos);
  } else {
    ASSERT_TRUE(ms.ok()) << ms.status().ToString();
    EXPECT_EQ(*ms, c.ms);
    EXPECT_EQ(ParseDurationMs(FormatDurationMs(*ms)).value(), *ms);
  }
}

INSTANTIATE_TEST_SUITE_P(Durations, DurationTest,
                         ::testing::Values(DurationCase{"90s", 90'000}, DurationCase{"15m", 15 * kMinute},
                                           DurationCase{"4h", 4 * kHour}, DurationCase{"7d", 7 * kDay},
                                           DurationCase{"007m", 7 * kMinute}, DurationCase{"3650d", 3650 * kDay},
                                           DurationCase{"", 0}, DurationCase{"5", 0}, DurationCase{"h", 0},
                                           DurationCase{"1.5h", 0}, DurationCase{"1h30m", 0}, DurationCase{" 5m", 0},
                                           DurationCase{"5 m", 0}, DurationCase{"+5m", 0}, DurationCase{"5M", 0},
                                           DurationCase{"2w", 0}, DurationCase{"5ms", 0}, DurationCase{"0s", 0},
                                           DurationCase{"-1h", 0}, DurationCase{"3651d", 0},
                                           DurationCase{"99999999999999999999d", 0}));

TEST(DurationTest, FormatUsesTheLargestExactUnit) {
  EXPECT_EQ(FormatDurationMs(2 * kHour), "2h");
  EXPECT_EQ(FormatDurationMs(90 * kMinute), "90m");
  EXPECT_EQ(FormatDurationMs(3 * kDay), "3d");
  EXPECT_EQ(FormatDurationMs(90'000), "90s");
  EXPECT_EQ(FormatDurationMs(1500), "1500ms");
  EXPECT_EQ(FormatDurationMs(0), "0ms");
}

}  // namespace
}  // namespace regline::policy
