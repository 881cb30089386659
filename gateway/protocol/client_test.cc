// protocol::Client against a scripted fake gateway (ctl/testing) and
// against an endpoint where nothing listens.
#include "gateway/protocol/client.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <span>
#include <thread>

#include "ctl/testing/fake_gateway.h"
#include "gateway/core/test_util.h"

namespace regline::protocol {
namespace {

using schema::Frame;
using testing::FakeGateway;

const MessageId kId{0x0190a1b2c3d4e5f6ull, 0x1122334455667788ull};

ClientOptions Options(const std::string& endpoint, int64_t timeout_ms = 2000) {
  ClientOptions o;
  o.endpoint = endpoint;
  o.identity = "samr-console";
  o.timeout_ms = timeout_ms;
  return o;
}

std::string DeliverFrame(uint64_t seq) {
  return protocol::DeliverFrame(seq, 1, kId, static_cast<int>(schema::MessageKind::DIRECTIVE), "");
}

// Answers the first SUBMIT with an untagged ERROR{unauthenticated} (the
// gateway lost the session) and every later one with a CONFIRM.
FakeGateway::Responder LosesTheFirstSubmitsSession(std::atomic<int>& submits, bool duplicate) {
  return [&submits, duplicate](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isSubmit()) {
      if (submits++ == 0) {
        out.push_back(FakeGateway::Error(0, schema::ErrorCode::UNAUTHENTICATED, "no session"));
      } else {
        out.push_back(FakeGateway::Confirm(f.getSubmit().getRequestTag(), kId, 9, duplicate, {"douyin"}));
      }
    }
    return out;
  };
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

TEST(ClientTest, ConnectFailsUnavailableWithinTheTimeoutWhenNothingListens) {
  zmq::context_t context;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Client>> client = Client::Connect(context, Options(endpoint, 300));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client.status().message(), "gateway at " + endpoint + " did not answer HELLO within 300 ms");
  EXPECT_GE(ElapsedMs(start), 290);
  EXPECT_LT(ElapsedMs(start), 1500);  // linger 0: closing does not wait either
}

TEST(ClientTest, OpenRejectsBadOptions) {
  zmq::context_t context;
  ClientOptions no_identity = Options("tcp://127.0.0.1:1");
  no_identity.identity.clear();
  EXPECT_EQ(Client::Open(context, no_identity).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Client::Open(context, Options("nonsense://x")).status().code(), StatusCode::kInvalidArgument);
  ClientOptions half_curve = Options("tcp://127.0.0.1:1");
  half_curve.curve.server_public = std::string(40, 'a');
  EXPECT_EQ(Client::Open(context, half_curve).status().code(), StatusCode::kInvalidArgument);
}

TEST(ClientTest, ConnectSendsHelloAndReadsReady) {
  FakeGateway gateway;
  gateway.Start();
  zmq::context_t context;
  ClientOptions o = Options(gateway.endpoint());
  o.role = schema::Role::PLATFORM;
  o.resume_from = 41;
  o.initial_credit = 16;
  Result<std::unique_ptr<Client>> client = Client::Connect(context, o);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_TRUE((*client)->has_session());
  EXPECT_EQ((*client)->ready().session_id, 7u);
  EXPECT_EQ((*client)->ready().gateway_version, "fake-1");
  EXPECT_EQ((*client)->ready().heartbeat_interval_ms, 5000u);
  EXPECT_EQ((*client)->ready().pending_deliveries, 3u);

  DecodedFrame first = gateway.ReceivedFrame(0);
  auto hello = first.get().getHello();
  EXPECT_EQ(hello.getProtocolVersion(), schema::CURRENT_PROTOCOL_VERSION);
  EXPECT_EQ(std::string(hello.getIdentity().cStr()), "samr-console");
  EXPECT_EQ(hello.getRole(), schema::Role::PLATFORM);
  EXPECT_EQ(hello.getResumeFrom(), 41u);
  EXPECT_EQ(hello.getInitialCredit(), 16u);
  EXPECT_EQ(std::string(hello.getClientName().cStr()), "reglinectl");
}

TEST(ClientTest, RefusedHelloBecomesTheMatchingStatusWithTheGatewaysText) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) out.push_back(FakeGateway::Error(0, schema::ErrorCode::PERMISSION_DENIED, "role mismatch"));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  Result<std::unique_ptr<Client>> client = Client::Open(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Status hello = (*client)->Hello();
  EXPECT_EQ(hello.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(hello.message(), "role mismatch");
  ASSERT_TRUE((*client)->last_refusal().has_value());
  EXPECT_EQ((*client)->last_refusal()->code, schema::ErrorCode::PERMISSION_DENIED);
  EXPECT_FALSE((*client)->has_session());
}

TEST(ClientTest, SubmitReturnsTheConfirmCarryingItsTag) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isSubmit()) {
      out.push_back(FakeGateway::Confirm(f.getSubmit().getRequestTag(), kId, 42, false, {"douyin", "kuaishou"}));
    }
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Result<ConfirmInfo> confirm = (*client)->Submit("envelope bytes");
  ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
  EXPECT_EQ(confirm->id, kId);
  EXPECT_EQ(confirm->gateway_seq, 42u);
  EXPECT_FALSE(confirm->duplicate);
  EXPECT_EQ(confirm->recipients, (std::vector<std::string>{"douyin", "kuaishou"}));
  DecodedFrame second = gateway.ReceivedFrame(1);
  auto submit = second.get().getSubmit();
  EXPECT_EQ(submit.getRequestTag(), 1u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(submit.getEnvelope().begin()), submit.getEnvelope().size()),
            "envelope bytes");
}

