// The real regline-connector against a CURVE gateway with an identity
// registry: the connector connects with its own keys, signs the platform's
// acknowledgements and reports, verifies what it receives against its copy
// of the registry, and will not start in secure mode without keys.
#include <gtest/gtest.h>

#include <fstream>

#include "connectors/test_envelopes.h"
#include "connectors/test_keys.h"
#include "tests/e2e/connector_harness.h"

namespace regline {
namespace {

using connector::testing::NewPartyKeys;
using connector::testing::PartyKeys;
using connector::testing::RegistryEntry;
using crypto::SignatureAlgorithm;
using schema::DeliveryState;

constexpr size_t kMax = 1 << 20;

constexpr const char* kConnectorSecurity =
    "key_file = \"douyin.curve.key\"\nserver_key = \"gateway.curve.pub\"\nsigning_key = \"douyin.sign.key\"\n"
    "registry = \"identities.toml\"\n";

class ConnectorSecurityTest : public testing::ConnectorHarness {
 protected:
  // A CURVE gateway with a registry file (samr-console signs with SM2,
  // douyin with Ed25519), instead of the harness's development gateway.
  void SetUp() override {
    std::filesystem::create_directories(gateway_dir());
    std::filesystem::create_directories(connector_dir());
    Result<crypto::CurveKeyPair> server = crypto::GenerateCurveKeyPair();
    ASSERT_TRUE(server.ok());
    server_ = *server;
    ASSERT_TRUE(connector::testing::WriteCurveKeyFile(gateway_dir() / "gateway.curve.key", server_).ok());
    ASSERT_TRUE(registry_.Add(RegistryEntry("samr-console", identity::Role::kRegulator, "SAMR", samr_)).ok());
    ASSERT_TRUE(registry_.Add(RegistryEntry("douyin", identity::Role::kPlatform, "", douyin_)).ok());
    ASSERT_TRUE(registry_.Save((gateway_dir() / "identities.toml").string()).ok());
    gateway_ = std::make_unique<testing::GatewayProcess>(
        REGLINE_GATEWAY_BINARY, gateway_dir(), "", "",
        "server_key_file = \"gateway.curve.key\"\nregistry = \"identities.toml\"\n", "");
    ASSERT_TRUE(gateway_->Start()) << gateway_->Log();

    // The connector's own files, as keygen and the gateway's operator give them.
    ASSERT_TRUE(connector::testing::WriteCurveKeyFile(connector_dir() / "douyin.curve.key", douyin_.curve).ok());
    ASSERT_TRUE(connector::testing::WriteCurvePublicFile(connector_dir() / "gateway.curve.pub", server_.public_z85).ok());
    ASSERT_TRUE(connector::testing::WriteSigningKeyFile(connector_dir() / "douyin.sign.key", douyin_.signing).ok());
  }

  // The connector's copy of the registry: the gateway's by default.
  void WriteConnectorRegistry(const identity::Registry& registry) {
    ASSERT_TRUE(registry.Save((connector_dir() / "identities.toml").string()).ok());
  }

  std::unique_ptr<testing::ConnectorProcess> StartSecureConnector() {
    auto c = std::make_unique<testing::ConnectorProcess>(REGLINE_CONNECTOR_BINARY, connector_dir(),
                                                         gateway_->endpoint(), "", kConnectorSecurity);
    EXPECT_TRUE(c->Start()) << c->Log();
    return c;
  }

