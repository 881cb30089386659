// The real regline-gateway with CURVE, an identity registry file and signed
// payloads: who gets in, who may send what, which signatures hold, and how
// a revocation takes effect without a restart.
#include <gtest/gtest.h>

#include <thread>

#include "gateway/core/audit_chain.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/test_util.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/client.h"
#include "schemas/schema_samples.h"
#include "tests/e2e/secure_gateway.h"

namespace regline {
namespace {

using crypto::SignatureAlgorithm;
using schema::MessageKind;

std::string Payload(MessageKind kind) {
  capnp::MallocMessageBuilder m;
  switch (kind) {
    case MessageKind::DIRECTIVE:
      schema::samples::BuildSuspendBroadcastDirectiveNow(m.initRoot<schema::Directive>());
      break;
    case MessageKind::COMPLAINT_STATISTICS:
      schema::samples::BuildComplaintStatistics(m.initRoot<schema::ComplaintStatistics>());
      break;
    default:
      ADD_FAILURE() << "no sample";
  }
  return protocol::Encode(m);
}

class GatewaySecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_.Add("samr-console", identity::Role::kRegulator, "SAMR", SignatureAlgorithm::kSm2Sm3);
    gateway_.Add("cac-console", identity::Role::kRegulator, "CAC", SignatureAlgorithm::kEd25519);
    gateway_.Add("douyin", identity::Role::kPlatform, "", SignatureAlgorithm::kEd25519);
    gateway_.Add("kuaishou", identity::Role::kPlatform, "", SignatureAlgorithm::kEd25519);
    gateway_.Add("example-mcn", identity::Role::kMcnAgency, "", SignatureAlgorithm::kEd25519);
    ASSERT_TRUE(gateway_.Start()) << gateway_.process().Log();
  }

  std::unique_ptr<protocol::Client> Connect(const std::string& name, uint32_t credit = 0) {
    return gateway_.Connect(ctx_, name, credit);
  }
  std::string Log() { return gateway_.process().Log(); }

  // A signed envelope with the sample payload of `kind`.
  std::string Envelope(const std::string& from, MessageId id, std::vector<std::string> to, MessageKind kind) {
    return gateway_.Envelope(from, id, to, kind, Payload(kind));
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  testing::SecureGateway gateway_{REGLINE_GATEWAY_BINARY, dir_.path()};
};

TEST_F(GatewaySecurityTest, Sm2AndEd25519SignersSideBySideAreConfirmedAndDelivered) {
  auto samr = Connect("samr-console");  // signs with SM2-SM3
  auto douyin = Connect("douyin", 10);  // signs with Ed25519
  ASSERT_TRUE(samr && douyin);
  const std::string signed_directive = Envelope("samr-console", MessageId{1, 1}, {"douyin"}, MessageKind::DIRECTIVE);
  Result<protocol::ConfirmInfo> directive = samr->Submit(signed_directive);
  ASSERT_TRUE(directive.ok()) << directive.status().ToString();
  Result<protocol::ConfirmInfo> stats =
      douyin->Submit(Envelope("douyin", MessageId{1, 2}, {"samr-console"}, MessageKind::COMPLAINT_STATISTICS));
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  Result<std::optional<protocol::DecodedFrame>> delivered = douyin->Receive(5000);
  ASSERT_TRUE(delivered.ok() && delivered->has_value());
  ASSERT_EQ((*delivered)->get().which(), schema::Frame::DELIVER);
  EXPECT_EQ(protocol::FromWire((*delivered)->get().getDeliver().getMessageId()), (MessageId{1, 1}));
  // A resubmission gets the original confirmation back, not a second store.
  Result<protocol::ConfirmInfo> again = samr->Submit(signed_directive);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->gateway_seq, directive->gateway_seq);
}

TEST_F(GatewaySecurityTest, AnUnregisteredKeyIsRefusedAtTheHandshakeLoggedAndCounted) {
  testing::SecureParty stranger = gateway_.party("douyin");
  Result<crypto::CurveKeyPair> other = crypto::GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  stranger.curve = *other;
  protocol::ClientOptions o = gateway_.Options(stranger);
  o.timeout_ms = 1500;
  Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx_, o);
  EXPECT_FALSE(c.ok());
  EXPECT_NE(Log().find("handshake_refused"), std::string::npos) << Log();
  EXPECT_NE(Log().find("refused_total=1"), std::string::npos) << Log();
  EXPECT_NE(Log().find("unknown key"), std::string::npos);
}

