// The negative catalog through the real regline-connector: versions reach
// the platform's spool strictly in order; a connector that finds a gap in
// the version chain parks the update, asks the gateway for a snapshot,
// takes it, and ends on the current version; the version it holds
// survives a restart.
#include "tests/e2e/connector_harness.h"

namespace regline {
namespace {

using connector::testing::CatalogUpdatePayload;
using connector::testing::MakeEnvelope;
using schema::DeliveryState;
using schema::MessageKind;
using testing::SpoolFiles;
using testing::WaitFor;

class ConnectorCatalogTest : public testing::ConnectorHarness {
 protected:
  // Publishes catalog version `version` on `base` from samr-console to
  // `platforms`; returns its id.
  MessageId Publish(protocol::Client& samr, uint64_t version, uint64_t base, const std::string& add,
                    std::vector<std::string> platforms) {
    MessageId id = MessageId::Generate(SystemClock().NowMs());
    Result<protocol::ConfirmInfo> confirm =
        samr.Submit(MakeEnvelope("samr-console", id, std::move(platforms), MessageKind::CATALOG_UPDATE,
                                 CatalogUpdatePayload(version, base, add)));
    EXPECT_TRUE(confirm.ok()) << confirm.status().ToString();
    return id;
  }

  // A running connector for douyin that has asked its first question: at
  // its start it holds no catalog version, so it asks for a snapshot.
  std::unique_ptr<testing::ConnectorProcess> StartConnector() {
    auto connector = MakeConnector();
    EXPECT_TRUE(connector->Start()) << connector->Log();
    EXPECT_TRUE(WaitFor([&] { return connector->LogCount("catalog_snapshot_requested") == 1; }, 20'000))
        << connector->Log();
    return connector;
  }

  // The spool's catalog messages in file order, as "update vN" / "snapshot
  // vN [ids...]".
  static std::vector<std::string> SpooledCatalog(const std::filesystem::path& spool) {
    std::vector<std::string> out;
    for (const auto& name : SpoolFiles(spool)) {
      nlohmann::json j = nlohmann::json::parse(testing::ReadFile(spool / name), nullptr, false);
      if (!j.is_object()) continue;
      const std::string kind = j.value("kind", "");
      if (kind == "catalogUpdate") {
        out.push_back("update v" + j["payload"].value("version", "?"));
      } else if (kind == "catalogSnapshot") {
        std::string line = "snapshot v" + j["payload"].value("version", "?");
        for (const auto& e : j["payload"]["entries"]) line += " " + e.value("id", "?");
        out.push_back(line);
      }
    }
    return out;
  }
};

TEST_F(ConnectorCatalogTest, UpdatesInOrderReachTheSpoolOneByOne) {
  // Nothing is held yet and the gateway has no catalog: the connector asks
  // and the gateway queues nothing.
  auto connector = StartConnector();
  ASSERT_FALSE(::testing::Test::HasFailure());
  auto samr = Console();
  ASSERT_TRUE(samr);
  EXPECT_NE(connector->Log().find("messages_queued=0"), std::string::npos) << connector->Log();

  Publish(*samr, 1, 0, "NC-0001", {"douyin"});
  MessageId v2 = Publish(*samr, 2, 1, "NC-0002", {"douyin"});
  ASSERT_TRUE(WaitForState(*samr, v2, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
  EXPECT_EQ(SpooledCatalog(connector->spool_dir()), (std::vector<std::string>{"update v1", "update v2"}));
  EXPECT_EQ(connector->LogCount("catalog_gap"), 0) << connector->Log();
  EXPECT_EQ(connector->LogCount("catalog_snapshot_requested"), 1) << connector->Log();

  // Only a platform may ask for a snapshot (it is queued for the asker).
  Result<protocol::DecodedFrame> refused =
      samr->Query([](schema::Query::Builder q) { q.initCatalogSnapshot().setHaveVersion(0); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(ConnectorCatalogTest, AGapParksTheUpdateFetchesASnapshotAndEndsOnTheCurrentVersion) {
  auto connector = StartConnector();
  ASSERT_FALSE(::testing::Test::HasFailure());
  auto samr = Console();
  ASSERT_TRUE(samr);

  // Version 1 never reaches douyin (addressed to kuaishou alone), so
  // version 2 arrives on a base douyin does not hold.
  Publish(*samr, 1, 0, "NC-0001", {"kuaishou"});
  MessageId v2 = Publish(*samr, 2, 1, "NC-0002", {"douyin", "kuaishou"});

  // The update is parked, a snapshot at v2 is asked for and taken, and the
  // parked update is then settled as covered, never handed to the spool.
  ASSERT_TRUE(WaitForState(*samr, v2, DeliveryState::COMPLETED, 20'000)) << connector->Log();
  EXPECT_EQ(connector->LogCount("catalog_covered"), 1) << connector->Log();
  EXPECT_EQ(connector->LogCount("catalog_gap"), 1) << connector->Log();
  EXPECT_NE(connector->Log().find("snapshot_version=2"), std::string::npos) << connector->Log();
  EXPECT_NE(gateway_->Log().find("event=catalog_snapshot_queued"), std::string::npos) << gateway_->Log();
  EXPECT_EQ(SpooledCatalog(connector->spool_dir()), (std::vector<std::string>{"snapshot v2 NC-0001 NC-0002"}));

  // The snapshot came from the gateway's own identity.
  std::vector<std::string> files = SpoolFiles(connector->spool_dir());
  ASSERT_EQ(files.size(), 1u);
  nlohmann::json snapshot = nlohmann::json::parse(testing::ReadFile(connector->spool_dir() / files[0]));
  EXPECT_EQ(snapshot["sender"], "regline-gateway");
  EXPECT_EQ(snapshot["recipients"], nlohmann::json::array({"douyin"}));

  // Later versions follow on from the snapshot.
  MessageId v3 = Publish(*samr, 3, 2, "NC-0003", {"douyin", "kuaishou"});
  ASSERT_TRUE(WaitForState(*samr, v3, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
  EXPECT_EQ(SpooledCatalog(connector->spool_dir()),
            (std::vector<std::string>{"snapshot v2 NC-0001 NC-0002", "update v3"}));
  EXPECT_NE(connector->Log().find("event=catalog_applied sink=spool version=3"), std::string::npos) << connector->Log();

  // The version held survives a restart: the next session asks nothing.
  ASSERT_EQ(connector->Kill(SIGTERM), 0);
  ASSERT_TRUE(connector->Start()) << connector->Log();
  EXPECT_TRUE(WaitFor([&] { return connector->LogCount("connector_started") == 2; }, 20'000)) << connector->Log();
  EXPECT_NE(connector->Log().find("catalog_version=3 catalog_parked=0"), std::string::npos) << connector->Log();
  MessageId v4 = Publish(*samr, 4, 3, "NC-0004", {"douyin", "kuaishou"});
  ASSERT_TRUE(WaitForState(*samr, v4, DeliveryState::ACCEPTED, 20'000)) << connector->Log();
  EXPECT_EQ(connector->LogCount("catalog_snapshot_requested"), 2) << connector->Log();  // both from the first run
  EXPECT_EQ(SpooledCatalog(connector->spool_dir()).back(), "update v4");
}

TEST_F(ConnectorCatalogTest, AConnectorStartingEmptyGetsTheCurrentCatalogAsOneSnapshot) {
  auto samr = Console();
  ASSERT_TRUE(samr);
  // Published before douyin existed for the catalog: addressed elsewhere.
  Publish(*samr, 1, 0, "NC-0001", {"kuaishou"});
  Publish(*samr, 2, 1, "NC-0002", {"kuaishou"});

  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  ASSERT_TRUE(WaitFor([&] { return !SpooledCatalog(connector->spool_dir()).empty(); }, 20'000)) << connector->Log();
  EXPECT_EQ(SpooledCatalog(connector->spool_dir()), (std::vector<std::string>{"snapshot v2 NC-0001 NC-0002"}));
  EXPECT_EQ(connector->LogCount("catalog_gap"), 0) << connector->Log();
}

}  // namespace
}  // namespace regline
