#include "gateway/server/console_api.h"

#include <gtest/gtest.h>

namespace regline::server {
namespace {

ApiRequest Call(std::string method, std::string path, std::map<std::string, std::string> params = {}) {
  return ApiRequest{std::move(method), std::move(path), std::move(params)};
}

TEST(ConsoleApiRoute, ReadsTakeGetAndALimit) {
  Result<ApiCall> messages = RouteApi(Call("GET", "/messages", {{"limit", "20"}}));
  ASSERT_TRUE(messages.ok()) << messages.status().ToString();
  EXPECT_EQ(messages->route, ApiCall::Route::kMessages);
  EXPECT_EQ(messages->limit, 20);
  Result<ApiCall> dead = RouteApi(Call("GET", "/dead-letters", {{"recipient", "douyin"}}));
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->route, ApiCall::Route::kDeadLetters);
  EXPECT_EQ(dead->recipient, "douyin");
  EXPECT_EQ(dead->limit, 100);
  EXPECT_EQ(RouteApi(Call("GET", "/overview/"))->route, ApiCall::Route::kOverview);
}

TEST(ConsoleApiRoute, ReplayTakesPostASequenceNumberAndARecipient) {
  Result<ApiCall> replay = RouteApi(Call("POST", "/dead-letters/42/douyin/replay"));
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_EQ(replay->route, ApiCall::Route::kReplay);
  EXPECT_EQ(replay->seq, 42u);
  EXPECT_EQ(replay->recipient, "douyin");
}

TEST(ConsoleApiRoute, RefusesWhatItDoesNotServe) {
  struct Case {
    ApiRequest request;
    StatusCode code;
    int http;
  };
  const Case cases[] = {
      {Call("GET", "/nothing"), StatusCode::kNotFound, 404},
      {Call("POST", "/messages"), StatusCode::kUnimplemented, 405},
      {Call("GET", "/dead-letters/42/douyin/replay"), StatusCode::kUnimplemented, 405},
      {Call("POST", "/dead-letters/x42/douyin/replay"), StatusCode::kInvalidArgument, 400},
      {Call("POST", "/dead-letters/0/douyin/replay"), StatusCode::kInvalidArgument, 400},
      {Call("GET", "/messages", {{"limit", "0"}}), StatusCode::kInvalidArgument, 400},
      {Call("GET", "/messages", {{"limit", "5000"}}), StatusCode::kInvalidArgument, 400},
      {Call("GET", "/messages", {{"limit", "12abc"}}), StatusCode::kInvalidArgument, 400},
  };
  for (const Case& c : cases) {
    Result<ApiCall> call = RouteApi(c.request);
    ASSERT_FALSE(call.ok()) << c.request.method << " " << c.request.path;
    EXPECT_EQ(call.status().code(), c.code) << c.request.path << ": " << call.status().ToString();
    EXPECT_EQ(ApiError(call.status()).status, c.http) << c.request.path;
  }
}

TEST(ConsoleApiRoute, AWrongMethodNamesTheOneThePathTakes) {
  ApiRequest post_messages = Call("POST", "/messages");
  Result<ApiCall> call = RouteApi(post_messages);
  ASSERT_FALSE(call.ok());
  ApiResponse r = RouteError(post_messages, call.status());
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET");

  ApiRequest get_replay = Call("GET", "/dead-letters/42/douyin/replay");
  ApiResponse replay = RouteError(get_replay, RouteApi(get_replay).status());
  EXPECT_EQ(replay.status, 405);
  EXPECT_EQ(replay.allow, "POST");

  ApiRequest nothing = Call("GET", "/nothing");
  ApiResponse missing = RouteError(nothing, RouteApi(nothing).status());
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.allow, "") << "only a 405 names methods";
}

TEST(ConsoleApiRoute, StoreErrorsMapAsTheConnectorsApiMapsThem) {
  EXPECT_EQ(ApiError(Status(StatusCode::kNoSpace, "disk full")).status, 503);
  EXPECT_EQ(ApiError(Status(StatusCode::kOverloaded, "queue full")).status, 503);
  EXPECT_EQ(ApiError(Status(StatusCode::kInvalidSignature, "bad")).status, 400);
  EXPECT_EQ(ApiError(Status(StatusCode::kAlreadyExists, "dup")).status, 409);
  EXPECT_EQ(ApiError(Status(StatusCode::kCorruption, "broken")).status, 500);
}

TEST(ConsoleApiRoute, ErrorsAreJsonWithTheStatusCodeName) {
  ApiResponse r = ApiError(FailedPrecondition("no dead letter"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json, R"({"error":{"code":"failed_precondition","message":"no dead letter"}})");
}

}  // namespace
}  // namespace regline::server