TEST_F(GatewaySecurityTest, HelloClaimingAnotherIdentityThanTheKeysIsUnauthenticated) {
  protocol::ClientOptions o = gateway_.Options(gateway_.party("douyin"));
  o.identity = "kuaishou";
  Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx_, o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnauthenticated) << c.status().ToString();
  EXPECT_NE(c.status().message().find("registered for 'douyin'"), std::string::npos) << c.status().message();
}

TEST_F(GatewaySecurityTest, BadSignaturesAreRefusedAndNothingIsStored) {
  auto samr = Connect("samr-console");
  auto douyin = Connect("douyin");
  ASSERT_TRUE(samr && douyin);
  struct Case {
    protocol::Client* client;
    std::string name;
    std::string envelope;
    std::string expected;
  };
  using Signing = testing::SecureGateway::Signing;
  const std::string directive = Payload(MessageKind::DIRECTIVE);
  const std::string stats = Payload(MessageKind::COMPLAINT_STATISTICS);
  // kuaishou's signature over douyin's report, claimed as douyin's.
  identity::SignatureClaim wrong_key = gateway_.Sign("kuaishou", stats);
  wrong_key.signer = "douyin";
  wrong_key.key_id = gateway_.party("douyin").signer->key_id();
  const std::vector<Case> cases = {
      {samr.get(), "tampered payload under a valid envelope",
       gateway_.Envelope("samr-console", MessageId{2, 1}, {"douyin"}, MessageKind::DIRECTIVE, directive, {},
                         Signing::kSigned, gateway_.Sign("samr-console", stats)),
       "does not verify"},
      {douyin.get(), "signed by the wrong key (kuaishou's, claimed as douyin's)",
       gateway_.Envelope("douyin", MessageId{2, 2}, {"samr-console"}, MessageKind::COMPLAINT_STATISTICS, stats, {},
                         Signing::kSigned, wrong_key),
       "does not verify"},
      {samr.get(), "unsigned",
       gateway_.Envelope("samr-console", MessageId{2, 3}, {"douyin"}, MessageKind::DIRECTIVE, directive, {},
                         Signing::kUnsigned),
       "is not signed"},
  };
  for (const Case& c : cases) {
    Result<protocol::ConfirmInfo> r = c.client->Submit(c.envelope);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidSignature) << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << c.name << ": " << r.status().message();
  }
  for (uint64_t lo : {1, 2, 3}) {
    Result<protocol::DecodedFrame> status = samr->Query([&](schema::Query::Builder q) {
      protocol::ToWire(MessageId{2, lo}, q.initMessageStatus());
    });
    EXPECT_EQ(status.status().code(), StatusCode::kNotFound) << "message " << lo << " must not be stored";
  }
}

TEST_F(GatewaySecurityTest, RolesAndDepartmentsDecideWhoSendsWhat) {
  auto mcn = Connect("example-mcn");
  auto cac = Connect("cac-console");
  auto douyin = Connect("douyin");
  ASSERT_TRUE(mcn && cac && douyin);
  Result<protocol::ConfirmInfo> r =
      mcn->Submit(Envelope("example-mcn", MessageId{3, 1}, {"douyin"}, MessageKind::DIRECTIVE));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("'example-mcn' (mcn-agency) may not send directive"), std::string::npos)
      << r.status().message();
  // The sample directive is issued by SAMR: CAC may not issue it.
  r = cac->Submit(Envelope("cac-console", MessageId{3, 2}, {"douyin"}, MessageKind::DIRECTIVE));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("in the name of SAMR"), std::string::npos) << r.status().message();
  // A platform sends upstream families only, and only to regulators.
  r = douyin->Submit(Envelope("douyin", MessageId{3, 3}, {"kuaishou"}, MessageKind::COMPLAINT_STATISTICS));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  Result<protocol::DecodedFrame> dead = douyin->Query([](schema::Query::Builder q) { q.initDeadLetters(); });
  EXPECT_EQ(dead.status().code(), StatusCode::kPermissionDenied) << dead.status().ToString();
}

