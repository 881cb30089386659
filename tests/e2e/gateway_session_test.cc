// The real regline-gateway on 127.0.0.1, driven frame by frame over ZeroMQ:
// the session protocol of schemas/session.capnp, durability across SIGKILL,
// bad input that must not stop the gateway serving others, and the
// legal-retention pass on its timer.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "gateway/core/test_util.h"
#include "schemas/schema_samples.h"
#include "tests/e2e/full_disk.h"
#include "tests/e2e/gateway_process.h"

namespace regline {
namespace {

using protocol::Encode;
using schema::Frame;

std::string Hello(const std::string& identity, schema::Role role, uint32_t credit = 0, uint64_t resume = 0,
                  uint16_t version = schema::CURRENT_PROTOCOL_VERSION) {
  capnp::MallocMessageBuilder m;
  auto h = m.initRoot<Frame>().initHello();
  h.setProtocolVersion(version);
  h.setIdentity(identity);
  h.setRole(role);
  h.setInitialCredit(credit);
  h.setResumeFrom(resume);
  return Encode(m);
}

// The sample directive (issued by SAMR), its rationale replaced when given.
std::string DirectivePayload(const std::string& rationale = "") {
  capnp::MallocMessageBuilder m;
  auto d = m.initRoot<schema::Directive>();
  schema::samples::BuildSuspendBroadcastDirectiveNow(d);
  if (!rationale.empty()) d.setRationale(rationale);
  return Encode(m);
}

std::string Envelope(const std::string& sender, MessageId id, std::vector<std::string> recipients,
                     const std::string& payload = DirectivePayload()) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Envelope>();
  protocol::ToWire(id, e.initId());
  e.setSender(sender);
  auto r = e.initRecipients(static_cast<unsigned>(recipients.size()));
  for (unsigned i = 0; i < recipients.size(); ++i) r.set(i, recipients[i]);
  e.setKind(schema::MessageKind::DIRECTIVE);
  e.setCreatedMs(1);
  e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
  return Encode(m);
}

std::string Submit(uint64_t tag, const std::string& envelope) {
  capnp::MallocMessageBuilder m;
  auto s = m.initRoot<Frame>().initSubmit();
  s.setRequestTag(tag);
  s.setEnvelope(kj::arrayPtr(reinterpret_cast<const kj::byte*>(envelope.data()), envelope.size()));
  return Encode(m);
}

std::string Ack(uint64_t tag, uint64_t delivery_seq, MessageId id, schema::AckStage stage) {
  capnp::MallocMessageBuilder m;
  auto a = m.initRoot<Frame>().initAck();
  a.setRequestTag(tag);
  a.setDeliverySeq(delivery_seq);
  protocol::ToWire(id, a.initMessageId());
  a.setStage(stage);
  return Encode(m);
}

std::string Credit(uint32_t n) {
  capnp::MallocMessageBuilder m;
  m.initRoot<Frame>().initCredit().setGrant(n);
  return Encode(m);
}

std::string StatusQuery(uint64_t tag, MessageId id) {
  capnp::MallocMessageBuilder m;
  auto q = m.initRoot<Frame>().initQuery();
  q.setRequestTag(tag);
  protocol::ToWire(id, q.initMessageStatus());
  return Encode(m);
}

class GatewaySessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_ = std::make_unique<testing::GatewayProcess>(REGLINE_GATEWAY_BINARY, dir_.path());
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  }

  // A peer with a session (READY received).
  std::unique_ptr<testing::RawPeer> Connect(const std::string& identity, schema::Role role, uint32_t credit = 0,
                                            uint64_t resume = 0) {
    auto peer = std::make_unique<testing::RawPeer>(ctx_, gateway_->endpoint());
    peer->SendBytes(Hello(identity, role, credit, resume));
    auto f = peer->Next();
    EXPECT_TRUE(f && f->get().which() == Frame::READY) << identity << " got no READY; log:\n" << gateway_->Log();
    return peer;
  }

  // Submits and returns the CONFIRM (or ERROR) frame.
  std::optional<protocol::DecodedFrame> SubmitAndWait(testing::RawPeer& peer, uint64_t tag,
                                                      const std::string& envelope) {
    peer.SendBytes(Submit(tag, envelope));
    return peer.Next();
  }

  static void ExpectError(const std::optional<protocol::DecodedFrame>& f, schema::ErrorCode code) {
    ASSERT_TRUE(f.has_value()) << "no answer";
    ASSERT_EQ(f->get().which(), Frame::ERROR);
    EXPECT_EQ(f->get().getError().getCode(), code) << f->get().getError().getText().cStr();
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
};

