#include "gateway/core/status.h"

#include <gtest/gtest.h>

namespace regline {
namespace {

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, ToStringNamesCodeAndMessage) {
  EXPECT_EQ(Overloaded("queue full").ToString(), "overloaded: queue full");
  EXPECT_EQ(Status(StatusCode::kNoSpace, "disk").ToString(), "no_space: disk");
}

TEST(Status, WithContextPrefixesFailuresOnly) {
  EXPECT_EQ(IOError("read").WithContext("opening store").message(), "opening store: read");
  EXPECT_TRUE(Status::Ok().WithContext("anything").ok());
}

TEST(Status, RetryableCodes) {
  EXPECT_TRUE(IsRetryable(StatusCode::kOverloaded));
  EXPECT_TRUE(IsRetryable(StatusCode::kNoSpace));
  EXPECT_FALSE(IsRetryable(StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsRetryable(StatusCode::kPermissionDenied));
}

TEST(Result, HoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = NotFound("nothing");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace regline