TEST(ClientTest, FramesArrivingBeforeTheAnswerAreQueuedForReceiveAndStaleAnswersDropped) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isSubmit()) {
      uint64_t tag = f.getSubmit().getRequestTag();
      out = {DeliverFrame(5), FakeGateway::Confirm(tag + 100, kId, 1, false, {}), DeliverFrame(6),
             FakeGateway::Confirm(tag, kId, 2, false, {})};
    }
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Result<ConfirmInfo> confirm = (*client)->Submit("x");
  ASSERT_TRUE(confirm.ok());
  EXPECT_EQ(confirm->gateway_seq, 2u);
  for (uint64_t seq : {5u, 6u}) {
    auto next = (*client)->Receive(0);
    ASSERT_TRUE(next.ok());
    ASSERT_TRUE(next->has_value());
    EXPECT_EQ((*next)->get().getDeliver().getDeliverySeq(), seq);
  }
  auto none = (*client)->Receive(50);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(ClientTest, RefusedSubmitKeepsTheGatewaysCodeTextAndRetryHint) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isSubmit()) {
      out.push_back(FakeGateway::Error(f.getSubmit().getRequestTag(), schema::ErrorCode::OVERLOADED,
                                       "overloaded: queue douyin is full", 1500));
    }
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Result<ConfirmInfo> confirm = (*client)->Submit("x");
  EXPECT_EQ(confirm.status().code(), StatusCode::kOverloaded);
  ASSERT_TRUE((*client)->last_refusal().has_value());
  EXPECT_EQ((*client)->last_refusal()->retry_after_ms, 1500);
  EXPECT_EQ(WireErrorName((*client)->last_refusal()->code), "overloaded");
}

TEST(ClientTest, SubmitFailsUnavailableWhenTheGatewayNeverAnswers) {
  FakeGateway gateway;  // answers HELLO only
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint(), 300));
  ASSERT_TRUE(client.ok());
  auto start = std::chrono::steady_clock::now();
  Result<ConfirmInfo> confirm = (*client)->Submit("x");
  EXPECT_EQ(confirm.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(confirm.status().message().find("did not answer SUBMIT within 300 ms"), std::string::npos);
  EXPECT_LT(ElapsedMs(start), 1500);
  EXPECT_FALSE((*client)->last_refusal().has_value());
}

TEST(ClientTest, FramesLargerThanTheSessionLimitAreRefusedLocally) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) out.push_back(FakeGateway::Ready(5000, 1024));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Result<ConfirmInfo> confirm = (*client)->Submit(std::string(4096, 'x'));
  EXPECT_EQ(confirm.status().code(), StatusCode::kInvalidArgument);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(gateway.Count(Frame::SUBMIT), 0u);
}

TEST(ClientTest, UnauthenticatedAnswerLeadsToOneNewHelloAndAResend) {
  std::atomic<int> submits{0};
  FakeGateway gateway(LosesTheFirstSubmitsSession(submits, true));
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Result<ConfirmInfo> confirm = (*client)->Submit("x");
  ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
  EXPECT_TRUE(confirm->duplicate);
  EXPECT_EQ(gateway.Count(Frame::HELLO), 2u);
  EXPECT_EQ(gateway.Count(Frame::SUBMIT), 2u);
}

