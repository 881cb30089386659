// SpoolSink: one whole file per message, named so that it sorts in
// delivery order and a second hand-over lands on the same name.
#include "connectors/spool_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "connectors/message_json.h"
#include "connectors/test_envelopes.h"
#include "gateway/core/test_util.h"

namespace regline::connector {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SpoolSinkTest : public ::testing::Test {
 protected:
  InboxMessage Directive(uint64_t seq, uint64_t id_lo) {
    MessageId id{0x0190a1b2c3d4e5f6, id_lo};
    return InboxMessage{seq, 1, id, static_cast<int>(schema::MessageKind::DIRECTIVE), testing::DirectiveEnvelope(id),
                        0};
  }
  std::unique_ptr<SpoolSink> Open() {
    Result<std::unique_ptr<SpoolSink>> sink = SpoolSink::Open(spool_.string());
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    return sink.ok() ? std::move(sink).value() : nullptr;
  }

  regline::testing::TempDir dir_;
  fs::path spool_ = dir_.path() / "spool" / "douyin";
};

TEST_F(SpoolSinkTest, FileNamesSortInDeliveryOrder) {
  EXPECT_EQ(SpoolSink::FileName(42, MessageId{0x0190a1b2c3d4e5f6, 7}),
            "00000000000000000042-0190a1b2c3d4e5f60000000000000007.json");
  EXPECT_LT(SpoolSink::FileName(9, MessageId{9, 9}), SpoolSink::FileName(10, MessageId{1, 1}));
}

TEST_F(SpoolSinkTest, WritesOneWholeFileWithTheMessageJsonAndAccepts) {
  auto sink = Open();
  InboxMessage m = Directive(3, 1);
  Result<SinkOutcome> outcome = sink->Deliver(m);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->verdict, SinkVerdict::kAccepted);
  const std::string name = SpoolSink::FileName(3, m.id);
  EXPECT_EQ(Names(spool_), std::vector<std::string>{name});  // no temp file left behind
  std::string text = Read(spool_ / name);
  EXPECT_EQ(text, MessageJsonText(m));
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["payload"]["action"], "suspendBroadcast");
  EXPECT_EQ(j["payload"]["issuer"]["regionCode"], "310000");
  EXPECT_EQ(j["deliverySeq"], 3);
}

TEST_F(SpoolSinkTest, HandingTheSameMessageOverAgainLeavesOneFile) {
  auto sink = Open();
  InboxMessage m = Directive(1, 1);
  ASSERT_TRUE(sink->Deliver(m).ok());
  ASSERT_TRUE(sink->Deliver(m).ok());
  ASSERT_TRUE(sink->Deliver(Directive(2, 2)).ok());
  EXPECT_EQ(Names(spool_).size(), 2u);
}

TEST_F(SpoolSinkTest, OpeningRemovesTempFilesACrashLeftButKeepsMessages) {
  fs::create_directories(spool_);
  std::ofstream(spool_ / ".00000000000000000001-x.json.tmp") << "{ half";
  std::ofstream(spool_ / "00000000000000000001-x.json") << "{}";
  auto sink = Open();
  EXPECT_EQ(Names(spool_), std::vector<std::string>{"00000000000000000001-x.json"});
}

TEST_F(SpoolSinkTest, AnUnwritableSpoolIsARetryableFailure) {
  auto sink = Open();
  fs::remove_all(spool_);
  Result<SinkOutcome> outcome = sink->Deliver(Directive(1, 1));
  EXPECT_EQ(outcome.status().code(), StatusCode::kIOError);
  EXPECT_TRUE(IsRetryable(outcome.status().code()));
}

}  // namespace
}  // namespace regline::connector