TEST_F(GatewaySecurityTest, APlatformMayNotAcknowledgeAnotherPlatformsMessage) {
  auto samr = Connect("samr-console");
  auto kuaishou = Connect("kuaishou");
  ASSERT_TRUE(samr && kuaishou);
  ASSERT_TRUE(samr->Submit(Envelope("samr-console", MessageId{4, 1}, {"douyin"}, MessageKind::DIRECTIVE)).ok());
  protocol::AckRequest ack;
  ack.delivery_seq = 1;
  ack.message_id = MessageId{4, 1};
  ack.stage = schema::AckStage::RECEIVED;
  Result<protocol::AckReceiptInfo> r = kuaishou->Ack(ack);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("not addressed to 'kuaishou'"), std::string::npos) << r.status().message();
  // Nor may it see the message's status.
  Result<protocol::DecodedFrame> status = kuaishou->Query(
      [](schema::Query::Builder q) { protocol::ToWire(MessageId{4, 1}, q.initMessageStatus()); });
  EXPECT_EQ(status.status().code(), StatusCode::kPermissionDenied) << status.status().ToString();
  // Stages after received must carry a signed acknowledgement.
  auto douyin = Connect("douyin");
  ASSERT_TRUE(douyin);
  ack.stage = schema::AckStage::ACCEPTED;
  r = douyin->Ack(ack);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidSignature) << r.status().ToString();
}

TEST_F(GatewaySecurityTest, RevokingAnIdentityEndsItsSessionAndRefusesItAfterwardsWithoutARestart) {
  auto douyin = Connect("douyin", 10);
  ASSERT_TRUE(douyin);
  ASSERT_TRUE(gateway_.registry().Revoke("douyin", 1234).ok());
  ASSERT_TRUE(gateway_.SaveRegistry());
  bool bye = false;
  for (int i = 0; i < 50 && !bye; ++i) {
    Result<std::optional<protocol::DecodedFrame>> f = douyin->Receive(200);
    if (!f.ok()) {
      bye = f.status().code() == StatusCode::kDisconnected;
      break;
    }
    if (f->has_value() && (*f)->get().which() == schema::Frame::BYE) bye = true;
  }
  EXPECT_TRUE(bye) << Log();
  EXPECT_NE(Log().find("identity_revoked"), std::string::npos) << Log();
  // The same connection cannot start a new session, and a new one is refused at the handshake.
  EXPECT_FALSE(douyin->Hello().ok());
  protocol::ClientOptions o = gateway_.Options(gateway_.party("douyin"));
  o.timeout_ms = 1500;
  EXPECT_FALSE(protocol::Client::Connect(ctx_, o).ok());
  EXPECT_NE(Log().find("is revoked"), std::string::npos) << Log();
  // Others are still served.
  auto samr = Connect("samr-console");
  ASSERT_TRUE(samr);
  EXPECT_TRUE(samr->Submit(Envelope("samr-console", MessageId{5, 1}, {"kuaishou"}, MessageKind::DIRECTIVE)).ok());
  // The revocation is in the audit chain, and the chain is whole.
  const std::string db = (gateway_.process().data_dir() / "gateway.db").string();
  Result<AuditVerdict> verdict = VerifyAuditChain(db);
  ASSERT_TRUE(verdict.ok()) << verdict.status().ToString();
  EXPECT_TRUE(verdict->intact) << verdict->problem;
  Result<Database> file = Database::OpenReadOnly(db);
  ASSERT_TRUE(file.ok());
  Result<Statement> q = file->Prepare("SELECT count(*) FROM audit_log WHERE event = 'identity_revoked' AND subject = 'douyin'");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->Step().ok());
  EXPECT_EQ(q->ColumnInt64(0), 1);
}

TEST(GatewaySecurityConfig, WithoutKeysTheDefaultConfigRefusesToStart) {
  testing::TempDir dir;
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path(), "", "", "", testing::kTestIdentities);
  EXPECT_FALSE(gateway.Start());
  EXPECT_NE(gateway.Log().find("server_key_file is required"), std::string::npos) << gateway.Log();
}

}  // namespace
}  // namespace regline
