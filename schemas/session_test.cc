// Tests of the session protocol schema (session.capnp, query.capnp): every
// frame a client or the gateway sends survives the wire and JSON with its
// values, the protocol constants say what session.capnp documents, and
// truncated bytes are refused rather than misread.

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "schemas/schema_samples.h"
#include "schemas/session.capnp.h"

namespace regline::schema {
namespace {

using samples::AlignedCopy;
using samples::kHourMs;
using samples::kIssuedMs;
using samples::ToBytes;

std::string Str(capnp::Text::Reader text) { return std::string(text.cStr(), text.size()); }

bool IdIs(MessageId::Reader id, uint64_t hi, uint64_t lo) {
  return id.getHi() == hi && id.getLo() == lo;
}

// ---------------------------------------------------------------------------
// Every frame other than SUBMIT (which schemas_test.cc covers per family).

struct FrameCase {
  std::string name;
  Frame::Which which;
  std::function<void(Frame::Builder)> build;
  std::function<void(Frame::Reader)> check;
};

std::vector<FrameCase> Frames() {
  return {
      {"Hello", Frame::HELLO,
       [](Frame::Builder f) {
         auto hello = f.initHello();
         hello.setProtocolVersion(CURRENT_PROTOCOL_VERSION);
         hello.setIdentity("douyin");
         hello.setRole(Role::PLATFORM);
         hello.setResumeFrom(1041);
         hello.setInitialCredit(64);
         hello.setClientName("regline-connector");
         hello.setHeartbeatIntervalMs(2000);
       },
       [](Frame::Reader f) {
         auto hello = f.getHello();
         EXPECT_EQ(hello.getProtocolVersion(), 1u);
         EXPECT_EQ(hello.getRole(), Role::PLATFORM);
         EXPECT_EQ(hello.getResumeFrom(), 1041u);
         EXPECT_EQ(hello.getInitialCredit(), 64u);
         EXPECT_EQ(hello.getHeartbeatIntervalMs(), 2000u);
       }},
      {"Ready", Frame::READY,
       [](Frame::Builder f) {
         auto ready = f.initReady();
         ready.setSessionId(7);
         ready.setProtocolVersion(1);
         ready.setHeartbeatIntervalMs(DEFAULT_HEARTBEAT_INTERVAL_MS);
         ready.setMaxFrameBytes(DEFAULT_MAX_FRAME_BYTES);
         ready.setServerTimeMs(kIssuedMs);
         ready.setResumedFrom(1041);
         ready.setPendingDeliveries(3);
       },
       [](Frame::Reader f) {
         EXPECT_EQ(f.getReady().getMaxFrameBytes(), 16u * 1024 * 1024);
         EXPECT_EQ(f.getReady().getHeartbeatIntervalMs(), 5000u);
         EXPECT_EQ(f.getReady().getResumedFrom(), 1041u);
         EXPECT_EQ(f.getReady().getPendingDeliveries(), 3u);
       }},
      {"Confirm", Frame::CONFIRM,
       [](Frame::Builder f) {
         auto confirm = f.initConfirm();
         confirm.setRequestTag(41);
         samples::SetId(confirm.initMessageId(), 0xe1, 0x5);
         confirm.setGatewaySeq(900001);
         confirm.setAcceptedMs(kIssuedMs);
         confirm.setDuplicate(true);
         auto recipients = confirm.initRecipients(2);
         recipients.set(0, "douyin");
         recipients.set(1, "kuaishou");
       },
       [](Frame::Reader f) {
         auto confirm = f.getConfirm();
         EXPECT_EQ(confirm.getRequestTag(), 41u);
         EXPECT_TRUE(IdIs(confirm.getMessageId(), 0xe1, 0x5));
         EXPECT_EQ(confirm.getGatewaySeq(), 900001u);
         EXPECT_TRUE(confirm.getDuplicate());
         EXPECT_EQ(confirm.getRecipients().size(), 2u);
       }},
      {"Deliver", Frame::DELIVER,
       [](Frame::Builder f) {
         auto deliver = f.initDeliver();
         deliver.setDeliverySeq(1042);
         deliver.setAttempt(2);
         samples::SetId(deliver.initMessageId(), 0xe1, 0x5);
         deliver.setKind(MessageKind::DIRECTIVE);
         deliver.initEnvelope(16);
       },
       [](Frame::Reader f) {
         EXPECT_EQ(f.getDeliver().getDeliverySeq(), 1042u);
         EXPECT_EQ(f.getDeliver().getAttempt(), 2u);
         EXPECT_EQ(f.getDeliver().getKind(), MessageKind::DIRECTIVE);
         EXPECT_EQ(f.getDeliver().getEnvelope().size(), 16u);
       }},
      {"AckRejected", Frame::ACK,
       [](Frame::Builder f) {
         auto ack = f.initAck();
         ack.setRequestTag(77);
         ack.setDeliverySeq(1042);
         samples::SetId(ack.initMessageId(), 0xe1, 0x5);
         ack.setStage(AckStage::REJECTED);
         ack.setReasonCode(RejectReason::SUBJECT_NOT_FOUND);
         ack.setReason("直播间 8812 已于 4 月注销");
         ack.setAtMs(kIssuedMs + kHourMs);
       },
       [](Frame::Reader f) {
         EXPECT_EQ(f.getAck().getStage(), AckStage::REJECTED);
         EXPECT_EQ(f.getAck().getReasonCode(), RejectReason::SUBJECT_NOT_FOUND);
         EXPECT_EQ(f.getAck().getDeliverySeq(), 1042u);
         EXPECT_FALSE(f.getAck().hasAcknowledgement());
       }},
      {"AckReceipt", Frame::ACK_RECEIPT,
       [](Frame::Builder f) {
         auto receipt = f.initAckReceipt();
         receipt.setRequestTag(77);
         receipt.setStage(AckStage::COMPLETED);
         receipt.setLateByMs(3 * kHourMs);
       },
       [](Frame::Reader f) {
         EXPECT_EQ(f.getAckReceipt().getStage(), AckStage::COMPLETED);
         EXPECT_EQ(f.getAckReceipt().getLateByMs(), 3 * kHourMs);
         EXPECT_FALSE(f.getAckReceipt().getDuplicate());
       }},
      {"Acks", Frame::ACKS,
       [](Frame::Builder f) {
         auto acks = f.initAcks().initAcks(2);
         for (unsigned i = 0; i < 2; ++i) {
           acks[i].setRequestTag(80 + i);
           acks[i].setDeliverySeq(1042 + i);
           samples::SetId(acks[i].initMessageId(), 0xe1, 0x5 + i);
           acks[i].setStage(i == 0 ? AckStage::RECEIVED : AckStage::ACCEPTED);
         }
       },
       [](Frame::Reader f) {
         auto acks = f.getAcks().getAcks();
         ASSERT_EQ(acks.size(), 2u);
         EXPECT_EQ(acks[1].getRequestTag(), 81u);
         EXPECT_EQ(acks[1].getDeliverySeq(), 1043u);
         EXPECT_EQ(acks[1].getStage(), AckStage::ACCEPTED);
       }},
      {"AckReceipts", Frame::ACK_RECEIPTS,
       [](Frame::Builder f) {
         auto receipts = f.initAckReceipts().initReceipts(2);
         receipts[0].setRequestTag(80);
         receipts[1].setRequestTag(81);
         receipts[1].setDuplicate(true);
       },
       [](Frame::Reader f) {
         auto receipts = f.getAckReceipts().getReceipts();
         ASSERT_EQ(receipts.size(), 2u);
         EXPECT_EQ(receipts[0].getRequestTag(), 80u);
         EXPECT_FALSE(receipts[0].getDuplicate());
         EXPECT_TRUE(receipts[1].getDuplicate());
       }},
      {"Credit", Frame::CREDIT, [](Frame::Builder f) { f.initCredit().setGrant(32); },
       [](Frame::Reader f) { EXPECT_EQ(f.getCredit().getGrant(), 32u); }},
      {"Heartbeat", Frame::HEARTBEAT, [](Frame::Builder f) { f.initHeartbeat().setSentMs(kIssuedMs); },
       [](Frame::Reader f) { EXPECT_EQ(f.getHeartbeat().getSentMs(), kIssuedMs); }},
      {"ErrorOverloaded", Frame::ERROR,
       [](Frame::Builder f) {
         auto error = f.initError();
         error.setRequestTag(41);
         error.setCode(ErrorCode::OVERLOADED);
         error.setText("queue of douyin is full (100000 messages)");
         error.setRetryAfterMs(5000);
       },
       [](Frame::Reader f) {
         EXPECT_EQ(f.getError().getCode(), ErrorCode::OVERLOADED);
         EXPECT_EQ(f.getError().getRetryAfterMs(), 5000);
         EXPECT_EQ(f.getError().getRequestTag(), 41u);
       }},
      {"QueryCatalogSnapshot", Frame::QUERY,
       [](Frame::Builder f) {
         auto query = f.initQuery();
         query.setRequestTag(5);
         auto request = query.initCatalogSnapshot();
         request.setHaveVersion(5);
         request.setReason("received v7 on base v6");
       },
       [](Frame::Reader f) {
         ASSERT_EQ(f.getQuery().which(), Query::CATALOG_SNAPSHOT);
         EXPECT_EQ(f.getQuery().getCatalogSnapshot().getHaveVersion(), 5u);
       }},
      {"QueryDeadLetters", Frame::QUERY,
       [](Frame::Builder f) {
         auto query = f.initQuery();
         query.setRequestTag(6);
         query.initDeadLetters().setLimit(50);
       },
       [](Frame::Reader f) {
         ASSERT_EQ(f.getQuery().which(), Query::DEAD_LETTERS);
         EXPECT_EQ(f.getQuery().getDeadLetters().getLimit(), 50u);
       }},
      {"QueryResultMessageStatus", Frame::QUERY_RESULT,
       [](Frame::Builder f) {
         auto result = f.initQueryResult();
         result.setRequestTag(8);
         auto status = result.initMessageStatus();
         samples::SetId(status.initMessageId(), 0xe1, 0x5);
         status.setKind(MessageKind::DIRECTIVE);
         auto line = status.initRecipients(1)[0];
         line.setRecipient("douyin");
         line.setState(DeliveryState::ACCEPTED);
         line.setAttempts(1);
         line.setAcceptedMs(kIssuedMs + kHourMs);
         line.setCompletionDeadlineMs(kIssuedMs + 24 * kHourMs);
       },
       [](Frame::Reader f) {
         ASSERT_EQ(f.getQueryResult().which(), QueryResult::MESSAGE_STATUS);
         auto lines = f.getQueryResult().getMessageStatus().getRecipients();
         ASSERT_EQ(lines.size(), 1u);
         EXPECT_EQ(lines[0].getState(), DeliveryState::ACCEPTED);
         EXPECT_EQ(lines[0].getCompletedMs(), 0);
       }},
      {"QueryResultQueueDepths", Frame::QUERY_RESULT,
       [](Frame::Builder f) {
         auto depth = f.initQueryResult().initQueueDepths(1)[0];
         depth.setRecipient("kuaishou");
         depth.setQueued(12);
         depth.setDeadLettered(1);
         depth.setOldestQueuedMs(kIssuedMs);
       },
       [](Frame::Reader f) {
         ASSERT_EQ(f.getQueryResult().which(), QueryResult::QUEUE_DEPTHS);
         EXPECT_EQ(f.getQueryResult().getQueueDepths()[0].getQueued(), 12u);
         EXPECT_FALSE(f.getQueryResult().getQueueDepths()[0].getConnected());
       }},
      {"Bye", Frame::BYE,
       [](Frame::Builder f) {
         f.initBye().setReason("shutdown");
         f.getBye().setReconnectAfterMs(10000);
       },
       [](Frame::Reader f) {
         EXPECT_EQ(Str(f.getBye().getReason()), "shutdown");
         EXPECT_EQ(f.getBye().getReconnectAfterMs(), 10000);
       }},
  };
}

void PrintTo(const FrameCase& frame, std::ostream* out) { *out << frame.name; }

class FrameTest : public testing::TestWithParam<FrameCase> {};

TEST_P(FrameTest, SurvivesTheWire) {
  capnp::MallocMessageBuilder message;
  GetParam().build(message.initRoot<Frame>());
  auto words = AlignedCopy(ToBytes(message));
  capnp::FlatArrayMessageReader reader(words);
  auto frame = reader.getRoot<Frame>();
  ASSERT_EQ(frame.which(), GetParam().which);
  GetParam().check(frame);
}

TEST_P(FrameTest, SurvivesJson) {
  capnp::MallocMessageBuilder message;
  GetParam().build(message.initRoot<Frame>());
  capnp::JsonCodec codec;
  codec.handleByAnnotation<Frame>();
  kj::String json = codec.encode(message.getRoot<Frame>().asReader());

  capnp::MallocMessageBuilder decoded;
  codec.decode(json, decoded.initRoot<Frame>());
  auto frame = decoded.getRoot<Frame>().asReader();
  ASSERT_EQ(frame.which(), GetParam().which);
  GetParam().check(frame);
}

INSTANTIATE_TEST_SUITE_P(AllFrames, FrameTest, testing::ValuesIn(Frames()),
                         [](const testing::TestParamInfo<FrameCase>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// Single behaviours.

TEST(SchemaConstants, ProtocolLimitsAndGroupNames) {
  EXPECT_EQ(CURRENT_PROTOCOL_VERSION, 1u);
  EXPECT_EQ(CURRENT_SCHEMA_VERSION, 1u);
  EXPECT_EQ(DEFAULT_MAX_FRAME_BYTES, 16u * 1024 * 1024);
  EXPECT_EQ(MAX_HELLO_BYTES, 64u * 1024);
  EXPECT_EQ(HEARTBEAT_LIVENESS, 3u);
  EXPECT_EQ(Str(ALL_PLATFORMS.get()), "all-platforms");
}

TEST(UntrustedBytes, TruncatedFrameIsRefusedNotMisread) {
  capnp::MallocMessageBuilder message;
  auto submit = message.initRoot<Frame>().initSubmit();
  submit.setRequestTag(1);
  submit.initEnvelope(1024);
  kj::Array<kj::byte> wire = ToBytes(message);
  auto truncated = AlignedCopy(wire.slice(0, wire.size() / 2));
  EXPECT_THROW(
      {
        capnp::FlatArrayMessageReader reader(truncated);
        reader.getRoot<Frame>().getSubmit().getEnvelope();
      },
      kj::Exception);
}

}  // namespace
}  // namespace regline::schema
