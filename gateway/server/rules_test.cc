// The payload rules' delivery part: a family's default expiry from the
// policy ([families.<kind>] expiry), applied at acceptance.
#include "gateway/server/rules.h"

#include <gtest/gtest.h>

namespace regline::server {
namespace {

constexpr int64_t kNow = 1'780'000'000'000;
constexpr int64_t kDay = 24LL * 3600 * 1000;

class FamilyExpiryTest : public ::testing::Test {
 protected:
  FamilyExpiryTest() { policy_.families.push_back({schema::MessageKind::TAX_ASSISTANCE_REQUEST, 0, 30 * kDay}); }

  // A submission of `kind` with `expires_ms`, after the rules.
  Submission Apply(schema::MessageKind kind, int64_t expires_ms) {
    Submission s;
    s.kind = static_cast<int>(kind);
    s.expires_ms = expires_ms;
    Status applied = ApplyPayloadRules(s, {policy_, registry_, "", claim_, gateway_, nullptr, kNow});
    EXPECT_TRUE(applied.ok()) << applied.ToString();
    return s;
  }

  policy::Policy policy_;
  identity::Registry registry_;
  identity::SignatureClaim claim_;
  std::string gateway_ = "regline-gateway";
};

TEST_F(FamilyExpiryTest, AnEnvelopeWithoutExpiryGetsTheFamilysFromAcceptance) {
  EXPECT_EQ(Apply(schema::MessageKind::TAX_ASSISTANCE_REQUEST, 0).expires_ms, kNow + 30 * kDay);
}

TEST_F(FamilyExpiryTest, TheSendersOwnExpiryStands) {
  EXPECT_EQ(Apply(schema::MessageKind::TAX_ASSISTANCE_REQUEST, kNow + kDay).expires_ms, kNow + kDay);
}

TEST_F(FamilyExpiryTest, AFamilyWithoutExpiryNeverExpires) {
  EXPECT_EQ(Apply(schema::MessageKind::TAX_ASSISTANCE_RESPONSE, 0).expires_ms, 0);
}

}  // namespace
}  // namespace regline::server
