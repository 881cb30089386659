// Directive rules: each refusal names the rule and the field; accepted
// directives get the deadlines they set or the shipped policy's defaults.
#include "gateway/policy/directive_rules.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <functional>

#include "gateway/policy/schema_names.h"
#include "gateway/policy/shipped_policy.h"
#include "schemas/schema_samples.h"

namespace regline::policy {
namespace {

using schema::Department;
using schema::DirectiveAction;
using schema::Severity;
using schema::samples::kDayMs;
using schema::samples::kHourMs;
using schema::samples::kIssuedMs;
using SubjectKind = schema::SubjectRef::Which;
using Mutation = std::function<void(schema::Directive::Builder)>;

constexpr int64_t kMinuteMs = 60 * 1000;

class DirectiveRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Policy> p = LoadPolicy(ShippedPolicyPath());
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    policy_ = std::move(p).value();
  }

  // The sample directive (SAMR Shanghai suspends live room 8812, severity
  // high, ack +2 h and completion +24 h, effective at issue), changed by
  // `mutate`, checked as issued at `issued_ms`.
  Result<DirectiveTerms> Check(const Mutation& mutate, int64_t issued_ms = kIssuedMs) {
    capnp::MallocMessageBuilder message;
    schema::Directive::Builder d = message.initRoot<schema::Directive>();
    schema::samples::BuildSuspendBroadcastDirective(d);
    mutate(d);
    return CheckDirective(policy_, d.asReader(), issued_ms);
  }

  const ActionRules& Rules(DirectiveAction a) const { return *policy_.Find(a); }

  Policy policy_;
};

TEST_F(DirectiveRulesTest, TheSampleDirectiveKeepsItsOwnDeadlines) {
  Result<DirectiveTerms> t = Check([](auto) {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->action, DirectiveAction::SUSPEND_BROADCAST);
  EXPECT_EQ(t->severity, Severity::HIGH);
  EXPECT_EQ(t->department, Department::SAMR);
  EXPECT_EQ(t->issued_ms, kIssuedMs);
  EXPECT_EQ(t->effective_from_ms, kIssuedMs);
  EXPECT_EQ(t->ack_deadline_ms, kIssuedMs + 2 * kHourMs);
  EXPECT_EQ(t->completion_deadline_ms, kIssuedMs + 24 * kHourMs);
  EXPECT_FALSE(t->ack_deadline_from_policy);
  EXPECT_FALSE(t->completion_deadline_from_policy);
  EXPECT_TRUE(t->supersedes.IsZero());
  EXPECT_TRUE(t->revokes.IsZero());
}

TEST_F(DirectiveRulesTest, ZeroDeadlinesAreThePolicyDefaultsAfterTheIssueTime) {
  const int64_t issued = kIssuedMs + 1500;  // the gateway accepts it a moment later
  Result<DirectiveTerms> t = Check(
      [](schema::Directive::Builder d) {
        d.setAckDeadlineMs(0);
        d.setCompletionDeadlineMs(0);
      },
      issued);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const ActionRules& rules = Rules(DirectiveAction::SUSPEND_BROADCAST);
  EXPECT_EQ(t->ack_deadline_ms, issued + rules.DefaultAckMs(Severity::HIGH));
  EXPECT_EQ(t->completion_deadline_ms, issued + rules.DefaultCompletionMs(Severity::HIGH));
  EXPECT_EQ(t->ack_deadline_ms, issued + 30 * kMinuteMs);  // measures.toml: high = "30m"
  EXPECT_TRUE(t->ack_deadline_from_policy);
  EXPECT_TRUE(t->completion_deadline_from_policy);
}

TEST_F(DirectiveRulesTest, OneDeadlineMayBeExplicitAndTheOtherADefault) {
  Result<DirectiveTerms> t = Check([](schema::Directive::Builder d) {
    d.setSeverity(Severity::CRITICAL);
    d.setAckDeadlineMs(0);
  });
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->ack_deadline_ms, kIssuedMs + Rules(DirectiveAction::SUSPEND_BROADCAST).DefaultAckMs(Severity::CRITICAL));
  EXPECT_TRUE(t->ack_deadline_from_policy);
  EXPECT_EQ(t->completion_deadline_ms, kIssuedMs + 24 * kHourMs);
  EXPECT_FALSE(t->completion_deadline_from_policy);
}

TEST_F(DirectiveRulesTest, TheActionMayTakeEffectAtTheCompletionDeadline) {
  Result<DirectiveTerms> t = Check([](schema::Directive::Builder d) { d.setEffectiveFromMs(kIssuedMs + kDayMs); });
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->effective_from_ms, kIssuedMs + kDayMs);
}

