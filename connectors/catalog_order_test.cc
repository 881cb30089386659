// The catalog's order at the connector: each catalog message judged
// against the version the sink holds, and positions read from envelopes.
#include "connectors/catalog_order.h"

#include <gtest/gtest.h>

#include "connectors/test_envelopes.h"

namespace regline::connector {
namespace {

using schema::MessageKind;

struct StepCase {
  const char* name;
  CatalogPosition position;
  uint64_t held;
  CatalogStep want;
};

void PrintTo(const StepCase& c, std::ostream* os) { *os << c.name; }

class CatalogStepTest : public ::testing::TestWithParam<StepCase> {};

TEST_P(CatalogStepTest, JudgesAgainstTheVersionHeld) {
  const StepCase& c = GetParam();
  EXPECT_EQ(NextCatalogStep(c.position, c.held), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CatalogStepTest,
    ::testing::Values(StepCase{"FirstUpdateOnNothing", {false, 1, 0}, 0, CatalogStep::kHandOver},
                      StepCase{"NextUpdate", {false, 5, 4}, 4, CatalogStep::kHandOver},
                      StepCase{"UpdateAboveAGap", {false, 7, 6}, 4, CatalogStep::kGap},
                      StepCase{"UpdateOnNothingHeldAboveVersionOne", {false, 3, 2}, 0, CatalogStep::kGap},
                      StepCase{"UpdateAlreadyHeld", {false, 4, 3}, 4, CatalogStep::kCovered},
                      StepCase{"UpdateBelowASnapshotTaken", {false, 2, 1}, 6, CatalogStep::kCovered},
                      StepCase{"SnapshotAhead", {true, 9, 0}, 4, CatalogStep::kHandOver},
                      StepCase{"SnapshotOnNothing", {true, 2, 0}, 0, CatalogStep::kHandOver},
                      StepCase{"SnapshotAtTheVersionHeld", {true, 4, 0}, 4, CatalogStep::kCovered},
                      StepCase{"SnapshotBehind", {true, 3, 0}, 4, CatalogStep::kCovered}),
    [](const ::testing::TestParamInfo<StepCase>& info) { return std::string(info.param.name); });

TEST(CatalogPositionTest, ReadsAnUpdatesVersionAndBase) {
  std::string envelope = testing::MakeEnvelope("samr-console", MessageId{1, 2}, {"douyin"}, MessageKind::CATALOG_UPDATE,
                                               testing::CatalogUpdatePayload(8, 7, "NC-1"));
  Result<std::optional<CatalogPosition>> p =
      CatalogPositionOf(static_cast<int>(MessageKind::CATALOG_UPDATE), envelope, envelope.size());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->has_value());
  EXPECT_FALSE((*p)->snapshot);
  EXPECT_EQ((*p)->version, 8u);
  EXPECT_EQ((*p)->base, 7u);
}

TEST(CatalogPositionTest, ReadsASnapshotsVersion) {
  capnp::MallocMessageBuilder m;
  auto s = m.initRoot<schema::CatalogSnapshot>();
  s.setVersion(12);
  s.initEntries(0);
  std::string envelope = testing::MakeEnvelope("regline-gateway", MessageId{1, 3}, {"douyin"},
                                               MessageKind::CATALOG_SNAPSHOT, protocol::Encode(m));
  Result<std::optional<CatalogPosition>> p =
      CatalogPositionOf(static_cast<int>(MessageKind::CATALOG_SNAPSHOT), envelope, envelope.size());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->has_value());
  EXPECT_TRUE((*p)->snapshot);
  EXPECT_EQ((*p)->version, 12u);
}

TEST(CatalogPositionTest, OtherKindsHaveNoPosition) {
  std::string envelope = testing::DirectiveEnvelope(MessageId{1, 4});
  Result<std::optional<CatalogPosition>> p =
      CatalogPositionOf(static_cast<int>(MessageKind::DIRECTIVE), envelope, envelope.size());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->has_value());
}

TEST(CatalogPositionTest, UnreadableOrVersionZeroIsRefusedNamingWhat) {
  Result<std::optional<CatalogPosition>> garbage =
      CatalogPositionOf(static_cast<int>(MessageKind::CATALOG_UPDATE), "not an envelope", 1024);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("catalog message envelope"), std::string::npos);

  std::string zero = testing::MakeEnvelope("samr-console", MessageId{1, 5}, {"douyin"}, MessageKind::CATALOG_UPDATE,
                                           testing::CatalogUpdatePayload(0, 0, "NC-1"));
  Result<std::optional<CatalogPosition>> p =
      CatalogPositionOf(static_cast<int>(MessageKind::CATALOG_UPDATE), zero, zero.size());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("version 0"), std::string::npos) << p.status().ToString();

  std::string bad_payload =
      testing::MakeEnvelope("samr-console", MessageId{1, 6}, {"douyin"}, MessageKind::CATALOG_UPDATE, "short");
  p = CatalogPositionOf(static_cast<int>(MessageKind::CATALOG_UPDATE), bad_payload, bad_payload.size());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("catalog update payload"), std::string::npos) << p.status().ToString();
}

TEST(CatalogPositionTest, ReasonsNameTheVersions) {
  EXPECT_EQ(CoveredReason({false, 3, 2}, 5), "catalog update v3 is covered: the platform already holds catalog v5");
  EXPECT_EQ(GapReason({false, 7, 6}, 4), "received catalog update v7 on base v6 while holding v4");
}

}  // namespace
}  // namespace regline::connector