TEST_F(GatewaySessionTest, SubmitIsConfirmedAndResubmitIsADuplicate) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  std::string env = Envelope("samr-console", MessageId{7, 1}, {"douyin"});
  auto first = SubmitAndWait(*samr, 11, env);
  ASSERT_TRUE(first && first->get().which() == Frame::CONFIRM);
  EXPECT_EQ(first->get().getConfirm().getRequestTag(), 11u);
  EXPECT_FALSE(first->get().getConfirm().getDuplicate());
  auto again = SubmitAndWait(*samr, 12, env);
  ASSERT_TRUE(again && again->get().which() == Frame::CONFIRM);
  EXPECT_TRUE(again->get().getConfirm().getDuplicate());
  EXPECT_EQ(again->get().getConfirm().getGatewaySeq(), first->get().getConfirm().getGatewaySeq());
}

TEST_F(GatewaySessionTest, PlatformReceivesAcknowledgesAndConsoleSeesTheStages) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  MessageId id{7, 2};
  ASSERT_EQ(SubmitAndWait(*samr, 1, Envelope("samr-console", id, {"douyin", "kuaishou"}))->get().which(),
            Frame::CONFIRM);
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 10);
  auto d = douyin->Next();
  ASSERT_TRUE(d && d->get().which() == Frame::DELIVER);
  EXPECT_EQ(d->get().getDeliver().getDeliverySeq(), 1u);
  EXPECT_EQ(protocol::FromWire(d->get().getDeliver().getMessageId()), id);
  for (auto stage : {schema::AckStage::RECEIVED, schema::AckStage::ACCEPTED, schema::AckStage::COMPLETED}) {
    douyin->SendBytes(Ack(5, 1, id, stage));
    auto receipt = douyin->Next();
    ASSERT_TRUE(receipt && receipt->get().which() == Frame::ACK_RECEIPT);
    EXPECT_EQ(receipt->get().getAckReceipt().getStage(), stage);
  }
  samr->SendBytes(StatusQuery(9, id));
  auto status = samr->Next();
  ASSERT_TRUE(status && status->get().which() == Frame::QUERY_RESULT);
  auto recipients = status->get().getQueryResult().getMessageStatus().getRecipients();
  ASSERT_EQ(recipients.size(), 2u);
  EXPECT_EQ(std::string(recipients[0].getRecipient().cStr()), "douyin");
  EXPECT_EQ(recipients[0].getState(), schema::DeliveryState::COMPLETED);
  EXPECT_GT(recipients[0].getCompletedMs(), 0);
  EXPECT_EQ(std::string(recipients[1].getRecipient().cStr()), "kuaishou");
  EXPECT_EQ(recipients[1].getState(), schema::DeliveryState::QUEUED);
}