TEST_F(DirectiveRulesTest, SupersedesAndRevokesAreReported) {
  Result<DirectiveTerms> superseding =
      Check([](schema::Directive::Builder d) { schema::samples::SetId(d.initSupersedes(), 0xd1, 0x1); });
  ASSERT_TRUE(superseding.ok()) << superseding.status().ToString();
  EXPECT_EQ(superseding->supersedes, (MessageId{0xd1, 0x1}));
  EXPECT_TRUE(superseding->revokes.IsZero());

  Result<DirectiveTerms> revoking =
      Check([](schema::Directive::Builder d) { schema::samples::SetId(d.initRevokes(), 0xd1, 0x2); });
  ASSERT_TRUE(revoking.ok()) << revoking.status().ToString();
  EXPECT_EQ(revoking->revokes, (MessageId{0xd1, 0x2}));
  EXPECT_TRUE(revoking->supersedes.IsZero());
}

// Every action of the shipped policy, from CAC, on the first subject kind it
// allows, with the parameters it needs and no deadlines of its own.
TEST_F(DirectiveRulesTest, EveryActionIsAcceptedWithItsNeedsMet) {
  for (DirectiveAction action : SpecifiedEnumerants<DirectiveAction>()) {
    SCOPED_TRACE(EnumerantName(action));
    const ActionRules& rules = Rules(action);
    Result<DirectiveTerms> t = Check([&](schema::Directive::Builder d) {
      d.setAction(action);
      d.setSeverity(Severity::MEDIUM);
      d.getIssuer().setDepartment(Department::CAC);
      d.setAckDeadlineMs(0);
      d.setCompletionDeadlineMs(0);
      switch (rules.subjects.front()) {
        case SubjectKind::WHOLE_PLATFORM:
          d.getSubject().setWholePlatform();
          break;
        case SubjectKind::LIVE_ROOM:
          d.getSubject().initLiveRoom().setRoomId("8812");
          break;
        case SubjectKind::ACCOUNT:
          d.getSubject().initAccount().setAccountId("acc-77001");
          break;
        case SubjectKind::MARKETER:
          d.getSubject().initMarketer().setName("张某");
          break;
        case SubjectKind::PRODUCT:
          d.getSubject().initProduct().setProductId("sku-1");
          break;
        case SubjectKind::MCN_AGENCY:
          d.getSubject().initMcnAgency().setUscc("91350100M000100Y43");
          break;
      }
      auto p = d.initParameters();
      p.setUserFacingText("该直播间存在虚假宣传，请谨慎购买");
      p.initRestrictedFunctions(1).set(0, "product-links");
      p.setInformationRequested("2024-04 的直播回放与订单记录");
      p.setRequirements("下架涉事商品并提交整改报告");
    });
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->ack_deadline_ms, kIssuedMs + rules.DefaultAckMs(Severity::MEDIUM));
    EXPECT_EQ(t->completion_deadline_ms, kIssuedMs + rules.DefaultCompletionMs(Severity::MEDIUM));
  }
}

TEST_F(DirectiveRulesTest, TheTaxAdministrationMayAskForInformation) {
  Result<DirectiveTerms> t = Check([](schema::Directive::Builder d) {
    d.getIssuer().setDepartment(Department::STA);
    d.setAction(DirectiveAction::PROVIDE_INFORMATION);
    d.getSubject().setWholePlatform();
    d.getParameters().setInformationRequested("2023 年下半年直播营销人员收入明细");
    d.setCompletionDeadlineMs(0);
  });
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->department, Department::STA);
  EXPECT_EQ(t->completion_deadline_ms, kIssuedMs + 3 * kDayMs);  // measures.toml: high = "3d"
}

TEST_F(DirectiveRulesTest, AGarbledMessageIsRefusedNotThrown) {
  capnp::MallocMessageBuilder message;
  schema::samples::BuildSuspendBroadcastDirective(message.initRoot<schema::Directive>());
  kj::Array<capnp::word> words = schema::samples::AlignedCopy(schema::samples::ToBytes(message));
  // Word 0 is the segment table; word 1 the root struct pointer. Point the
  // directive's legalBasis (its third pointer) far past the message's end.
  auto* raw = reinterpret_cast<uint64_t*>(words.begin());
  const uint64_t root = raw[1];
  const uint64_t data_words = (root >> 32) & 0xffff;
  const uint64_t struct_start = 2 + static_cast<uint64_t>(static_cast<int32_t>(root) >> 2);
  raw[struct_start + data_words + 2] = (uint64_t{5} << 35) | (uint64_t{7} << 32) | (0x1000000u << 2) | 1;
  capnp::FlatArrayMessageReader reader(words);
  Result<DirectiveTerms> t = CheckDirective(policy_, reader.getRoot<schema::Directive>(), kIssuedMs);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message().rfind("directive cannot be read: ", 0), 0u) << t.status().message();
}