TEST(ClientTest, AHelloSentAgainCarriesTheResumePointOfNow) {
  std::atomic<int> submits{0};
  FakeGateway gateway(LosesTheFirstSubmitsSession(submits, false));
  gateway.Start();
  zmq::context_t context;
  std::atomic<uint64_t> held{7};
  ClientOptions o = Options(gateway.endpoint());
  o.resume_from = 1;  // ignored: resume_point is set
  o.resume_point = [&held] { return held.load(); };
  auto client = Client::Connect(context, o);
  ASSERT_TRUE(client.ok());
  held = 42;  // the caller stored more meanwhile
  ASSERT_TRUE((*client)->Submit("x").ok());
  ASSERT_EQ(gateway.Count(Frame::HELLO), 2u);
  auto first = gateway.ReceivedFrame(0);
  EXPECT_EQ(first.get().getHello().getResumeFrom(), 7u);
  auto second = gateway.ReceivedFrame(2);  // HELLO, SUBMIT, HELLO, SUBMIT
  ASSERT_EQ(second.get().which(), Frame::HELLO);
  EXPECT_EQ(second.get().getHello().getResumeFrom(), 42u);
}

TEST(ClientTest, QueryReturnsTheResultAndRejectsAMismatchedOne) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (!f.isQuery()) return out;
    capnp::MallocMessageBuilder m;
    auto result = m.initRoot<Frame>().initQueryResult();
    result.setRequestTag(f.getQuery().getRequestTag());
    // Answers every query with queue depths, right or wrong.
    auto depths = result.initQueueDepths(1);
    depths[0].setRecipient("douyin");
    depths[0].setQueued(12);
    out.push_back(Encode(m));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Result<DecodedFrame> depths = (*client)->Query([](schema::Query::Builder q) { q.initQueueDepths(); });
  ASSERT_TRUE(depths.ok()) << depths.status().ToString();
  EXPECT_EQ(depths->get().getQueryResult().getQueueDepths()[0].getQueued(), 12u);
  Result<DecodedFrame> status = (*client)->Query([](schema::Query::Builder q) { ToWire(kId, q.initMessageStatus()); });
  EXPECT_EQ(status.status().code(), StatusCode::kInternal);
}

