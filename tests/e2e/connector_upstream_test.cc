// Upstream through the real regline-connector: reports submitted on its
// local endpoint wait in the outbox while the gateway is down and arrive,
// in order, when it returns; stages set by hand reach the gateway; the
// daemon's command line says what is wrong and exits with its documented
// codes.
#include "connectors/test_keys.h"
#include "tests/e2e/connector_harness.h"

namespace regline {
namespace {

using schema::DeliveryState;
using schema::Frame;
using testing::SpoolFiles;
using testing::WaitFor;

class ConnectorUpstreamTest : public testing::ConnectorHarness {
 protected:
  // A platform tool on the connector's local endpoint.
  std::unique_ptr<protocol::Client> Tool(const testing::ConnectorProcess& connector) {
    return Console("douyin", schema::Role::PLATFORM, 0, connector.endpoint());
  }
};

TEST_F(ConnectorUpstreamTest, ReportsWaitInTheOutboxWhileTheGatewayIsDownAndArriveInOrderAfter) {
  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  ASSERT_TRUE(WaitFor([&] { return connector->LogCount("session_started") >= 1; }, 20'000)) << connector->Log();

  const std::string gateway_endpoint = gateway_->endpoint();
  gateway_->Kill(SIGTERM);
  testing::PinGatewayEndpoint(gateway_dir(), gateway_endpoint);

  auto tool = Tool(*connector);
  ASSERT_TRUE(tool);
  std::vector<MessageId> reports;
  for (uint64_t n = 1; n <= 3; ++n) {
    MessageId id{0x0190c0ffee000000, n};
    Result<protocol::ConfirmInfo> confirm = tool->Submit(connector::testing::ComplaintStatisticsEnvelope(id));
    ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();  // durable in the outbox, gateway down
    EXPECT_FALSE(confirm->duplicate);
    EXPECT_EQ(confirm->id, id);
    EXPECT_EQ(confirm->recipients, std::vector<std::string>{"samr-console"});
    reports.push_back(id);
  }
  Result<protocol::ConfirmInfo> again = tool->Submit(connector::testing::ComplaintStatisticsEnvelope(reports[0]));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(connector->LogCount("upstream_sent"), 0);

  ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  ASSERT_EQ(gateway_->endpoint(), gateway_endpoint);
  auto samr = Console("samr-console", schema::Role::REGULATOR, 10);
  ASSERT_TRUE(samr);
  std::vector<MessageId> received;
  ASSERT_TRUE(WaitFor(
      [&] {
        Result<std::optional<protocol::DecodedFrame>> f = samr->Receive(100);
        if (f.ok() && f->has_value() && (*f)->get().which() == Frame::DELIVER) {
          auto d = (*f)->get().getDeliver();
          EXPECT_EQ(d.getKind(), schema::MessageKind::COMPLAINT_STATISTICS);
          received.push_back(protocol::FromWire(d.getMessageId()));
        }
        return received.size() >= 3;
      },
      30'000))
      << connector->Log();
  EXPECT_EQ(received, reports);
  // The gateway sends DELIVER in the same breath as CONFIRM, so the
  // connector may log the last confirmation just after samr has the report.
  EXPECT_TRUE(WaitFor([&] { return connector->LogCount("upstream_sent") == 3; }, 10'000)) << connector->Log();
}

TEST_F(ConnectorUpstreamTest, TheLocalEndpointRefusesWhatIsNotTheConnectorsToForward) {
  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto tool = Tool(*connector);
  ASSERT_TRUE(tool);
  // Someone else's report.
  std::string foreign = connector::testing::MakeEnvelope(
      "kuaishou", MessageId{7, 1}, {"samr-console"}, schema::MessageKind::COMPLAINT_STATISTICS,
      connector::testing::SamplePayload(schema::MessageKind::COMPLAINT_STATISTICS));
  EXPECT_EQ(tool->Submit(foreign).status().code(), StatusCode::kPermissionDenied);
  // A directive is not a platform's to send.
  std::string directive =
      connector::testing::MakeEnvelope("douyin", MessageId{7, 2}, {"samr-console"}, schema::MessageKind::DIRECTIVE,
                                       connector::testing::SamplePayload(schema::MessageKind::DIRECTIVE));
  EXPECT_EQ(tool->Submit(directive).status().code(), StatusCode::kPermissionDenied);
  // Acknowledgements travel as ACK frames.
  std::string ack = connector::testing::MakeEnvelope("douyin", MessageId{7, 3}, {"samr-console"},
                                                     schema::MessageKind::ACKNOWLEDGEMENT, "x");
  EXPECT_EQ(tool->Submit(ack).status().code(), StatusCode::kInvalidArgument);
  // A stage for a message the connector never received.
  protocol::AckRequest unknown;
  unknown.message_id = MessageId{7, 4};
  unknown.stage = schema::AckStage::COMPLETED;
  EXPECT_EQ(tool->Ack(unknown).status().code(), StatusCode::kNotFound);
  // Bytes that are not a frame get MALFORMED_FRAME, and the endpoint goes on.
  testing::RawPeer raw(ctx_, connector->endpoint());
  raw.SendBytes("garbage!");
  std::optional<protocol::DecodedFrame> answer = raw.Next();
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(answer->get().which(), Frame::ERROR);
  EXPECT_EQ(answer->get().getError().getCode(), schema::ErrorCode::MALFORMED_FRAME);
  EXPECT_TRUE(tool->Submit(connector::testing::ComplaintStatisticsEnvelope(MessageId{7, 5})).ok());
}

TEST_F(ConnectorUpstreamTest, AStageSetByHandReachesTheGateway) {
  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  MessageId id = SubmitDirective(*samr, 1);
  ASSERT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << connector->Log();

  auto tool = Tool(*connector);
  ASSERT_TRUE(tool);
  protocol::AckRequest done;
  done.delivery_seq = 1;
  done.message_id = id;
  done.stage = schema::AckStage::COMPLETED;
  Result<protocol::AckReceiptInfo> receipt = tool->Ack(done);
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_FALSE(receipt->duplicate);
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::COMPLETED, 20'000)) << connector->Log();
  EXPECT_TRUE(tool->Ack(done)->duplicate);
  done.stage = schema::AckStage::REJECTED;
  // Completed and rejected exclude each other; like the gateway, the local
  // endpoint says so with INVALID_ARGUMENT ("failed_precondition: ...").
  Result<protocol::AckReceiptInfo> conflict = tool->Ack(done);
  EXPECT_EQ(conflict.status().code(), StatusCode::kInvalidArgument) << conflict.status().ToString();
  EXPECT_NE(conflict.status().message().find("already completed"), std::string::npos);
}

class ConnectorCommandLineTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), REGLINE_CONNECTOR_BINARY);
    return testing::RunToCompletion(args, output_path());
  }
  std::string Output() const { return testing::ReadFile(output_path()); }
  std::filesystem::path output_path() const { return dir_.path() / "output"; }
  regline::testing::TempDir dir_;
};

TEST_F(ConnectorCommandLineTest, VersionAndHelpExitZero) {
  EXPECT_EQ(Run({"--version"}), 0);
  EXPECT_NE(Output().find("regline-connector "), std::string::npos);
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_NE(Output().find("--check-config"), std::string::npos);
  EXPECT_EQ(Run({"--no-such-flag"}), 1);
}

TEST_F(ConnectorCommandLineTest, CheckConfigNamesTheFileLineAndKeyAndExitsTwo) {
  const std::string bad = (dir_.path() / "bad.toml").string();
  std::ofstream(bad) << "[connector]\nidentity = \"douyin\"\n[gateway]\ncredit_windw = 5\n[sink]\ntype = \"spool\"\n"
                        "directory = \"/tmp/x\"\n";
  EXPECT_EQ(Run({"--check-config", "-c", bad}), 2);
  EXPECT_NE(Output().find(bad + ":4: gateway.credit_windw: unknown key"), std::string::npos) << Output();
  // The shipped example, beside the key files and registry it names.
  const std::filesystem::path example = dir_.path() / "regline-connector.toml";
  std::filesystem::copy_file(REGLINE_CONNECTOR_EXAMPLE_CONFIG, example);
  connector::testing::WriteSecurityFiles(dir_.path());
  EXPECT_EQ(Run({"--check-config", "-c", example.string()}), 0) << Output();
}

TEST_F(ConnectorCommandLineTest, ASecondConnectorOnTheSameDataDirectoryExitsThree) {
  testing::ConnectorProcess first(REGLINE_CONNECTOR_BINARY, dir_.path() / "c", "tcp://127.0.0.1:1");
  ASSERT_TRUE(first.Start()) << first.Log();
  EXPECT_EQ(Run({"-c", first.config_path().string()}), 3);
  EXPECT_NE(Output().find("another regline-connector"), std::string::npos) << Output();
  int status = first.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << first.Log();
}

}  // namespace
}  // namespace regline
