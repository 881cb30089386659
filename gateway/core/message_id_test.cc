#include "gateway/core/message_id.h"

#include <gtest/gtest.h>

#include <set>

namespace regline {
namespace {

TEST(MessageId, HexRoundTrip) {
  MessageId id{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(id.ToHex(), "0123456789abcdeffedcba9876543210");
  Result<MessageId> back = MessageId::FromHex("0123456789ABCDEFfedcba9876543210");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, id);
}

TEST(MessageId, BytesAreBigEndianAndRoundTrip) {
  MessageId id{0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL};
  auto b = id.ToBytes();
  EXPECT_EQ(b[0], 0x01);
  EXPECT_EQ(b[15], 0x10);
  Result<MessageId> back = MessageId::FromBytes(b.data(), b.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, id);
}

TEST(MessageId, RejectsBadText) {
  EXPECT_EQ(MessageId::FromHex("abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MessageId::FromHex(std::string(31, '0') + "g").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MessageId::FromBytes("short", 5).status().code(), StatusCode::kCorruption);
}

TEST(MessageId, GeneratedIdsAreTimeOrderedAndDistinct) {
  MessageId a = MessageId::Generate(1000);
  MessageId b = MessageId::Generate(2000);
  EXPECT_LT(a, b);
  EXPECT_EQ(a.hi >> 16, 1000u);
  std::set<MessageId> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(MessageId::Generate(5000));
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace regline