TEST(ClientTest, AckSendsTheStageAndReturnsTheReceipt) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (!f.isAck()) return out;
    capnp::MallocMessageBuilder m;
    auto receipt = m.initRoot<Frame>().initAckReceipt();
    receipt.setRequestTag(f.getAck().getRequestTag());
    receipt.setMessageId(f.getAck().getMessageId());
    receipt.setStage(f.getAck().getStage());
    receipt.setRecordedMs(1'700'000'000'000);
    receipt.setLateByMs(60'000);
    out.push_back(Encode(m));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  AckRequest ack;
  ack.delivery_seq = 5;
  ack.message_id = kId;
  ack.stage = schema::AckStage::ACCEPTED;
  Result<AckReceiptInfo> receipt = (*client)->Ack(ack);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_EQ(receipt->message_id, kId);
  EXPECT_EQ(receipt->stage, schema::AckStage::ACCEPTED);
  EXPECT_EQ(receipt->late_by_ms, 60'000);
  EXPECT_EQ(gateway.ReceivedFrame(1).get().getAck().getDeliverySeq(), 5u);

  AckRequest no_stage = ack;
  no_stage.stage = schema::AckStage::UNSPECIFIED;
  EXPECT_EQ((*client)->Ack(no_stage).status().code(), StatusCode::kInvalidArgument);
}

std::string AckReceiptFrame(uint64_t tag, const MessageId& id, schema::AckStage stage, bool duplicate) {
  capnp::MallocMessageBuilder m;
  auto receipt = m.initRoot<Frame>().initAckReceipt();
  receipt.setRequestTag(tag);
  ToWire(id, receipt.initMessageId());
  receipt.setStage(stage);
  receipt.setRecordedMs(1'700'000'000'000);
  receipt.setDuplicate(duplicate);
  return Encode(m);
}

// Collects answers until `n` came or `wait_ms` passed, reading via Receive.
std::vector<AckAnswer> AwaitAckAnswers(Client& client, size_t n, int64_t wait_ms = 2000) {
  std::vector<AckAnswer> all;
  auto start = std::chrono::steady_clock::now();
  while (all.size() < n && ElapsedMs(start) < wait_ms) {
    auto frame = client.Receive(20);
    EXPECT_TRUE(frame.ok()) << frame.status().ToString();
    if (!frame.ok()) break;
    for (AckAnswer& a : client.TakeAckAnswers()) all.push_back(std::move(a));
  }
  return all;
}

TEST(ClientTest, SendAckPipelinesAcksAndAnswersComeBackByTagInAnyOrder) {
  // Holds the answers until the third ACK, then answers 3, 2 (refused), 1,
  // with a DELIVER in between.
  auto tags = std::make_shared<std::vector<uint64_t>>();
  FakeGateway gateway([tags](Frame::Reader f) {
    std::vector<std::string> out;
    if (!f.isAck()) return out;
    tags->push_back(f.getAck().getRequestTag());
    if (tags->size() < 3) return out;
    const MessageId id = FromWire(f.getAck().getMessageId());
    out.push_back(AckReceiptFrame((*tags)[2], id, schema::AckStage::RECEIVED, false));
    out.push_back(FakeGateway::Error((*tags)[1], schema::ErrorCode::NOT_FOUND, "no such delivery"));
    out.push_back(DeliverFrame(8));
    out.push_back(AckReceiptFrame((*tags)[0], id, schema::AckStage::RECEIVED, true));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());

  std::vector<uint64_t> sent;
  for (uint64_t seq : {1u, 2u, 3u}) {
    AckRequest ack;
    ack.delivery_seq = seq;
    ack.message_id = kId;
    ack.stage = schema::AckStage::RECEIVED;
    Result<uint64_t> tag = (*client)->SendAck(ack);
    ASSERT_TRUE(tag.ok()) << tag.status().ToString();
    sent.push_back(*tag);
  }
  EXPECT_LT(sent[0], sent[1]);
  EXPECT_LT(sent[1], sent[2]);
  EXPECT_EQ((*client)->acks_in_flight(), 3u);

  // The DELIVER still comes through Receive; the answers through
  // TakeAckAnswers, in arrival order.
  std::vector<AckAnswer> answers;
  bool delivered = false;
  auto start = std::chrono::steady_clock::now();
  while ((answers.size() < 3 || !delivered) && ElapsedMs(start) < 2000) {
    auto frame = (*client)->Receive(20);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    if (frame->has_value()) {
      EXPECT_EQ((*frame)->get().getDeliver().getDeliverySeq(), 8u);
      delivered = true;
    }
    for (AckAnswer& a : (*client)->TakeAckAnswers()) answers.push_back(std::move(a));
  }
  EXPECT_TRUE(delivered);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ((*client)->acks_in_flight(), 0u);
  EXPECT_FALSE((*client)->has_ack_answers());

  EXPECT_EQ(answers[0].request_tag, sent[2]);
  ASSERT_TRUE(answers[0].status.ok());
  EXPECT_EQ(answers[0].receipt.message_id, kId);
  EXPECT_EQ(answers[0].receipt.stage, schema::AckStage::RECEIVED);
  EXPECT_FALSE(answers[0].receipt.duplicate);
  EXPECT_FALSE(answers[0].refusal.has_value());

  EXPECT_EQ(answers[1].request_tag, sent[1]);
  EXPECT_EQ(answers[1].status.code(), StatusCode::kNotFound);
  EXPECT_EQ(answers[1].status.message(), "no such delivery");
  ASSERT_TRUE(answers[1].refusal.has_value());
  EXPECT_EQ(answers[1].refusal->code, schema::ErrorCode::NOT_FOUND);
  EXPECT_EQ(answers[1].refusal->request_tag, sent[1]);

  EXPECT_EQ(answers[2].request_tag, sent[0]);
  ASSERT_TRUE(answers[2].status.ok());
  EXPECT_TRUE(answers[2].receipt.duplicate);

  // The acks went out in order, with their delivery numbers.
  ASSERT_EQ(gateway.Count(Frame::ACK), 3u);
  for (size_t i = 0; i < 3; ++i) {
    auto frame = gateway.ReceivedFrame(1 + i);  // the reader below points into it
    auto a = frame.get().getAck();
    EXPECT_EQ(a.getRequestTag(), sent[i]);
    EXPECT_EQ(a.getDeliverySeq(), i + 1);
  }
}

TEST(ClientTest, AckAnswersReadDuringASynchronousRequestAreKept) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isSubmit()) {
      // The receipt for the pipelined ack (tag 1) comes before the CONFIRM.
      out.push_back(AckReceiptFrame(1, kId, schema::AckStage::ACCEPTED, false));
      out.push_back(FakeGateway::Confirm(f.getSubmit().getRequestTag(), kId, 3, false, {}));
    }
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  AckRequest ack;
  ack.message_id = kId;
  ack.stage = schema::AckStage::ACCEPTED;
  Result<uint64_t> tag = (*client)->SendAck(ack);
  ASSERT_TRUE(tag.ok());
  EXPECT_EQ(*tag, 1u);
  Result<ConfirmInfo> confirm = (*client)->Submit("x");
  ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
  std::vector<AckAnswer> answers = (*client)->TakeAckAnswers();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].request_tag, 1u);
  EXPECT_TRUE(answers[0].status.ok());
  EXPECT_EQ(answers[0].receipt.stage, schema::AckStage::ACCEPTED);
}