// C:ACKS: each entry checked and recorded as if alone, the recorded ones
// answered by one ACK-RECEIPTS in the entries' order, the refused ones by
// an ERROR each; too many entries are refused, every one.
TEST_F(GatewaySessionTest, AcksFrameIsAnsweredByOneReceiptsFrameAndAnErrorPerRefusedEntry) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  const MessageId first{7, 31}, second{7, 32};
  for (const MessageId& id : {first, second}) {
    ASSERT_EQ(SubmitAndWait(*samr, id.lo, Envelope("samr-console", id, {"douyin"}))->get().which(), Frame::CONFIRM);
  }
  auto douyin = std::make_unique<testing::RawPeer>(ctx_, gateway_->endpoint());
  douyin->SendBytes(Hello("douyin", schema::Role::PLATFORM, 10));
  auto ready = douyin->Next();
  ASSERT_TRUE(ready && ready->get().which() == Frame::READY);
  const uint32_t max_acks = ready->get().getReady().getMaxAcksPerFrame();
  EXPECT_EQ(max_acks, 1024u);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(douyin->Next()->get().which(), Frame::DELIVER);

  struct Entry {
    uint64_t tag, number;
    MessageId id;
    schema::AckStage stage;
  };
  auto acks = [](const std::vector<Entry>& entries) {
    capnp::MallocMessageBuilder m;
    auto list = m.initRoot<Frame>().initAcks().initAcks(static_cast<unsigned>(entries.size()));
    for (unsigned i = 0; i < entries.size(); ++i) {
      list[i].setRequestTag(entries[i].tag);
      list[i].setDeliverySeq(entries[i].number);
      protocol::ToWire(entries[i].id, list[i].initMessageId());
      list[i].setStage(entries[i].stage);
    }
    return Encode(m);
  };
  douyin->SendBytes(acks({{21, 1, first, schema::AckStage::RECEIVED},
                          {22, 9, first, schema::AckStage::RECEIVED},  // no delivery #9
                          {23, 2, second, schema::AckStage::ACCEPTED},
                          {24, 1, first, schema::AckStage::COMPLETED},  // the same delivery, a later stage
                          {25, 2, second, schema::AckStage::UNSPECIFIED}}));
  std::map<uint64_t, schema::ErrorCode> errors;
  std::vector<uint64_t> receipt_tags;
  std::vector<schema::AckStage> receipt_stages;
  int receipt_frames = 0;
  while (errors.size() + receipt_tags.size() < 5) {
    auto f = douyin->Next();
    ASSERT_TRUE(f.has_value()) << "answers missing; log:\n" << gateway_->Log();
    if (f->get().which() == Frame::ERROR) {
      errors[f->get().getError().getRequestTag()] = f->get().getError().getCode();
      continue;
    }
    ASSERT_EQ(f->get().which(), Frame::ACK_RECEIPTS);
    ++receipt_frames;
    for (auto r : f->get().getAckReceipts().getReceipts()) {
      receipt_tags.push_back(r.getRequestTag());
      receipt_stages.push_back(r.getStage());
    }
  }
  EXPECT_EQ(receipt_frames, 1);
  EXPECT_EQ(receipt_tags, (std::vector<uint64_t>{21, 23, 24}));
  EXPECT_EQ(receipt_stages, (std::vector<schema::AckStage>{schema::AckStage::RECEIVED, schema::AckStage::ACCEPTED,
                                                           schema::AckStage::COMPLETED}));
  EXPECT_EQ(errors, (std::map<uint64_t, schema::ErrorCode>{{22, schema::ErrorCode::NOT_FOUND},
                                                           {25, schema::ErrorCode::INVALID_ARGUMENT}}));
  auto state_of = [&](const MessageId& id) {
    samr->SendBytes(StatusQuery(40, id));
    auto status = samr->Next();
    EXPECT_TRUE(status && status->get().which() == Frame::QUERY_RESULT);
    return status->get().getQueryResult().getMessageStatus().getRecipients()[0].getState();
  };
  EXPECT_EQ(state_of(first), schema::DeliveryState::COMPLETED);
  EXPECT_EQ(state_of(second), schema::DeliveryState::ACCEPTED);

  // One entry too many: every entry refused, nothing recorded.
  std::vector<Entry> too_many(max_acks + 1, Entry{0, 2, second, schema::AckStage::COMPLETED});
  for (size_t i = 0; i < too_many.size(); ++i) too_many[i].tag = 100 + i;
  douyin->SendBytes(acks(too_many));
  std::set<uint64_t> refused;
  for (size_t i = 0; i < too_many.size(); ++i) {
    auto f = douyin->Next();
    ASSERT_TRUE(f && f->get().which() == Frame::ERROR);
    EXPECT_EQ(f->get().getError().getCode(), schema::ErrorCode::PROTOCOL_VIOLATION);
    refused.insert(f->get().getError().getRequestTag());
  }
  EXPECT_EQ(refused.size(), too_many.size());
  EXPECT_EQ(*refused.begin(), 100u);
  EXPECT_EQ(state_of(second), schema::DeliveryState::ACCEPTED);
}

