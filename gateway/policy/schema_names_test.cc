// Schema names: the policy's words are the schemas' own names.
#include "gateway/policy/schema_names.h"

#include <gtest/gtest.h>

#include "schemas/directive.capnp.h"

namespace regline::policy {
namespace {

using schema::Department;
using schema::DirectiveAction;
using SubjectKind = schema::SubjectRef::Which;

TEST(SchemaNamesTest, EnumerantsAreNamedAsInTheSchema) {
  EXPECT_EQ(EnumerantName(DirectiveAction::SUSPEND_BROADCAST), "suspendBroadcast");
  EXPECT_EQ(EnumerantName(DirectiveAction::DESIGNATE_KEY_LIVE_ROOM), "designateKeyLiveRoom");
  EXPECT_EQ(EnumerantName(Department::SAMR), "samr");
  EXPECT_EQ(EnumerantName(schema::Severity::CRITICAL), "critical");
  EXPECT_EQ(EnumerantByName<DirectiveAction>("rectify"), DirectiveAction::RECTIFY);
  EXPECT_EQ(EnumerantByName<Department>("mofcom"), Department::MOFCOM);
}

TEST(SchemaNamesTest, UnknownValuesAndNamesAreEmpty) {
  EXPECT_EQ(EnumerantName(static_cast<DirectiveAction>(200)), "");
  EXPECT_EQ(EnumerantByName<DirectiveAction>("SuspendBroadcast"), std::nullopt);  // case matters
  EXPECT_EQ(EnumerantByName<Department>("fbi"), std::nullopt);
}

TEST(SchemaNamesTest, SpecifiedEnumerantsLeaveOutUnspecified) {
  std::vector<Department> departments = SpecifiedEnumerants<Department>();
  ASSERT_EQ(departments.size(), 7u);
  EXPECT_EQ(departments.front(), Department::CAC);
  EXPECT_EQ(departments.back(), Department::NRTA);
  EXPECT_EQ(SpecifiedEnumerants<DirectiveAction>().size(), 15u);
  EXPECT_EQ(EnumerantCount<DirectiveAction>(), 16u);
}

TEST(SchemaNamesTest, SubjectKindsAreTheUnionMembers) {
  EXPECT_EQ(SubjectKindName(SubjectKind::LIVE_ROOM), "liveRoom");
  EXPECT_EQ(SubjectKindName(SubjectKind::MCN_AGENCY), "mcnAgency");
  EXPECT_EQ(SubjectKindName(static_cast<SubjectKind>(99)), "");
  EXPECT_EQ(SubjectKindByName("wholePlatform"), SubjectKind::WHOLE_PLATFORM);
  EXPECT_EQ(SubjectKindByName("room"), std::nullopt);
  EXPECT_EQ(AllSubjectKinds().size(), 6u);
}

TEST(SchemaNamesTest, JoinNamesUsesTheLastJoiner) {
  EXPECT_EQ(JoinNames({}, " or "), "");
  EXPECT_EQ(JoinNames({"cac"}, " or "), "cac");
  EXPECT_EQ(JoinNames({"cac", "samr", "mps"}, " or "), "cac, samr or mps");
  EXPECT_EQ(JoinNames({"cac", "samr"}, ", "), "cac, samr");
}

}  // namespace
}  // namespace regline::policy