TEST(ClientTest, SendAckChecksTheAckAndANewHelloAnswersAcksInFlight) {
  FakeGateway gateway;  // answers HELLO only
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  AckRequest ack;
  ack.message_id = kId;
  EXPECT_EQ((*client)->SendAck(ack).status().code(), StatusCode::kInvalidArgument);  // no stage
  ack.stage = schema::AckStage::RECEIVED;
  Result<uint64_t> tag = (*client)->SendAck(ack);
  ASSERT_TRUE(tag.ok());
  EXPECT_TRUE(AwaitAckAnswers(**client, 1, 100).empty());
  EXPECT_EQ((*client)->acks_in_flight(), 1u);

  ASSERT_TRUE((*client)->Hello().ok());
  EXPECT_EQ((*client)->acks_in_flight(), 0u);
  std::vector<AckAnswer> answers = (*client)->TakeAckAnswers();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].request_tag, *tag);
  EXPECT_EQ(answers[0].status.code(), StatusCode::kDisconnected);

  (*client)->Close();
  EXPECT_EQ((*client)->SendAck(ack).status().code(), StatusCode::kDisconnected);
}

TEST(ClientTest, SendAcksSendsOneAcksFrameAndItsAnswersComeBackByTag) {
  // Answers the ACKS with an ERROR for its middle entry and one
  // ACK-RECEIPTS for the other two.
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) out.push_back(FakeGateway::Ready(5000, 1 << 20, 3));
    if (!f.isAcks()) return out;
    auto acks = f.getAcks().getAcks();
    out.push_back(FakeGateway::Error(acks[1].getRequestTag(), schema::ErrorCode::NOT_FOUND, "no such delivery"));
    capnp::MallocMessageBuilder m;
    auto receipts = m.initRoot<Frame>().initAckReceipts().initReceipts(2);
    for (unsigned i : {0u, 1u}) {
      auto ack = acks[i == 0 ? 0 : 2];
      receipts[i].setRequestTag(ack.getRequestTag());
      receipts[i].setMessageId(ack.getMessageId());
      receipts[i].setStage(ack.getStage());
      receipts[i].setRecordedMs(1'700'000'000'000 + i);
      receipts[i].setDuplicate(i == 1);
    }
    out.push_back(Encode(m));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->ready().max_acks_per_frame, 3u);

  std::vector<AckRequest> acks(3);
  for (size_t i = 0; i < acks.size(); ++i) {
    acks[i].delivery_seq = i + 1;
    acks[i].message_id = MessageId{0x1000, i + 1};
    acks[i].stage = i == 2 ? schema::AckStage::COMPLETED : schema::AckStage::RECEIVED;
  }
  Result<std::vector<uint64_t>> tags = (*client)->SendAcks(acks);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  ASSERT_EQ(tags->size(), 3u);
  EXPECT_LT((*tags)[0], (*tags)[1]);
  EXPECT_LT((*tags)[1], (*tags)[2]);
  EXPECT_EQ((*client)->acks_in_flight(), 3u);

  std::vector<AckAnswer> answers = AwaitAckAnswers(**client, 3);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ((*client)->acks_in_flight(), 0u);
  EXPECT_EQ(answers[0].request_tag, (*tags)[1]);
  EXPECT_EQ(answers[0].status.code(), StatusCode::kNotFound);
  ASSERT_TRUE(answers[0].refusal.has_value());
  EXPECT_EQ(answers[1].request_tag, (*tags)[0]);
  ASSERT_TRUE(answers[1].status.ok());
  EXPECT_EQ(answers[1].receipt.message_id, (MessageId{0x1000, 1}));
  EXPECT_EQ(answers[1].receipt.recorded_ms, 1'700'000'000'000);
  EXPECT_FALSE(answers[1].receipt.duplicate);
  EXPECT_EQ(answers[2].request_tag, (*tags)[2]);
  ASSERT_TRUE(answers[2].status.ok());
  EXPECT_EQ(answers[2].receipt.message_id, (MessageId{0x1000, 3}));
  EXPECT_EQ(answers[2].receipt.stage, schema::AckStage::COMPLETED);
  EXPECT_TRUE(answers[2].receipt.duplicate);

  // One frame went, with the entries in order.
  EXPECT_EQ(gateway.Count(Frame::ACK), 0u);
  ASSERT_EQ(gateway.Count(Frame::ACKS), 1u);
  auto frame = gateway.ReceivedFrame(1);
  auto sent = frame.get().getAcks().getAcks();
  ASSERT_EQ(sent.size(), 3u);
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(sent[i].getRequestTag(), (*tags)[i]);
    EXPECT_EQ(sent[i].getDeliverySeq(), i + 1);
  }
}