TEST_F(GatewaySessionTest, OfflinePlatformGetsEverythingInOrderWithinCredit) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_EQ(SubmitAndWait(*samr, i, Envelope("samr-console", MessageId{8, i}, {"all-platforms"}))->get().which(),
              Frame::CONFIRM);
  }
  auto kuaishou = Connect("kuaishou", schema::Role::PLATFORM, 2);
  std::vector<uint64_t> got;
  for (int i = 0; i < 2; ++i) {
    auto d = kuaishou->Next();
    ASSERT_TRUE(d && d->get().which() == Frame::DELIVER);
    got.push_back(protocol::FromWire(d->get().getDeliver().getMessageId()).lo);
  }
  EXPECT_FALSE(kuaishou->Next(500).has_value()) << "delivered beyond the credit granted";
  kuaishou->SendBytes(Credit(10));
  for (int i = 0; i < 3; ++i) {
    auto d = kuaishou->Next();
    ASSERT_TRUE(d && d->get().which() == Frame::DELIVER);
    got.push_back(protocol::FromWire(d->get().getDeliver().getMessageId()).lo);
  }
  EXPECT_EQ(got, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

// A lease stops at [delivery] max_delivery_bytes_per_pass (here one
// envelope per lease): a backlog still arrives whole and in order. (That
// the next lease follows at once rather than on the 250 ms timer is not
// shown here: either way everything arrives.)
TEST_F(GatewaySessionTest, LeasesBoundedByBytesStillDeliverTheWholeBacklogInOrder) {
  gateway_ = std::make_unique<testing::GatewayProcess>(REGLINE_GATEWAY_BINARY, dir_.path() / "bounded", "",
                                                       "max_delivery_bytes_per_pass = 1\n");
  ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  constexpr uint64_t kMessages = 12;
  for (uint64_t i = 1; i <= kMessages; ++i) {
    ASSERT_EQ(SubmitAndWait(*samr, i, Envelope("samr-console", MessageId{9, i}, {"douyin"}))->get().which(),
              Frame::CONFIRM);
  }
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 100);
  std::vector<uint64_t> got, numbers;
  for (uint64_t i = 1; i <= kMessages; ++i) {
    auto d = douyin->Next();
    ASSERT_TRUE(d && d->get().which() == Frame::DELIVER) << "delivery " << i << "; log:\n" << gateway_->Log();
    got.push_back(protocol::FromWire(d->get().getDeliver().getMessageId()).lo);
    numbers.push_back(d->get().getDeliver().getDeliverySeq());
  }
  std::vector<uint64_t> expected(kMessages);
  for (uint64_t i = 0; i < kMessages; ++i) expected[i] = i + 1;
  EXPECT_EQ(got, expected);
  EXPECT_EQ(numbers, expected);
}

// An online platform: deliveries leave with the submission's commit, but
// never beyond the credit granted, in order, with dense numbers.
TEST_F(GatewaySessionTest, OnlinePlatformGetsPipelinedSubmissionsWithinCreditInOrder) {
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 3);
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  for (uint64_t i = 1; i <= 10; ++i) samr->SendBytes(Submit(i, Envelope("samr-console", MessageId{11, i}, {"douyin"})));
  int confirmed = 0;
  while (confirmed < 10) {
    auto f = samr->Next();
    ASSERT_TRUE(f && f->get().which() == Frame::CONFIRM) << gateway_->Log();
    ++confirmed;
  }
  std::vector<uint64_t> ids, numbers;
  auto take = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto d = douyin->Next();
      ASSERT_TRUE(d && d->get().which() == Frame::DELIVER) << "delivery " << ids.size() + 1 << " missing";
      ids.push_back(protocol::FromWire(d->get().getDeliver().getMessageId()).lo);
      numbers.push_back(d->get().getDeliver().getDeliverySeq());
    }
  };
  take(3);
  EXPECT_FALSE(douyin->Next(500).has_value()) << "delivered beyond the credit granted";
  douyin->SendBytes(Credit(4));
  take(4);
  EXPECT_FALSE(douyin->Next(500).has_value()) << "delivered beyond the credit granted";
  douyin->SendBytes(Credit(100));
  take(3);
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(numbers, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  // Submitted while credit is free: leased with the submission, still one DELIVER each.
  ASSERT_EQ(SubmitAndWait(*samr, 11, Envelope("samr-console", MessageId{11, 11}, {"douyin"}))->get().which(),
            Frame::CONFIRM);
  take(1);
  EXPECT_EQ(ids.back(), 11u);
  EXPECT_EQ(numbers.back(), 11u);
  EXPECT_FALSE(douyin->Next(300).has_value()) << "a message was delivered twice";
}

