#include "gateway/protocol/frames.h"

#include <gtest/gtest.h>

namespace regline::protocol {
namespace {

constexpr size_t kMax = 1 << 20;

std::string MakeEnvelope(const std::string& sender, schema::MessageKind kind, MessageId id,
                         std::vector<std::string> recipients = {"douyin"}) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Envelope>();
  ToWire(id, e.initId());
  e.setSender(sender);
  auto r = e.initRecipients(static_cast<unsigned>(recipients.size()));
  for (unsigned i = 0; i < recipients.size(); ++i) r.set(i, recipients[i]);
  e.setKind(kind);
  e.setCreatedMs(1000);
  e.setExpiresMs(9000);
  e.setPriority(schema::Priority::URGENT);
  e.setPayload(kj::StringPtr("payload").asBytes());
  return Encode(m);
}

TEST(Frames, HeartbeatRoundTrip) {
  Result<DecodedFrame> f = DecodedFrame::Parse(HeartbeatFrame(1234), kMax);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->get().which(), schema::Frame::HEARTBEAT);
  EXPECT_EQ(f->get().getHeartbeat().getSentMs(), 1234);
}

TEST(Frames, ErrorFrameCarriesCodeAndText) {
  Result<DecodedFrame> f = DecodedFrame::Parse(ErrorFrame(7, Overloaded("queue for 'douyin' is full")), kMax);
  ASSERT_TRUE(f.ok());
  auto e = f->get().getError();
  EXPECT_EQ(e.getRequestTag(), 7u);
  EXPECT_EQ(e.getCode(), schema::ErrorCode::OVERLOADED);
  EXPECT_EQ(std::string(e.getText().cStr()), "overloaded: queue for 'douyin' is full");
  EXPECT_GT(e.getRetryAfterMs(), 0);
}

struct BadBytes {
  const char* name;
  std::string bytes;
};

class FramesRefuse : public ::testing::TestWithParam<BadBytes> {};

TEST_P(FramesRefuse, WithInvalidArgumentNamingTheProblem) {
  Result<DecodedFrame> f = DecodedFrame::Parse(GetParam().bytes, 4096);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(f.status().message().find("malformed frame"), std::string::npos) << f.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FramesRefuse,
    ::testing::Values(BadBytes{"Empty", ""}, BadBytes{"NotWordAligned", "abc"},
                      BadBytes{"Garbage", std::string(64, '\xff')},
                      BadBytes{"Truncated", HeartbeatFrame(1).substr(0, 8)},
                      BadBytes{"Oversized", std::string(8192, '\0')}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Envelopes, BecomeSubmissionsKeepingTheBytes) {
  std::string bytes = MakeEnvelope("samr-console", schema::MessageKind::DIRECTIVE, MessageId{1, 2}, {"douyin", "kuaishou"});
  Result<Submission> s = ToSubmission(bytes, "samr-console", kMax);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, (MessageId{1, 2}));
  EXPECT_EQ(s->kind, static_cast<int>(schema::MessageKind::DIRECTIVE));
  EXPECT_EQ(s->priority, static_cast<int>(schema::Priority::URGENT));
  EXPECT_EQ(s->expires_ms, 9000);
  EXPECT_EQ(s->recipients, (std::vector<std::string>{"douyin", "kuaishou"}));
  EXPECT_EQ(s->envelope, bytes);
}

TEST(Envelopes, SenderMustBeTheSessionIdentity) {
  std::string bytes = MakeEnvelope("cac-console", schema::MessageKind::DIRECTIVE, MessageId{1, 2});
  EXPECT_EQ(ToSubmission(bytes, "samr-console", kMax).status().code(), StatusCode::kPermissionDenied);
}

TEST(Envelopes, RefuseUnspecifiedOrUnknownKindsAndZeroIds) {
  EXPECT_EQ(ToSubmission(MakeEnvelope("a", schema::MessageKind::UNSPECIFIED, MessageId{1, 1}), "a", kMax).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ToSubmission(MakeEnvelope("a", static_cast<schema::MessageKind>(200), MessageId{1, 1}), "a", kMax)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ToSubmission(MakeEnvelope("a", schema::MessageKind::DIRECTIVE, MessageId{}), "a", kMax).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ToSubmission(MakeEnvelope("a", schema::MessageKind::DIRECTIVE, MessageId{1, 1}, {}), "a", kMax)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(Envelopes, GarbageIsRefusedNotCrashed) {
  EXPECT_EQ(ToSubmission(std::string(40, '\x7f'), "a", kMax).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace regline::protocol