TEST(ClientTest, SendAcksSendsOnlyWhatTheGatewayAnnouncedAndChecksEachEntry) {
  auto server = [](uint32_t max_acks) {
    return [max_acks](Frame::Reader f) {
      std::vector<std::string> out;
      if (f.isHello()) out.push_back(FakeGateway::Ready(5000, 1 << 20, max_acks));
      if (f.isAck()) out.push_back(FakeGateway::Error(f.getAck().getRequestTag(), schema::ErrorCode::NOT_FOUND, "1"));
      if (f.isAcks()) {
        for (auto a : f.getAcks().getAcks()) {
          out.push_back(FakeGateway::Error(a.getRequestTag(), schema::ErrorCode::NOT_FOUND, "n"));
        }
      }
      return out;
    };
  };
  zmq::context_t context;
  std::vector<AckRequest> acks(3);
  for (size_t i = 0; i < acks.size(); ++i) {
    acks[i].message_id = MessageId{0x1000, i + 1};
    acks[i].stage = schema::AckStage::RECEIVED;
  }
  {
    FakeGateway old_gateway(server(0));  // takes one ACK per frame
    old_gateway.Start();
    auto client = Client::Connect(context, Options(old_gateway.endpoint()));
    ASSERT_TRUE(client.ok());
    Result<std::vector<uint64_t>> two = (*client)->SendAcks(std::span<const AckRequest>(acks).first(2));
    EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ((*client)->acks_in_flight(), 0u);
    Result<std::vector<uint64_t>> one = (*client)->SendAcks(std::span<const AckRequest>(acks).first(1));
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ((*client)->acks_in_flight(), 1u);
    std::vector<AckAnswer> answers = AwaitAckAnswers(**client, 1);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0].status.message(), "1");  // answered as a lone ACK
    EXPECT_EQ(old_gateway.Count(Frame::ACK), 1u);
    EXPECT_EQ(old_gateway.Count(Frame::ACKS), 0u);
  }
  FakeGateway gateway(server(2));
  gateway.Start();
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  Result<std::vector<uint64_t>> three = (*client)->SendAcks(acks);
  EXPECT_EQ(three.status().code(), StatusCode::kInvalidArgument);
  AckRequest no_stage = acks[1];
  no_stage.stage = schema::AckStage::UNSPECIFIED;
  std::vector<AckRequest> bad = {acks[0], no_stage};
  Result<std::vector<uint64_t>> refused = (*client)->SendAcks(bad);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("entry 1"), std::string::npos) << refused.status().ToString();
  EXPECT_EQ((*client)->acks_in_flight(), 0u);
  Result<std::vector<uint64_t>> two = (*client)->SendAcks(std::span<const AckRequest>(acks).first(2));
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  std::vector<AckAnswer> answers = AwaitAckAnswers(**client, 2);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].request_tag, (*two)[0]);
  EXPECT_EQ(answers[1].request_tag, (*two)[1]);
  EXPECT_EQ(answers[1].status.message(), "n");  // answered as entries of an ACKS
  EXPECT_EQ(gateway.Count(Frame::ACKS), 1u);
  EXPECT_EQ(gateway.Count(Frame::ACK), 0u);
}