TEST_F(GatewaySessionTest, ConfirmedMessagesSurviveSigkillAndAreResent) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_EQ(SubmitAndWait(*samr, i, Envelope("samr-console", MessageId{9, i}, {"douyin"}))->get().which(),
              Frame::CONFIRM);
  }
  {
    auto douyin = Connect("douyin", schema::Role::PLATFORM, 5);  // 5 in flight, never acknowledged
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(douyin->Next().has_value());
  }
  EXPECT_TRUE(WIFSIGNALED(gateway_->Kill(SIGKILL)));
  ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 100);
  std::vector<uint64_t> got;
  for (int i = 0; i < 20; ++i) {
    auto d = douyin->Next();
    ASSERT_TRUE(d && d->get().which() == Frame::DELIVER) << "after " << got.size();
    got.push_back(protocol::FromWire(d->get().getDeliver().getMessageId()).lo);
    if (got.size() <= 5) {
      EXPECT_EQ(d->get().getDeliver().getAttempt(), 2u);
    }
  }
  for (uint64_t i = 1; i <= 20; ++i) EXPECT_EQ(got[i - 1], i);
}

TEST_F(GatewaySessionTest, ResumePointRecordsReceiptAndResendsTheRest) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  for (uint64_t i = 1; i <= 4; ++i) SubmitAndWait(*samr, i, Envelope("samr-console", MessageId{10, i}, {"douyin"}));
  {
    auto douyin = Connect("douyin", schema::Role::PLATFORM, 4);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(douyin->Next().has_value());
  }
  auto douyin = Connect("douyin", schema::Role::PLATFORM, 10, /*resume=*/2);
  auto d = douyin->Next();
  ASSERT_TRUE(d && d->get().which() == Frame::DELIVER);
  EXPECT_EQ(d->get().getDeliver().getDeliverySeq(), 3u);
  samr->SendBytes(StatusQuery(1, MessageId{10, 1}));
  auto status = samr->Next();
  ASSERT_TRUE(status && status->get().which() == Frame::QUERY_RESULT);
  EXPECT_EQ(status->get().getQueryResult().getMessageStatus().getRecipients()[0].getState(),
            schema::DeliveryState::DELIVERED);
}

TEST_F(GatewaySessionTest, BadInputGetsAnErrorAndOthersAreStillServed) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  testing::RawPeer garbage(ctx_, gateway_->endpoint());
  garbage.SendBytes(std::string(48, '\xee'));
  ExpectError(garbage.Next(), schema::ErrorCode::MALFORMED_FRAME);
  garbage.SendBytes("abc");
  ExpectError(garbage.Next(), schema::ErrorCode::MALFORMED_FRAME);
  garbage.SendBytes(Hello("samr-console", schema::Role::REGULATOR).substr(0, 16));  // truncated
  ExpectError(garbage.Next(), schema::ErrorCode::MALFORMED_FRAME);
  garbage.SendBytes(Hello("douyin", schema::Role::PLATFORM, 0, 0, /*version=*/99));
  ExpectError(garbage.Next(), schema::ErrorCode::UNSUPPORTED_VERSION);
  garbage.SendBytes(Hello("nobody", schema::Role::PLATFORM));
  ExpectError(garbage.Next(), schema::ErrorCode::UNAUTHENTICATED);
  garbage.SendBytes(Submit(1, Envelope("douyin", MessageId{1, 1}, {"samr-console"})));
  ExpectError(garbage.Next(), schema::ErrorCode::UNAUTHENTICATED);  // no session yet
  // Two parts in one message.
  garbage.socket().send(zmq::buffer(std::string("x")), zmq::send_flags::sndmore);
  garbage.socket().send(zmq::buffer(std::string("y")), zmq::send_flags::none);
  ExpectError(garbage.Next(), schema::ErrorCode::MALFORMED_FRAME);

  ExpectError(SubmitAndWait(*samr, 2, Envelope("samr-console", MessageId{11, 1}, {"no-such-platform"})),
              schema::ErrorCode::INVALID_ARGUMENT);
  ExpectError(SubmitAndWait(*samr, 3, Envelope("cac-console", MessageId{11, 2}, {"douyin"})),
              schema::ErrorCode::PERMISSION_DENIED);
  ExpectError(SubmitAndWait(*samr, 4, "not an envelope at all!!"), schema::ErrorCode::INVALID_ARGUMENT);
  auto ok = SubmitAndWait(*samr, 5, Envelope("samr-console", MessageId{11, 3}, {"douyin"}));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->get().which(), Frame::CONFIRM);
}