  // samr-console over CURVE.
  std::unique_ptr<protocol::Client> SamrConsole(uint32_t credit = 0) {
    protocol::ClientOptions o;
    o.endpoint = gateway_->endpoint();
    o.identity = "samr-console";
    o.role = schema::Role::REGULATOR;
    o.initial_credit = credit;
    o.timeout_ms = 10'000;
    o.client_name = "connector-security-test";
    o.curve = {server_.public_z85, samr_.curve.public_z85, samr_.curve.secret_z85};
    Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx_, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString() << "\n" << gateway_->Log();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // A platform tool on the connector's local endpoint (plain, loopback).
  std::unique_ptr<protocol::Client> Tool(const testing::ConnectorProcess& connector) {
    return testing::PlatformTool(ctx_, connector.endpoint());
  }

  // A directive to douyin, signed by samr-console with its registered SM2 key.
  MessageId SubmitSignedDirective(protocol::Client& console, uint64_t n) {
    const MessageId id{0x0190000000000000 + n, 0xd1000000 + n};
    identity::Signer samr("samr-console", samr_.signing);
    Result<std::string> signed_directive =
        protocol::SignEnvelope(connector::testing::DirectiveEnvelope(id), samr, kMax);
    EXPECT_TRUE(signed_directive.ok()) << signed_directive.status().ToString();
    Result<protocol::ConfirmInfo> confirm = console.Submit(*signed_directive);
    EXPECT_TRUE(confirm.ok()) << confirm.status().ToString();
    return id;
  }

  crypto::CurveKeyPair server_;
  PartyKeys samr_ = NewPartyKeys(SignatureAlgorithm::kSm2Sm3);
  PartyKeys douyin_ = NewPartyKeys(SignatureAlgorithm::kEd25519);
  identity::Registry registry_;
};

TEST_F(ConnectorSecurityTest, ASignedDirectiveIsSpooledAndTheSignedCompletionIsRecordedAtTheGateway) {
  WriteConnectorRegistry(registry_);
  auto connector = StartSecureConnector();
  auto samr = SamrConsole();
  ASSERT_TRUE(samr);
  const MessageId id = SubmitSignedDirective(*samr, 1);
  // Accepted on hand-over to the spool: an ACK the gateway takes only with
  // douyin's signed Acknowledgement.
  ASSERT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << connector->Log() << gateway_->Log();
  EXPECT_EQ(SpoolIds(connector->spool_dir()), std::vector<std::string>{id.ToHex()});

  auto tool = Tool(*connector);
  ASSERT_TRUE(tool);
  protocol::AckRequest done;
  done.delivery_seq = 1;
  done.message_id = id;
  done.stage = schema::AckStage::COMPLETED;
  Result<protocol::AckReceiptInfo> receipt = tool->Ack(done);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::COMPLETED, 20'000)) << connector->Log() << gateway_->Log();
  EXPECT_EQ(connector->LogCount("ack_refused"), 0) << connector->Log();
  EXPECT_EQ(gateway_->Log().find("event=ack_refused"), std::string::npos) << gateway_->Log();
}

TEST_F(ConnectorSecurityTest, AnUnsignedReportFromAPlatformToolIsSignedByTheConnectorAndConfirmed) {
  WriteConnectorRegistry(registry_);
  auto connector = StartSecureConnector();
  auto tool = Tool(*connector);
  ASSERT_TRUE(tool);
  const MessageId id{0x0190000000000000, 0x5757};
  Result<protocol::ConfirmInfo> queued = tool->Submit(connector::testing::ComplaintStatisticsEnvelope(id));
  ASSERT_TRUE(queued.ok()) << queued.status().ToString();
  ASSERT_TRUE(testing::WaitFor([&] { return connector->LogCount("upstream_sent") == 1; }, 20'000))
      << connector->Log() << gateway_->Log();
  EXPECT_EQ(connector->LogCount("upstream_refused"), 0);

  // samr-console receives it, signed by douyin's registered key.
  auto samr = SamrConsole(10);
  ASSERT_TRUE(samr);
  Result<std::optional<protocol::DecodedFrame>> delivered = samr->Receive(10'000);
  ASSERT_TRUE(delivered.ok() && delivered->has_value()) << gateway_->Log();
  ASSERT_EQ((*delivered)->get().which(), schema::Frame::DELIVER);
  auto envelope = (*delivered)->get().getDeliver().getEnvelope();
  std::string bytes(reinterpret_cast<const char*>(envelope.begin()), envelope.size());
  Result<protocol::SignedSubmission> s = protocol::ToSignedSubmission(bytes, "douyin", kMax);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->submission.id, id);
  Status verified = identity::VerifySignature(registry_, "douyin", s->signature, s->payload, "report");
  EXPECT_TRUE(verified.ok()) << verified.ToString();
}

TEST_F(ConnectorSecurityTest, ADirectiveTheConnectorCannotVerifyIsNotSpooledAndIsRejectedAtTheGateway) {
  // The connector's copy holds another signing key for samr-console than
  // the gateway's registry does.
  identity::Registry stale;
  PartyKeys other_samr = NewPartyKeys(SignatureAlgorithm::kSm2Sm3);
  other_samr.curve = samr_.curve;
  ASSERT_TRUE(stale.Add(RegistryEntry("samr-console", identity::Role::kRegulator, "SAMR", other_samr)).ok());
  ASSERT_TRUE(stale.Add(RegistryEntry("douyin", identity::Role::kPlatform, "", douyin_)).ok());
  WriteConnectorRegistry(stale);
  auto connector = StartSecureConnector();
  auto samr = SamrConsole();
  ASSERT_TRUE(samr);
  const MessageId id = SubmitSignedDirective(*samr, 2);  // the gateway verifies and accepts it
  std::string reason;
  ASSERT_TRUE(WaitForState(*samr, id, DeliveryState::REJECTED, 20'000, &reason))
      << connector->Log() << gateway_->Log();
  EXPECT_NE(reason.find("cannot verify the issuer"), std::string::npos) << reason;
  EXPECT_TRUE(SpoolIds(connector->spool_dir()).empty());
  EXPECT_EQ(connector->LogCount("delivery_unverified"), 1) << connector->Log();
  EXPECT_NE(connector->Log().find(id.ToHex()), std::string::npos);
}

TEST_F(ConnectorSecurityTest, WithoutKeysInSecureModeTheConnectorRefusesToStart) {
  const std::filesystem::path config = connector_dir() / "nokeys.toml";
  std::ofstream(config) << "[connector]\nidentity = \"douyin\"\ndata_dir = \"" << (connector_dir() / "d").string()
                        << "\"\n[gateway]\nendpoint = \"" << gateway_->endpoint()
                        << "\"\n[sink]\ntype = \"discard\"\n[security]\n";
  const std::filesystem::path output = connector_dir() / "nokeys.out";
  EXPECT_EQ(testing::RunToCompletion({REGLINE_CONNECTOR_BINARY, "-c", config.string()}, output), 2);
  const std::string said = testing::ReadFile(output);
  for (const char* key : {"key_file", "server_key", "signing_key", "registry", "insecure_plaintext_for_development"}) {
    EXPECT_NE(said.find(key), std::string::npos) << key << " in: " << said;
  }
  EXPECT_FALSE(std::filesystem::exists(connector_dir() / "d"));
}

}  // namespace
}  // namespace regline