TEST(ClientTest, RequestTagsAreUniqueAndIncreasing) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isSubmit()) out.push_back(FakeGateway::Confirm(f.getSubmit().getRequestTag(), kId, 1, false, {}));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*client)->Submit("x").ok());
  EXPECT_EQ(gateway.ReceivedFrame(1).get().getSubmit().getRequestTag(), 1u);
  EXPECT_EQ(gateway.ReceivedFrame(2).get().getSubmit().getRequestTag(), 2u);
  EXPECT_EQ(gateway.ReceivedFrame(3).get().getSubmit().getRequestTag(), 3u);
}

TEST(ClientTest, ReceiveSendsHeartbeatsWhenIdle) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) out.push_back(FakeGateway::Ready(40));
    if (f.isHeartbeat()) out.push_back(HeartbeatFrame(1));  // keeps the session alive
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  auto none = (*client)->Receive(300);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());  // heartbeats are consumed, not returned
  EXPECT_GE(gateway.Count(Frame::HEARTBEAT), 3u);
  EXPECT_TRUE((*client)->has_session());
}

TEST(ClientTest, AWriteToTheWakeDescriptorCutsAReceiveWaitShort) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) out.push_back(FakeGateway::Ready(5000));
    return out;
  });
  gateway.Start();
  zmq::context_t context;
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(wake, 0);
  ClientOptions o = Options(gateway.endpoint());
  o.wake_fd = wake;
  auto client = Client::Connect(context, o);
  ASSERT_TRUE(client.ok());
  std::thread waker([wake] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const uint64_t one = 1;
    EXPECT_EQ(::write(wake, &one, sizeof one), 8);
  });
  auto start = std::chrono::steady_clock::now();
  auto none = (*client)->Receive(30'000);  // without the wake-up: 30 s
  const int64_t waited = ElapsedMs(start);
  waker.join();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  EXPECT_LT(waited, 15'000);
  // Drained: the next wait is not cut short by the same wake-up.
  uint64_t left = 0;
  EXPECT_EQ(::read(wake, &left, sizeof left), -1);
  EXPECT_EQ(errno, EAGAIN);
  ::close(wake);
}

TEST(ClientTest, ReceiveReportsASilentGatewayAsDisconnected) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) out.push_back(FakeGateway::Ready(30));
    return out;  // never answers heartbeats
  });
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  auto start = std::chrono::steady_clock::now();
  auto next = (*client)->Receive(2000);
  EXPECT_EQ(next.status().code(), StatusCode::kDisconnected);
  EXPECT_LT(ElapsedMs(start), 1000);
  EXPECT_FALSE((*client)->has_session());
}

TEST(ClientTest, ByeFromTheGatewayIsReceivedAndEndsTheSession) {
  FakeGateway gateway;
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  gateway.Push(ByeFrame("replaced"));
  auto bye = (*client)->Receive(2000);
  ASSERT_TRUE(bye.ok());
  ASSERT_TRUE(bye->has_value());
  EXPECT_EQ(std::string((*bye)->get().getBye().getReason().cStr()), "replaced");
  EXPECT_FALSE((*client)->has_session());
  EXPECT_EQ((*client)->Submit("x").status().code(), StatusCode::kDisconnected);
}

TEST(ClientTest, CloseSaysBye) {
  FakeGateway gateway;
  gateway.Start();
  zmq::context_t context;
  auto client = Client::Connect(context, Options(gateway.endpoint()));
  ASSERT_TRUE(client.ok());
  (*client)->Close("done");
  for (int i = 0; i < 100 && gateway.Count(Frame::BYE) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(gateway.Count(Frame::BYE), 1u);
  EXPECT_EQ((*client)->Submit("x").status().code(), StatusCode::kDisconnected);
}

}  // namespace
}  // namespace regline::protocol
