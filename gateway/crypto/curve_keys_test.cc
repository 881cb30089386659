#include "gateway/crypto/curve_keys.h"

#include <gtest/gtest.h>
#include <zmq.h>

namespace regline::crypto {
namespace {

TEST(CryptoCurveKeysTest, GeneratedPairMatchesAndDiffersEachTime) {
  if (zmq_has("curve") == 0) GTEST_SKIP() << "libzmq without CURVE";
  Result<CurveKeyPair> a = GenerateCurveKeyPair();
  Result<CurveKeyPair> b = GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->public_z85.size(), 40u);
  EXPECT_EQ(a->secret_z85.size(), 40u);
  EXPECT_NE(a->secret_z85, b->secret_z85);
  Result<std::string> derived = CurvePublicFromSecret(a->secret_z85);
  ASSERT_TRUE(derived.ok()) << derived.status().ToString();
  EXPECT_EQ(*derived, a->public_z85);
}

TEST(CryptoCurveKeysTest, MalformedSecretIsRefused) {
  if (zmq_has("curve") == 0) GTEST_SKIP() << "libzmq without CURVE";
  for (std::string_view bad :
       {std::string_view(""), std::string_view("short"), std::string_view("0123456789012345678901234567890123456789x"),
        std::string_view("012345678901234567890123456789012345678\"")}) {
    EXPECT_EQ(CurvePublicFromSecret(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace regline::crypto
