#include "connectors/webhook_rules.h"

#include <gtest/gtest.h>

#include <ostream>

namespace regline::connector {
namespace {

// The worked example of connectors/README.md ("The webhook sink"); the
// expected value is what `openssl dgst -sha256 -hmac` prints for it.
TEST(WebhookSignatureTest, MatchesTheDocumentedExample) {
  EXPECT_EQ(WebhookSignature("platform-secret-0123456789abcdef", 1764403200000,
                             R"({"id":"0190000000000001000000000d1000001","kind":"directive"})"),
            "v1=b123b0fb47f93b6887acdedd44ee32d8d71262a8d5b16873523debc4651e61ce");
}

TEST(WebhookSignatureTest, ChangesWithTheSecretTheTimeAndTheBody) {
  const std::string base = WebhookSignature("secret-one-0123456789", 1, "{}");
  EXPECT_NE(base, WebhookSignature("secret-two-0123456789", 1, "{}"));
  EXPECT_NE(base, WebhookSignature("secret-one-0123456789", 2, "{}"));
  EXPECT_NE(base, WebhookSignature("secret-one-0123456789", 1, "{ }"));
}

struct ResponseCase {
  const char* name;
  long status;
  const char* body;
  const char* retry_after;
  bool retry;
  SinkVerdict verdict;  // when not retried
  const char* reason;   // outcome reason, or the retry's error
  int64_t retry_after_ms;
};

void PrintTo(const ResponseCase& c, std::ostream* os) { *os << c.name; }

class WebhookResponseTest : public ::testing::TestWithParam<ResponseCase> {};

TEST_P(WebhookResponseTest, FollowsTheOutcomeRules) {
  const ResponseCase& c = GetParam();
  constexpr int64_t kNow = 1'764'403'200'000;  // Sat, 29 Nov 2025 08:00:00 GMT
  WebhookResult r = ClassifyWebhookResponse(c.status, c.body, c.retry_after, kNow);
  EXPECT_EQ(r.retry, c.retry);
  if (c.retry) {
    EXPECT_EQ(r.error, c.reason);
    EXPECT_EQ(r.retry_after_ms, c.retry_after_ms);
  } else {
    EXPECT_EQ(r.outcome.verdict, c.verdict);
    EXPECT_EQ(r.outcome.reason, c.reason);
  }
}

constexpr auto kA = SinkVerdict::kAccepted;
constexpr auto kC = SinkVerdict::kCompleted;
constexpr auto kR = SinkVerdict::kRejected;

INSTANTIATE_TEST_SUITE_P(
    Cases, WebhookResponseTest,
    ::testing::Values(
        ResponseCase{"OkEmpty", 200, "", "", false, kA, "", -1},
        ResponseCase{"NoContent", 204, "", "", false, kA, "", -1},
        ResponseCase{"OkNotJson", 200, "thanks", "", false, kA, "", -1},
        ResponseCase{"OkCompleted", 200, R"({"outcome":"completed"})", "", false, kC, "", -1},
        ResponseCase{"AcceptedRejectedInBody", 202, R"({"outcome":"rejected","reason":"no such room"})", "", false, kR,
                     "no such room", -1},
        ResponseCase{"RejectedWithoutReason", 200, R"({"outcome":"rejected"})", "", false, kR,
                     "rejected by the platform", -1},
        ResponseCase{"BadRequestJsonReason", 400, R"({"reason":"live room 8812 does not exist"})", "", false, kR,
                     "HTTP 400: live room 8812 does not exist", -1},
        ResponseCase{"NotFoundTextReason", 404, "no route\nmore detail", "", false, kR, "HTTP 404: no route", -1},
        ResponseCase{"ForbiddenEmpty", 403, "", "", false, kR, "HTTP 403", -1},
        ResponseCase{"RequestTimeout", 408, "", "", true, kA, "HTTP 408", -1},
        ResponseCase{"TooManySeconds", 429, "slow down", "7", true, kA, "HTTP 429: slow down", 7000},
        ResponseCase{"TooManyDate", 429, "", "Sat, 29 Nov 2025 08:00:30 GMT", true, kA, "HTTP 429", 30000},
        ResponseCase{"TooManyDatePast", 429, "", "Sat, 29 Nov 2025 07:00:00 GMT", true, kA, "HTTP 429", 0},
        ResponseCase{"TooManyGarbage", 429, "", "soon", true, kA, "HTTP 429", -1},
        ResponseCase{"ServerError", 500, "database down", "", true, kA, "HTTP 500: database down", -1},
        ResponseCase{"Unavailable", 503, "", "120", true, kA, "HTTP 503", 120000},
        ResponseCase{"Redirect", 301, "", "", true, kA, "HTTP 301 (redirects are not followed: check sink.url)", -1}),
    [](const ::testing::TestParamInfo<ResponseCase>& info) { return std::string(info.param.name); });

TEST(WebhookResponseTest, ALongReasonIsShortenedWithoutSplittingACharacter) {
  std::string body = R"({"reason":")" + std::string(199, 'x') + "\xe7\x9b\xb4" + R"("})";  // 直 across the cut
  WebhookResult r = ClassifyWebhookResponse(422, body, "", 0);
  EXPECT_EQ(r.outcome.reason, "HTTP 422: " + std::string(199, 'x') + "...");
}

TEST(WebhookRetryDelayTest, DoublesWithJitterAndHonoursALongerRetryAfter) {
  EXPECT_EQ(WebhookRetryDelayMs(1, 1000, 60000, -1, 0.0), 500);
  EXPECT_EQ(WebhookRetryDelayMs(1, 1000, 60000, -1, 0.999999), 999);
  EXPECT_EQ(WebhookRetryDelayMs(3, 1000, 60000, -1, 0.0), 2000);                   // 4000 halved
  EXPECT_EQ(WebhookRetryDelayMs(30, 1000, 60000, -1, 0.0), 30000);                 // capped at retry_max_ms
  EXPECT_EQ(WebhookRetryDelayMs(1, 1000, 60000, 5000, 0.0), 5000);                 // the server asked for longer
  EXPECT_EQ(WebhookRetryDelayMs(1, 1000, 60000, 100, 0.0), 500);                   // ... or shorter: back-off stands
  EXPECT_EQ(WebhookRetryDelayMs(1, 1000, 60000, 1'000'000'000, 0.0), 86'400'000);  // a day at most
}

}  // namespace
}  // namespace regline::connector
