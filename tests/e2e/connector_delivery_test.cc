// The real regline-connector between the real regline-gateway and a spool
// (or a command): every message reaches the platform's systems exactly
// once and in order, across an offline platform, a SIGKILL and a SIGTERM,
// and the gateway hears how far the platform got.
#include <set>

#include "tests/e2e/connector_harness.h"

namespace regline {
namespace {

using schema::DeliveryState;
using testing::SpoolFiles;
using testing::WaitFor;

class ConnectorDeliveryTest : public testing::ConnectorHarness {};

TEST_F(ConnectorDeliveryTest, ADirectiveArrivesInTheSpoolOnceAndIsAcceptedAtTheGateway) {
  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  MessageId id = SubmitDirective(*samr, 1);

  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() == 1; }, 20'000)) << connector->Log();
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << connector->Log();

  std::vector<std::string> files = SpoolFiles(connector->spool_dir());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], "00000000000000000001-" + id.ToHex() + ".json");
  nlohmann::json j = nlohmann::json::parse(testing::ReadFile(connector->spool_dir() / files[0]));
  EXPECT_EQ(j["id"], id.ToHex());
  EXPECT_EQ(j["sender"], "samr-console");
  EXPECT_EQ(j["kind"], "directive");
  EXPECT_EQ(j["deliverySeq"], 1);
  EXPECT_EQ(j["payload"]["action"], "suspendBroadcast");
  EXPECT_EQ(j["payload"]["subject"]["liveRoom"]["roomId"], "8812");

  // Resubmitting the same envelope changes nothing downstream.
  ASSERT_TRUE(samr->Submit(connector::testing::DirectiveEnvelope(id)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(SpoolFiles(connector->spool_dir()).size(), 1u);
}

TEST_F(ConnectorDeliveryTest, AnOfflinePlatformGetsEverythingInOrderWhenItStarts) {
  auto samr = Console();
  ASSERT_TRUE(samr);
  std::vector<std::string> sent;
  for (uint64_t n = 1; n <= 50; ++n) sent.push_back(SubmitDirective(*samr, n).ToHex());

  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() >= 50; }, 60'000))
      << SpoolFiles(connector->spool_dir()).size() << " files\n"
      << connector->Log();
  EXPECT_EQ(SpoolIds(connector->spool_dir()), sent);
  std::vector<std::string> files = SpoolFiles(connector->spool_dir());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(std::stoull(files[i].substr(0, 20)), i + 1) << files[i];
  }
  MessageId last{0x0190000000000000 + 50, 0xd1000000 + 50};
  EXPECT_TRUE(WaitForState(*samr, last, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
}

TEST_F(ConnectorDeliveryTest, ASigkillMidStreamLeavesEachMessageOnceInTheSpoolAfterRestart) {
  constexpr uint64_t kMessages = 500;
  auto samr = Console();
  ASSERT_TRUE(samr);
  std::set<std::string> sent;
  for (uint64_t n = 1; n <= kMessages; ++n) sent.insert(SubmitDirective(*samr, n).ToHex());

  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() >= 120; }, 120'000)) << connector->Log();
  connector->Kill(SIGKILL);
  const size_t at_kill = SpoolFiles(connector->spool_dir()).size();
  EXPECT_LT(at_kill, kMessages) << "the kill came too late to test anything";

  ASSERT_TRUE(connector->Start()) << connector->Log();
  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() >= kMessages; }, 240'000))
      << SpoolFiles(connector->spool_dir()).size() << " files\n"
      << connector->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nothing more may arrive

  std::vector<std::string> ids = SpoolIds(connector->spool_dir());
  EXPECT_EQ(ids.size(), kMessages);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), sent);
  std::vector<std::string> files = SpoolFiles(connector->spool_dir());
  for (size_t i = 0; i < files.size(); ++i) {
    ASSERT_EQ(std::stoull(files[i].substr(0, 20)), i + 1) << files[i];
  }
  MessageId last{0x0190000000000000 + kMessages, 0xd1000000 + kMessages};
  EXPECT_TRUE(WaitForState(*samr, last, DeliveryState::ACCEPTED, 30'000)) << connector->Log();
  RecordProperty("files_at_kill", static_cast<int>(at_kill));
}

TEST_F(ConnectorDeliveryTest, AGatewayCrashIsResumedWithoutLossOrDuplicates) {
  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  std::vector<std::string> sent;
  {
    auto samr = Console();
    ASSERT_TRUE(samr);
    for (uint64_t n = 1; n <= 20; ++n) sent.push_back(SubmitDirective(*samr, n).ToHex());
  }
  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() >= 20; }, 30'000)) << connector->Log();

  const std::string endpoint = gateway_->endpoint();
  gateway_->Kill(SIGKILL);
  testing::PinGatewayEndpoint(gateway_dir(), endpoint);
  ASSERT_TRUE(gateway_->Start()) << gateway_->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  for (uint64_t n = 21; n <= 40; ++n) sent.push_back(SubmitDirective(*samr, n).ToHex());

  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() >= 40; }, 60'000)) << connector->Log();
  MessageId last{0x0190000000000000 + 40, 0xd1000000 + 40};
  EXPECT_TRUE(WaitForState(*samr, last, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
  // Whether the link noticed the silence and started a new session, or the
  // client library answered the new gateway's UNAUTHENTICATED with a fresh
  // HELLO on its own, every message is there once, in order.
  EXPECT_EQ(SpoolIds(connector->spool_dir()), sent);
}

TEST_F(ConnectorDeliveryTest, SigtermDrainsAndExitsZero) {
  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  MessageId id = SubmitDirective(*samr, 1);
  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() == 1; }, 20'000)) << connector->Log();
  int status = connector->Kill(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << connector->Log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << connector->Log();
  EXPECT_EQ(connector->LogCount("connector_stopped"), 1) << connector->Log();
  // The acknowledgement of what the sink took went out before the exit.
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 5'000)) << connector->Log();
}

// With a spool sink the link is the inbox's one writer while the session
// is up: the sink worker's outcomes go into its writes, and the connector
// says so when it stops.
TEST_F(ConnectorDeliveryTest, TheSinksOutcomesAreWrittenByTheLinkWhileTheSessionIsUp) {
  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  std::vector<MessageId> ids;
  for (uint64_t n = 1; n <= 5; ++n) {
    ids.push_back(SubmitDirective(*samr, n));
    ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector->spool_dir()).size() == n; }, 20'000)) << connector->Log();
  }
  for (const MessageId& id : ids)
    EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
  int status = connector->Kill(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << connector->Log();
  const std::string log = connector->Log();
  const size_t at = log.find("outcome_batches_by_link=");
  ASSERT_NE(at, std::string::npos) << log;
  const int by_link = std::atoi(log.c_str() + at + std::string("outcome_batches_by_link=").size());
  // Five messages one after another: five batches, each handed to a link
  // that was serving; a stalled link could leave a few to the worker, not all.
  EXPECT_GE(by_link, 1) << log;
}

TEST_F(ConnectorDeliveryTest, ACommandRejectionReachesTheGatewayWithItsReason) {
  const std::string script = (connector_dir() / "intake.sh").string();
  std::filesystem::create_directories(connector_dir());
  std::ofstream(script) << "#!/bin/sh\ncat >/dev/null\necho 'rejected: live room 8812 does not exist'\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto connector = MakeConnector("type = \"command\"\nargv = [\"" + script + "\"]\ntimeout_ms = 5000\n");
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  MessageId id = SubmitDirective(*samr, 1);
  std::string reason;
  EXPECT_TRUE(WaitForState(*samr, id, DeliveryState::REJECTED, 20'000, &reason)) << connector->Log();
  EXPECT_EQ(reason, "live room 8812 does not exist");
}

}  // namespace
}  // namespace regline