TEST_F(GatewaySessionTest, SigtermDrainsAndExitsCleanly) {
  auto samr = Connect("samr-console", schema::Role::REGULATOR);
  ASSERT_EQ(SubmitAndWait(*samr, 1, Envelope("samr-console", MessageId{12, 1}, {"douyin"}))->get().which(),
            Frame::CONFIRM);
  int status = gateway_->Kill(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << gateway_->Log();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto bye = samr->Next(2000);
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(bye->get().which(), Frame::BYE);
  EXPECT_NE(gateway_->Log().find("event=gateway_stopped"), std::string::npos);
}

// The data directory on a small tmpfs that fills up: submissions are
// refused with a clear error, the gateway stays up and delivers what it
// holds, accepts again once space is freed, and loses nothing confirmed.
TEST(GatewayDiskFull, RefusesSubmissionsKeepsDeliveringAndRecovers) {
  testing::TempDir dir;
  testing::TmpfsMount tmpfs(dir.path() / "data", "6m");  // before the gateway: unmounted after it stops
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();

  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path());
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  zmq::context_t ctx;
  testing::RawPeer samr(ctx, gateway.endpoint());
  samr.SendBytes(Hello("samr-console", schema::Role::REGULATOR));
  ASSERT_EQ(samr.Next()->get().which(), Frame::READY);

  const std::string payload = DirectivePayload(std::string(32 * 1024, 'p'));
  std::vector<uint64_t> confirmed;
  std::string refusal;
  for (uint64_t i = 1; i <= 2000 && refusal.empty(); ++i) {
    samr.SendBytes(Submit(i, Envelope("samr-console", MessageId{20, i}, {"douyin"}, payload)));
    auto answer = samr.Next();
    ASSERT_TRUE(answer.has_value()) << "gateway stopped answering; log:\n" << gateway.Log();
    if (answer->get().which() == Frame::CONFIRM) {
      confirmed.push_back(i);
    } else {
      ASSERT_EQ(answer->get().which(), Frame::ERROR);
      refusal = answer->get().getError().getText().cStr();
    }
  }
  ASSERT_FALSE(refusal.empty()) << "the 6 MiB disk never filled";
  EXPECT_NE(refusal.find("no_space"), std::string::npos) << refusal;
  ASSERT_GT(confirmed.size(), 10u);

  // Still up, and what it holds is delivered.
  testing::RawPeer douyin(ctx, gateway.endpoint());
  douyin.SendBytes(Hello("douyin", schema::Role::PLATFORM, 100000));
  ASSERT_EQ(douyin.Next()->get().which(), Frame::READY);
  std::vector<uint64_t> delivered;
  while (delivered.size() < confirmed.size()) {
    auto d = douyin.Next();
    ASSERT_TRUE(d.has_value()) << "delivered " << delivered.size() << " of " << confirmed.size() << "; log:\n"
                               << gateway.Log();
    ASSERT_EQ(d->get().which(), Frame::DELIVER);
    delivered.push_back(protocol::FromWire(d->get().getDeliver().getMessageId()).lo);
  }
  EXPECT_EQ(delivered, confirmed);

  // Space returns: submissions are accepted again.
  ASSERT_TRUE(tmpfs.Resize("64m")) << tmpfs.error();
  bool accepted = false;
  for (int attempt = 0; attempt < 100 && !accepted; ++attempt) {
    samr.SendBytes(Submit(9000 + attempt, Envelope("samr-console", MessageId{21, 1}, {"douyin"}, payload)));
    auto answer = samr.Next();
    ASSERT_TRUE(answer.has_value());
    accepted = answer->get().which() == Frame::CONFIRM;
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(accepted) << gateway.Log();
  EXPECT_NE(gateway.Log().find("event=disk_full"), std::string::npos);
  EXPECT_NE(gateway.Log().find("event=disk_space_recovered"), std::string::npos);
  int status = gateway.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << gateway.Log();
}

// A disk that stops syncing: an LD_PRELOADed fdatasync fails with EIO on
// the store's log while a trigger file exists. Nothing is confirmed from
// the failure on, not even once syncs work again (the batch that failed is
// in the log, and whatever follows it there would stand on it); the
// gateway stays up and says why. After a restart everything it had
// confirmed is there, and what it refused can be sent again.
TEST(GatewaySyncFailure, NothingIsConfirmedAfterAFailedSyncUntilARestart) {
  testing::TempDir dir;
  const std::filesystem::path trigger = dir.path() / "fail-sync";
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path());
  gateway.SetEnv(testing::FailSyncEnv(REGLINE_FAIL_SYNC_SHIM, trigger));
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  zmq::context_t ctx;
  auto connect = [&] {
    auto peer = std::make_unique<testing::RawPeer>(ctx, gateway.endpoint());
    peer->SendBytes(Hello("samr-console", schema::Role::REGULATOR));
    auto ready = peer->Next();
    EXPECT_TRUE(ready && ready->get().which() == Frame::READY) << gateway.Log();
    return peer;
  };
  auto submit = [&](testing::RawPeer& peer, uint64_t n) {
    peer.SendBytes(Submit(n, Envelope("samr-console", MessageId{30, n}, {"douyin"})));
    return peer.Next();
  };
  // Each says why when the answer is not what is expected; the callers
  // ASSERT on them, so that nothing reads a missing answer.
  auto confirmed = [&](const std::optional<protocol::DecodedFrame>& f, uint64_t n) -> ::testing::AssertionResult {
    if (!f.has_value())
      return ::testing::AssertionFailure() << "message " << n << ": no answer; log:\n" << gateway.Log();
    if (f->get().which() != Frame::CONFIRM) {
      return ::testing::AssertionFailure()
             << "message " << n << ": "
             << (f->get().isError() ? f->get().getError().getText().cStr() : "not a CONFIRM");
    }
    return ::testing::AssertionSuccess();
  };
  auto fenced = [&](const std::optional<protocol::DecodedFrame>& f, uint64_t n) -> ::testing::AssertionResult {
    if (!f.has_value())
      return ::testing::AssertionFailure() << "message " << n << ": no answer; log:\n" << gateway.Log();
    if (f->get().which() != Frame::ERROR) {
      return ::testing::AssertionFailure() << "message " << n << " was confirmed after the failed sync";
    }
    if (f->get().getError().getCode() != schema::ErrorCode::IO_ERROR ||
        std::string(f->get().getError().getText().cStr()).find("until it is restarted") == std::string::npos) {
      return ::testing::AssertionFailure() << "message " << n << ": " << f->get().getError().getText().cStr();
    }
    return ::testing::AssertionSuccess();
  };

  auto samr = connect();
  // A platform online with credit: deliveries (leases) go on while it lasts.
  testing::RawPeer douyin(ctx, gateway.endpoint());
  douyin.SendBytes(Hello("douyin", schema::Role::PLATFORM, 1000));
  ASSERT_EQ(douyin.Next()->get().which(), Frame::READY);
  for (uint64_t n = 1; n <= 10; ++n) ASSERT_TRUE(confirmed(submit(*samr, n), n));
  std::ofstream(trigger) << "fail\n";
  ASSERT_TRUE(fenced(submit(*samr, 11), 11));
  std::filesystem::remove(trigger);
  for (uint64_t n : {12, 11}) ASSERT_TRUE(fenced(submit(*samr, n), n));
  // Fenced, the gateway stops its maintenance and leases instead of
  // failing them every 250 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const std::string log = gateway.Log();
  EXPECT_NE(log.find("event=store_fenced"), std::string::npos) << log;
  size_t lease_failures = 0;
  for (size_t at = log.find("event=lease_failed"); at != std::string::npos;
       at = log.find("event=lease_failed", at + 1)) {
    ++lease_failures;
  }
  EXPECT_LE(lease_failures, 1u) << log;  // one may have been at the writer when the sync failed

  gateway.Kill(SIGKILL);
  gateway.SetEnv({});
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  samr = connect();
  for (uint64_t n = 1; n <= 10; ++n) {
    auto again = submit(*samr, n);
    ASSERT_TRUE(confirmed(again, n));
    EXPECT_TRUE(again->get().getConfirm().getDuplicate()) << "confirmed message " << n << " was lost";
  }
  // 11 was written before its sync failed and is whatever the disk kept;
  // 12 came after the fence and was rolled back.
  ASSERT_TRUE(confirmed(submit(*samr, 11), 11));
  auto twelve = submit(*samr, 12);
  ASSERT_TRUE(confirmed(twelve, 12));
  EXPECT_FALSE(twelve->get().getConfirm().getDuplicate()) << "a refused message was stored";
}

