// Flag values: durations, dates, periods, ids and kebab-case enum names.
#include "ctl/parse.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>

#include "schemas/directive.capnp.h"
#include "schemas/tax.capnp.h"

namespace regline::ctl {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// Runs the date tests in China Standard Time, whatever the machine's zone.
class CtlLocalTimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
  }
  void TearDown() override {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

struct DurationCase {
  const char* text;
  int64_t ms;
};

std::ostream& operator<<(std::ostream& os, const DurationCase& c) { return os << c.text; }

class CtlDurationTest : public ::testing::TestWithParam<DurationCase> {};

TEST_P(CtlDurationTest, Parses) {
  Result<int64_t> ms = ParseDuration("--ack-within", GetParam().text);
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  EXPECT_EQ(*ms, GetParam().ms);
}

INSTANTIATE_TEST_SUITE_P(Units, CtlDurationTest,
                         ::testing::Values(DurationCase{"1500ms", 1500}, DurationCase{"90s", 90 * kSecond},
                                           DurationCase{"10m", 10 * kMinute}, DurationCase{"4h", 4 * kHour},
                                           DurationCase{"2d", 2 * kDay}, DurationCase{"1w", 7 * kDay},
                                           DurationCase{"1h30m", kHour + 30 * kMinute},
                                           DurationCase{"1d12h", kDay + 12 * kHour}));

TEST(CtlDurationErrorTest, RefusesWhatIsNotAPositiveDurationNamingTheFlag) {
  for (const char* bad : {"", "10", "10x", "m", "-5m", "0s", "4h ", "1.5h", "99999999d"}) {
    Result<int64_t> ms = ParseDuration("--ack-within", bad);
    ASSERT_FALSE(ms.ok()) << bad;
    EXPECT_EQ(ms.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(ms.status().message().starts_with("--ack-within: '")) << ms.status().message();
  }
}

TEST_F(CtlLocalTimeTest, DatesAreLocalMidnights) {
  Result<int64_t> ms = ParseLocalDate("--period", "2024-05-01");
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(*ms, 1714492800000);  // 2024-05-01T00:00:00+08:00
  EXPECT_FALSE(ParseLocalDate("--period", "2024-02-30").ok());
  EXPECT_FALSE(ParseLocalDate("--period", "2024-5-1").ok());
  EXPECT_FALSE(ParseLocalDate("--period", "01/05/2024").ok());
}

TEST_F(CtlLocalTimeTest, PeriodsIncludeTheirLastDay) {
  Result<PeriodMs> p = ParsePeriod("--period", "2023-07-01..2023-12-31");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->start_ms, 1688140800000);  // 2023-07-01T00:00+08:00
  EXPECT_EQ(p->end_ms, 1704038400000);    // 2024-01-01T00:00+08:00
  Result<PeriodMs> one_day = ParsePeriod("--period", "2024-05-01..2024-05-01");
  ASSERT_TRUE(one_day.ok());
  EXPECT_EQ(one_day->end_ms - one_day->start_ms, kDay);
}

TEST_F(CtlLocalTimeTest, PeriodErrorsSayWhatIsWrong) {
  EXPECT_NE(ParsePeriod("--period", "2024-05-01").status().message().find("FIRST..LAST"), std::string::npos);
  EXPECT_NE(ParsePeriod("--period", "2024-06-01..2024-05-01").status().message().find("ends before it starts"),
            std::string::npos);
}

TEST(CtlEnumNameTest, EveryDirectiveActionRoundTripsThroughItsKebabName) {
  std::vector<std::string> names = EnumNames<schema::DirectiveAction>();
  ASSERT_EQ(names.size(), capnp::Schema::from<schema::DirectiveAction>().getEnumerants().size() - 1);
  for (const std::string& name : names) {
    Result<schema::DirectiveAction> action = ParseEnum<schema::DirectiveAction>("--action", name);
    ASSERT_TRUE(action.ok()) << name;
    EXPECT_EQ(EnumName(*action), name);
  }
  EXPECT_EQ(*ParseEnum<schema::DirectiveAction>("--action", "suspend-broadcast"),
            schema::DirectiveAction::SUSPEND_BROADCAST);
  EXPECT_EQ(*ParseEnum<schema::DirectiveAction>("--action", "designate-key-live-room"),
            schema::DirectiveAction::DESIGNATE_KEY_LIVE_ROOM);
  // The schema's own name is accepted too.
  EXPECT_EQ(*ParseEnum<schema::DirectiveAction>("--action", "closeAccount"), schema::DirectiveAction::CLOSE_ACCOUNT);
}

TEST(CtlEnumNameTest, UnspecifiedIsNeverAValue) {
  Result<schema::DirectiveAction> action = ParseEnum<schema::DirectiveAction>("--action", "unspecified");
  ASSERT_FALSE(action.ok());
  EXPECT_NE(action.status().message().find("pop-up-warning, prominent-label"), std::string::npos);
  EXPECT_NE(action.status().message().find("or rectify"), std::string::npos);
}

TEST(CtlEnumNameTest, DepartmentsInAnyCase) {
  EXPECT_EQ(*ParseEnum<schema::Department>("--department", "SAMR"), schema::Department::SAMR);
  EXPECT_EQ(*ParseEnum<schema::Department>("--department", "mofcom"), schema::Department::MOFCOM);
  EXPECT_EQ(*ParseEnum<schema::Department>("--department", "Cac"), schema::Department::CAC);
  EXPECT_FALSE(ParseEnum<schema::Department>("--department", "FDA").ok());
}

TEST(CtlEnumNameTest, TaxFieldsAndRoles) {
  EXPECT_EQ(*ParseEnum<schema::TaxField>("--fields", "remuneration-account"), schema::TaxField::REMUNERATION_ACCOUNT);
  EXPECT_EQ(*ParseRole("--role", "operator"), schema::Role::GATEWAY_OPERATOR);
  EXPECT_EQ(*ParseRole("--role", "gateway-operator"), schema::Role::GATEWAY_OPERATOR);
  EXPECT_EQ(*ParseRole("--role", "mcn-agency"), schema::Role::MCN_AGENCY);
  EXPECT_EQ(ParseRole("--role", "admin").status().message(),
            "--role: 'admin' is not one of regulator, platform, mcn-agency or operator");
}

TEST(CtlListTest, SplitsAtCommasAndDropsEmptyItems) {
  EXPECT_EQ(SplitList("douyin, kuaishou,,taobao-live "),
            (std::vector<std::string>{"douyin", "kuaishou", "taobao-live"}));
  EXPECT_TRUE(SplitList("").empty());
}

TEST(CtlMessageIdTest, ParsesThirtyTwoHexDigits) {
  Result<MessageId> id = ParseMessageId("MESSAGE_ID", "0190A1B2C3D4E5F61122334455667788");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->hi, 0x0190a1b2c3d4e5f6ull);
  EXPECT_EQ(ParseMessageId("MESSAGE_ID", "xyz").status().message(),
            "MESSAGE_ID: 'xyz' is not a message id (32 hex digits)");
}

}  // namespace
}  // namespace regline::ctl
