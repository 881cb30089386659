// The real regline-gateway with CURVE, an identity registry file and signed
// payloads: who gets in, who may send what, which signatures hold, and how
// a revocation takes effect without a restart.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <thread>

#include "gateway/core/audit_chain.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/test_util.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/client.h"
#include "schemas/schema_samples.h"
#include "tests/e2e/gateway_process.h"

namespace regline {
namespace {

using crypto::SignatureAlgorithm;
using schema::MessageKind;

struct Party {
  std::string name;
  schema::Role role;
  crypto::CurveKeyPair curve;
  std::optional<identity::Signer> signer;
};

std::string Payload(MessageKind kind) {
  capnp::MallocMessageBuilder m;
  switch (kind) {
    case MessageKind::DIRECTIVE:
      schema::samples::BuildSuspendBroadcastDirective(m.initRoot<schema::Directive>());
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
    Result<crypto::CurveKeyPair> server = crypto::GenerateCurveKeyPair();
    ASSERT_TRUE(server.ok());
    server_ = *server;
    std::ofstream(dir_.path() / "gateway.curve.key")
        << "public_key = \"" << server_.public_z85 << "\"\nsecret_key = \"" << server_.secret_z85 << "\"\n";
    Add("samr-console", identity::Role::kRegulator, "SAMR", SignatureAlgorithm::kSm2Sm3);
    Add("cac-console", identity::Role::kRegulator, "CAC", SignatureAlgorithm::kEd25519);
    Add("douyin", identity::Role::kPlatform, "", SignatureAlgorithm::kEd25519);
    Add("kuaishou", identity::Role::kPlatform, "", SignatureAlgorithm::kEd25519);
    Add("example-mcn", identity::Role::kMcnAgency, "", SignatureAlgorithm::kEd25519);
    ASSERT_TRUE(registry_.Save(RegistryPath()).ok());
    gateway_ = std::make_unique<testing::GatewayProcess>(
        REGLINE_GATEWAY_BINARY, dir_.path(), "", "",
        "server_key_file = \"gateway.curve.key\"\nregistry = \"identities.toml\"\n", "");
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  }

  std::string RegistryPath() const { return (dir_.path() / "identities.toml").string(); }

  void Add(const std::string& name, identity::Role role, const std::string& department, SignatureAlgorithm a) {
    Result<crypto::CurveKeyPair> curve = crypto::GenerateCurveKeyPair();
    Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(a);
    ASSERT_TRUE(curve.ok() && key.ok());
    identity::Identity id;
    id.name = name;
    id.role = role;
    id.department = department;
    id.curve_key = curve->public_z85;
    id.signing_keys.emplace_back(key->public_key());
    ASSERT_TRUE(registry_.Add(id).ok());
    static const std::map<identity::Role, schema::Role> wire = {{identity::Role::kRegulator, schema::Role::REGULATOR},
                                                                {identity::Role::kPlatform, schema::Role::PLATFORM},
                                                                {identity::Role::kMcnAgency, schema::Role::MCN_AGENCY}};
    parties_[name] = Party{name, wire.at(role), *curve, identity::Signer(name, *key)};
  }

  protocol::ClientOptions Options(const Party& p, uint32_t credit = 0) {
    protocol::ClientOptions o;
    o.endpoint = gateway_->endpoint();
    o.identity = p.name;
    o.role = p.role;
    o.initial_credit = credit;
    o.timeout_ms = 5000;
    o.curve = {server_.public_z85, p.curve.public_z85, p.curve.secret_z85};
    return o;
  }

  std::unique_ptr<protocol::Client> Connect(const std::string& name, uint32_t credit = 0) {
    Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx_, Options(parties_.at(name), credit));
    EXPECT_TRUE(c.ok()) << name << ": " << c.status().ToString() << "\n" << gateway_->Log();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // An envelope from `from`, signed by `signer` (default: from) over
  // `signed_payload` (default: the payload it carries).
  std::string Envelope(const std::string& from, MessageId id, std::vector<std::string> to, MessageKind kind,
                       const std::string& signer = "", std::optional<std::string> signed_payload = std::nullopt,
                       bool sign = true) {
    std::string payload = Payload(kind);
    capnp::MallocMessageBuilder m;
    auto e = m.initRoot<schema::Envelope>();
    protocol::ToWire(id, e.initId());
    e.setSender(from);
    auto r = e.initRecipients(static_cast<unsigned>(to.size()));
    for (unsigned i = 0; i < to.size(); ++i) r.set(i, to[i]);
    e.setKind(kind);
    e.setCreatedMs(schema::samples::kIssuedMs);
    e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
    if (sign) {
      const identity::Signer& by = *parties_.at(signer.empty() ? from : signer).signer;
      Result<identity::SignatureClaim> sig = by.Sign(signed_payload.value_or(payload));
      EXPECT_TRUE(sig.ok());
      identity::SignatureClaim claim = *sig;
      claim.signer = from;  // a wrong key is claimed as the sender's own
      if (!signer.empty() && signer != from) claim.key_id = parties_.at(from).signer->key_id();
      protocol::ToWire(claim, e.initSignature());
    }
    return protocol::Encode(m);
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  crypto::CurveKeyPair server_;
  identity::Registry registry_;
  std::map<std::string, Party> parties_;
  std::unique_ptr<testing::GatewayProcess> gateway_;
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
  Party stranger = parties_.at("douyin");
  Result<crypto::CurveKeyPair> other = crypto::GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  stranger.curve = *other;
  protocol::ClientOptions o = Options(stranger);
  o.timeout_ms = 1500;
  Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx_, o);
  EXPECT_FALSE(c.ok());
  EXPECT_NE(gateway_->Log().find("handshake_refused"), std::string::npos) << gateway_->Log();
  EXPECT_NE(gateway_->Log().find("refused_total=1"), std::string::npos) << gateway_->Log();
  EXPECT_NE(gateway_->Log().find("unknown key"), std::string::npos);
}

TEST_F(GatewaySecurityTest, HelloClaimingAnotherIdentityThanTheKeysIsUnauthenticated) {
  protocol::ClientOptions o = Options(parties_.at("douyin"));
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
  std::string other_payload = Payload(MessageKind::COMPLAINT_STATISTICS);
  const std::vector<Case> cases = {
      {samr.get(), "tampered payload under a valid envelope",
       Envelope("samr-console", MessageId{2, 1}, {"douyin"}, MessageKind::DIRECTIVE, "", other_payload),
       "does not verify"},
      {douyin.get(), "signed by the wrong key (kuaishou's, claimed as douyin's)",
       Envelope("douyin", MessageId{2, 2}, {"samr-console"}, MessageKind::COMPLAINT_STATISTICS, "kuaishou"),
       "does not verify"},
      {samr.get(), "unsigned",
       Envelope("samr-console", MessageId{2, 3}, {"douyin"}, MessageKind::DIRECTIVE, "", {}, false),
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
  ASSERT_TRUE(registry_.Revoke("douyin", 1234).ok());
  ASSERT_TRUE(registry_.Save(RegistryPath()).ok());
  bool bye = false;
  for (int i = 0; i < 50 && !bye; ++i) {
    Result<std::optional<protocol::DecodedFrame>> f = douyin->Receive(200);
    if (!f.ok()) {
      bye = f.status().code() == StatusCode::kDisconnected;
      break;
    }
    if (f->has_value() && (*f)->get().which() == schema::Frame::BYE) bye = true;
  }
  EXPECT_TRUE(bye) << gateway_->Log();
  EXPECT_NE(gateway_->Log().find("identity_revoked"), std::string::npos) << gateway_->Log();
  // The same connection cannot start a new session, and a new one is refused at the handshake.
  EXPECT_FALSE(douyin->Hello().ok());
  protocol::ClientOptions o = Options(parties_.at("douyin"));
  o.timeout_ms = 1500;
  EXPECT_FALSE(protocol::Client::Connect(ctx_, o).ok());
  EXPECT_NE(gateway_->Log().find("is revoked"), std::string::npos) << gateway_->Log();
  // Others are still served.
  auto samr = Connect("samr-console");
  ASSERT_TRUE(samr);
  EXPECT_TRUE(samr->Submit(Envelope("samr-console", MessageId{5, 1}, {"kuaishou"}, MessageKind::DIRECTIVE)).ok());
  // The revocation is in the audit chain, and the chain is whole.
  const std::string db = (gateway_->data_dir() / "gateway.db").string();
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