// The legal-retention pass on the daemon's own timer (retention_check_ms;
// the period is the policy's, 1,095 days). The data directory is written
// beforehand through the store, with its clock set 1,200 days back: two
// messages past the period go, one under a legal hold and one accepted
// today stay, and the gateway goes on answering the console.
TEST(GatewayRetention, ThePassOnItsTimerPrunesOldMessagesAndKeepsHeldAndYoungOnes) {
  constexpr int64_t kDay = 86'400'000;
  testing::TempDir dir;
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path(), "retention_check_ms = 1000\n");
  const MessageId old_a{21, 1}, held{21, 2}, old_b{21, 3}, young{21, 4};
  {
    std::filesystem::create_directories(gateway.data_dir());
    FakeClock clock(SystemClock().NowMs() - 1200 * kDay);
    StoreOptions options;
    options.path = (gateway.data_dir() / "gateway.db").string();
    Result<std::unique_ptr<Store>> store = Store::Open(options, clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto put = [&](const MessageId& id) {
      Submission s;
      s.sender = "samr-console";
      s.id = id;
      s.kind = 1;  // a directive, untracked (no terms): its deadlines play no part here
      s.created_ms = clock.NowMs();
      s.recipients = {"douyin"};
      s.envelope = "retention-" + id.ToHex();
      Result<SubmitReceipt> r = (*store)->Submit(s);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      // Decided: nothing queued or in flight keeps it.
      Result<AckReceipt> done = (*store)->Acknowledge(r->seq, "douyin", AckStage::kCompleted, "");
      ASSERT_TRUE(done.ok()) << done.status().ToString();
    };
    put(old_a);
    put(held);
    put(old_b);
    Result<bool> hold = (*store)->AddLegalHold({held.ToHex(), "court order", "samr-console", clock.NowMs()});
    ASSERT_TRUE(hold.ok() && *hold) << hold.status().ToString();
    clock.Set(SystemClock().NowMs());
    put(young);
  }
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  ASSERT_TRUE(
      testing::WaitFor([&] { return gateway.Log().find("event=retention_pruned") != std::string::npos; }, 15'000))
      << "no retention pass in 15 s:\n"
      << gateway.Log();
  const std::string log = gateway.Log();
  EXPECT_NE(log.find("messages=2 "), std::string::npos) << log;
  EXPECT_NE(log.find("retention_days=1095"), std::string::npos) << log;

  zmq::context_t ctx;
  testing::RawPeer samr(ctx, gateway.endpoint());
  samr.SendBytes(Hello("samr-console", schema::Role::REGULATOR));
  auto ready = samr.Next();
  ASSERT_TRUE(ready && ready->get().which() == Frame::READY) << gateway.Log();
  const std::pair<MessageId, bool> expected[] = {{old_a, false}, {held, true}, {old_b, false}, {young, true}};
  uint64_t tag = 0;
  for (const auto& [id, kept] : expected) {
    samr.SendBytes(StatusQuery(++tag, id));
    auto answer = samr.Next();
    ASSERT_TRUE(answer.has_value()) << id.ToHex();
    if (kept) {
      EXPECT_EQ(answer->get().which(), Frame::QUERY_RESULT) << id.ToHex() << " should have been kept";
    } else {
      ASSERT_EQ(answer->get().which(), Frame::ERROR) << id.ToHex() << " should have been pruned";
      EXPECT_EQ(answer->get().getError().getCode(), schema::ErrorCode::NOT_FOUND);
    }
  }
  int status = gateway.Kill(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << gateway.Log();
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace regline