TEST(FormatUtcTest, ShowsSecondsAndMillisecondsWhenThereAreAny) {
  EXPECT_EQ(FormatUtc(kIssuedMs), "2024-05-01 12:13:00 UTC");
  EXPECT_EQ(FormatUtc(kIssuedMs + 250), "2024-05-01 12:13:00.250 UTC");
  EXPECT_EQ(FormatUtc(0), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(FormatUtc(-1), "1969-12-31 23:59:59.999 UTC");
}

struct Refusal {
  const char* name;
  Mutation mutate;
  StatusCode code;
  const char* message;  // the whole message
};

void PrintTo(const Refusal& r, std::ostream* os) { *os << r.name; }

class DirectiveRefusalTest : public DirectiveRulesTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(DirectiveRefusalTest, NamesTheRuleAndTheField) {
  Result<DirectiveTerms> t = Check(GetParam().mutate);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), GetParam().code) << t.status().ToString();
  EXPECT_EQ(t.status().message(), GetParam().message);
}

constexpr StatusCode kInvalid = StatusCode::kInvalidArgument;

using D = schema::Directive::Builder;

// One row per reason for refusal, each a change to the sample directive.
const Refusal kRefusals[] = {
    {"ActionNotSet", [](D d) { d.setAction(DirectiveAction::UNSPECIFIED); }, kInvalid,
     "directive rule action: no action is set; the directive must say what the platform must do (e.g. "
     "suspendBroadcast)"},
    {"ActionUnknown", [](D d) { d.setAction(static_cast<DirectiveAction>(40)); }, kInvalid,
     "directive rule action: action number 40 is not one this gateway knows"},
    {"SeverityNotSet", [](D d) { d.setSeverity(Severity::UNSPECIFIED); }, kInvalid,
     "directive rule severity: no severity is set (low, medium, high or critical)"},
    {"SeverityUnknown", [](D d) { d.setSeverity(static_cast<Severity>(9)); }, kInvalid,
     "directive rule severity: severity number 9 is not one this gateway knows"},
    {"DepartmentNotSet", [](D d) { d.getIssuer().setDepartment(Department::UNSPECIFIED); }, kInvalid,
     "directive rule issuer: the issuing office's department is not set"},
    {"DepartmentUnknown", [](D d) { d.getIssuer().setDepartment(static_cast<Department>(12)); }, kInvalid,
     "directive rule issuer: department number 12 is not one this gateway knows"},
    {"NoLegalBasis", [](D d) { d.initLegalBasis(0); }, kInvalid,
     "directive rule legal basis: the directive cites no legal basis; cite at least one provision (e.g. the "
     "Measures, Art. 18)"},
    {"DepartmentMayNotIssueTheAction", [](D d) { d.getIssuer().setDepartment(Department::STA); },
     StatusCode::kPermissionDenied,
     "directive rule issuers: STA may not issue suspendBroadcast (policy measures-default allows cac, samr, nrta, "
     "mps)"},
    {"ProductActionOnALiveRoom", [](D d) { d.setAction(DirectiveAction::TAKE_DOWN_PRODUCT); }, kInvalid,
     "directive rule subject: takeDownProduct targets a product, not a liveRoom"},
    {"AccountActionOnAProduct",
     [](D d) {
       d.setAction(DirectiveAction::CLOSE_ACCOUNT);
       d.getSubject().initProduct().setProductId("sku-1");
     },
     kInvalid, "directive rule subject: closeAccount targets an account or a marketer, not a product"},
    {"KeyLiveRoomOnTheWholePlatform",
     [](D d) {
       d.setAction(DirectiveAction::DESIGNATE_KEY_LIVE_ROOM);
       d.getSubject().setWholePlatform();
     },
     kInvalid, "directive rule subject: designateKeyLiveRoom targets a liveRoom, not the wholePlatform"},
    {"PopUpWarningWithoutText", [](D d) { d.setAction(DirectiveAction::POP_UP_WARNING); }, kInvalid,
     "directive rule parameters: popUpWarning needs the text users must see (parameters.userFacingText is empty)"},
    {"ProminentLabelWithBlankText",
     [](D d) {
       d.setAction(DirectiveAction::PROMINENT_LABEL);
       d.getParameters().setUserFacingText(" \t");
     },
     kInvalid,
     "directive rule parameters: prominentLabel needs the text users must see (parameters.userFacingText is "
     "empty)"},
    {"RestrictFunctionsWithoutFunctions", [](D d) { d.setAction(DirectiveAction::RESTRICT_FUNCTIONS); }, kInvalid,
     "directive rule parameters: restrictFunctions needs the functions to restrict (parameters.restrictedFunctions "
     "is empty)"},
    {"RestrictFunctionsWithABlankFunction",
     [](D d) {
       d.setAction(DirectiveAction::RESTRICT_FUNCTIONS);
       auto functions = d.getParameters().initRestrictedFunctions(2);
       functions.set(0, "tipping");
       functions.set(1, "");
     },
     kInvalid,
     "directive rule parameters: restrictFunctions needs the functions to restrict (parameters.restrictedFunctions "
     "entry 2 is empty)"},
    {"ProvideInformationWithoutWhat", [](D d) { d.setAction(DirectiveAction::PROVIDE_INFORMATION); }, kInvalid,
     "directive rule parameters: provideInformation needs what to provide (parameters.informationRequested is "
     "empty)"},
    {"PreserveEvidenceWithoutWhat", [](D d) { d.setAction(DirectiveAction::PRESERVE_EVIDENCE); }, kInvalid,
     "directive rule parameters: preserveEvidence needs what to preserve (parameters.informationRequested is "
     "empty)"},
    {"RectifyWithoutRequirements", [](D d) { d.setAction(DirectiveAction::RECTIFY); }, kInvalid,
     "directive rule parameters: rectify needs what must be rectified (parameters.requirements is empty)"},
    {"TrafficReductionOver100",
     [](D d) {
       d.setAction(DirectiveAction::RESTRICT_TRAFFIC);
       d.getParameters().setTrafficReductionPercent(150);
     },
     kInvalid,
     "directive rule parameters: parameters.trafficReductionPercent is 150; it is a share of traffic, at most 100"},
    {"NegativeDuration", [](D d) { d.getParameters().setDurationMs(-1); }, kInvalid,
     "directive rule parameters: parameters.durationMs is -1; a duration cannot be negative (0 = until revoked)"},
    {"AckDeadlineBeforeIssue", [](D d) { d.setAckDeadlineMs(kIssuedMs - kHourMs); }, kInvalid,
     "directive rule deadlines: the acknowledgement deadline 2024-05-01 11:13:00 UTC (set by the directive) is not "
     "after the issue time 2024-05-01 12:13:00 UTC"},
    {"AckDeadlineAtIssue", [](D d) { d.setAckDeadlineMs(kIssuedMs); }, kInvalid,
     "directive rule deadlines: the acknowledgement deadline 2024-05-01 12:13:00 UTC (set by the directive) is not "
     "after the issue time 2024-05-01 12:13:00 UTC"},
    {"CompletionBeforeTheDefaultAck",
     [](D d) {
       d.setAckDeadlineMs(0);
       d.setCompletionDeadlineMs(kIssuedMs + 10 * kMinuteMs);
     },
     kInvalid,
     "directive rule deadlines: the completion deadline 2024-05-01 12:23:00 UTC (set by the directive) is not after "
     "the acknowledgement deadline 2024-05-01 12:43:00 UTC (policy default for suspendBroadcast at severity high: "
     "30m after issue)"},
    {"DefaultCompletionBeforeTheAck",
     [](D d) {
       d.setAckDeadlineMs(kIssuedMs + 30 * kHourMs);
       d.setCompletionDeadlineMs(0);
     },
     kInvalid,
     "directive rule deadlines: the completion deadline 2024-05-01 14:13:00 UTC (policy default for "
     "suspendBroadcast at severity high: 2h after issue) is not after the acknowledgement deadline 2024-05-02 "
     "18:13:00 UTC (set by the directive)"},
    {"EffectiveAfterCompletion", [](D d) { d.setEffectiveFromMs(kIssuedMs + 25 * kHourMs); }, kInvalid,
     "directive rule deadlines: the action takes effect at 2024-05-02 13:13:00 UTC, after the completion deadline "
     "2024-05-02 12:13:00 UTC (set by the directive)"},
    {"SupersedesAndRevokes",
     [](D d) {
       schema::samples::SetId(d.initSupersedes(), 0xd1, 0x1);
       schema::samples::SetId(d.initRevokes(), 0xd1, 0x2);
     },
     kInvalid,
     "directive rule supersedes: a directive either supersedes or revokes another, not both (supersedes "
     "00000000000000d10000000000000001, revokes 00000000000000d10000000000000002)"},
};

INSTANTIATE_TEST_SUITE_P(Rules, DirectiveRefusalTest, ::testing::ValuesIn(kRefusals),
                         [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace regline::policy
