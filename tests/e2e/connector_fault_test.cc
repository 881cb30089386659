// The real regline-connector on a failing disk, the gateway on a sound
// one. ConnectorSyncFailure: the LD_PRELOADed fault injector
// (fail_sync_shim.c) fails every sync of the connector's SQLite logs
// (inbox and outbox) while a trigger file exists. ConnectorDiskFull: the
// connector's data directory on a small tmpfs that the test fills.
#include <regex>
#include <set>

#include "tests/e2e/connector_harness.h"
#include "tests/e2e/full_disk.h"

namespace regline {
namespace {

using schema::Frame;
using testing::WaitFor;

class ConnectorSyncFailure : public testing::ConnectorHarness {
 protected:
  using ConnectorHarness::SpoolIds;
  void StartFailing(testing::ConnectorProcess& connector) {
    connector.SetEnv(testing::FailSyncEnv(REGLINE_FAIL_SYNC_SHIM, trigger()));
  }
  std::filesystem::path trigger() const { return connector_dir() / "fail-sync"; }

  // The reports samr has been delivered so far, in order; `until` returns
  // true to stop early.
  void CollectReports(protocol::Client& samr, std::vector<MessageId>& into, int timeout_ms,
                      const std::function<bool()>& until) {
    WaitFor(
        [&] {
          Result<std::optional<protocol::DecodedFrame>> f = samr.Receive(100);
          if (f.ok() && f->has_value() && (*f)->get().which() == Frame::DELIVER) {
            into.push_back(protocol::FromWire((*f)->get().getDeliver().getMessageId()));
          }
          return until();
        },
        timeout_ms);
  }
};

MessageId Report(uint64_t n) { return MessageId{0x0190deadbeef0000, n}; }

TEST_F(ConnectorSyncFailure, BothStoresRefuseUntilARestartAndNothingConfirmedIsLost) {
  auto connector = MakeConnector();
  StartFailing(*connector);
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console("samr-console", schema::Role::REGULATOR, 10);
  ASSERT_TRUE(samr);
  auto tool = Console("douyin", schema::Role::PLATFORM, 0, connector->endpoint());
  ASSERT_TRUE(tool);
  auto submit_report = [&](uint64_t n) {
    return tool->Submit(connector::testing::ComplaintStatisticsEnvelope(Report(n)));
  };

  // A sound disk first: a directive reaches the spool, a report the gateway.
  const MessageId d1 = SubmitDirective(*samr, 1);
  ASSERT_TRUE(WaitFor([&] { return SpoolIds(connector->spool_dir()).size() == 1; }, 20'000)) << connector->Log();
  Result<protocol::ConfirmInfo> r0 = submit_report(0);
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  std::vector<MessageId> reports;
  CollectReports(*samr, reports, 20'000, [&] { return !reports.empty(); });
  ASSERT_EQ(reports, std::vector<MessageId>{Report(0)}) << connector->Log();

  // The disk fails: a report is refused, not confirmed; a directive cannot
  // be stored, so it is not acknowledged and stays with the gateway.
  std::ofstream(trigger()) << "fail\n";
  Result<protocol::ConfirmInfo> r1 = submit_report(1);
  ASSERT_FALSE(r1.ok()) << "a report was confirmed although its sync failed";
  EXPECT_EQ(r1.status().code(), StatusCode::kIOError) << r1.status().ToString();
  const MessageId d2 = SubmitDirective(*samr, 2);
  ASSERT_TRUE(WaitFor([&] { return connector->LogCount("inbox_unwritable") >= 1; }, 20'000)) << connector->Log();
  EXPECT_EQ(connector->LogCount("inbox_fenced"), 1) << connector->Log();

  // The disk works again, but neither store trusts its log before a
  // restart: the connector stays up, holds no session (it would only take
  // deliveries it cannot store, spending their delivery attempts), and
  // refuses reports.
  std::filesystem::remove(trigger());
  const int sessions = connector->LogCount("session_started");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(connector->LogCount("session_started"), sessions) << connector->Log();
  EXPECT_EQ(SpoolIds(connector->spool_dir()), std::vector<std::string>{d1.ToHex()});
  Result<protocol::ConfirmInfo> r2 = submit_report(2);
  ASSERT_FALSE(r2.ok()) << "the outbox confirmed a report after a failed sync";
  EXPECT_EQ(r2.status().code(), StatusCode::kIOError);
  EXPECT_NE(r2.status().message().find("the connector's outbox takes no more changes until it is restarted"),
            std::string::npos)
      << r2.status().ToString();
  EXPECT_TRUE(connector->Running()) << connector->Log();
  EXPECT_EQ(connector->LogCount("store_fenced"), 1) << connector->Log();

  // A restart on the sound disk: the refused reports can be sent again,
  // and the gateway gets each report once.
  connector->Kill(SIGKILL);
  connector->SetEnv({});
  ASSERT_TRUE(connector->Start()) << connector->Log();
  tool = Console("douyin", schema::Role::PLATFORM, 0, connector->endpoint());
  ASSERT_TRUE(tool);
  // 1 was written before its sync failed and is whatever the disk kept
  // (a duplicate or new); 2 came after the fence and was rolled back.
  Result<protocol::ConfirmInfo> again1 = submit_report(1);
  ASSERT_TRUE(again1.ok()) << again1.status().ToString();
  Result<protocol::ConfirmInfo> again2 = submit_report(2);
  ASSERT_TRUE(again2.ok()) << again2.status().ToString();
  EXPECT_FALSE(again2->duplicate) << "a report refused after the fence was stored";
  Result<protocol::ConfirmInfo> again0 = submit_report(0);
  ASSERT_TRUE(again0.ok()) << again0.status().ToString();
  EXPECT_TRUE(again0->duplicate) << "a confirmed report was lost";
  ASSERT_TRUE(WaitFor([&] { return SpoolIds(connector->spool_dir()).size() >= 2; }, 30'000)) << connector->Log();
  CollectReports(*samr, reports, 30'000, [&] { return reports.size() >= 3; });
  CollectReports(*samr, reports, 1'000, [] { return false; });  // nothing more may arrive
  EXPECT_EQ(reports, (std::vector<MessageId>{Report(0), Report(1), Report(2)})) << connector->Log();
  EXPECT_EQ(SpoolIds(connector->spool_dir()), (std::vector<std::string>{d1.ToHex(), d2.ToHex()}));
}

class ConnectorDiskFull : public testing::ConnectorHarness {
 protected:
  using ConnectorHarness::SpoolIds;
};

// Deliveries that do not fit are not acknowledged and the connector holds
// no session until there is room again (so their delivery attempts at the
// gateway are not spent); then they arrive, once each and in order.
TEST_F(ConnectorDiskFull, DeliveriesWaitAtTheGatewayUntilThereIsRoomAndArriveOnce) {
  const std::filesystem::path data = connector_dir() / "data";
  testing::TmpfsMount tmpfs(data, "8m");  // before the connector: unmounted after it is killed
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();

  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  auto samr = Console();
  ASSERT_TRUE(samr);
  const MessageId d1 = SubmitDirective(*samr, 1);
  ASSERT_TRUE(WaitFor([&] { return SpoolIds(connector->spool_dir()).size() == 1; }, 20'000)) << connector->Log();

  const std::filesystem::path filler = testing::FillFileSystem(data);
  ASSERT_TRUE(std::filesystem::exists(filler));
  std::vector<std::string> sent = {d1.ToHex()};
  for (uint64_t n = 2; n <= 4; ++n) {
    MessageId id{0x0190000000000000 + n, 0xd1000000 + n};
    Result<protocol::ConfirmInfo> confirm = samr->Submit(connector::testing::LargeDirectiveEnvelope(id, 256 * 1024));
    ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
    sent.push_back(id.ToHex());
  }
  ASSERT_TRUE(WaitFor([&] { return connector->LogCount("inbox_unwritable") >= 1; }, 20'000)) << connector->Log();
  EXPECT_NE(connector->Log().find("no_space"), std::string::npos) << connector->Log();
  const int sessions = connector->LogCount("session_started");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(connector->LogCount("session_started"), sessions) << "sessions came and went on a full disk\n"
                                                              << connector->Log();
  EXPECT_EQ(SpoolIds(connector->spool_dir()), std::vector<std::string>{d1.ToHex()});
  EXPECT_TRUE(connector->Running()) << connector->Log();

  // Room again: the link checks, reconnects, and the deliveries arrive.
  std::filesystem::remove(filler);
  ASSERT_TRUE(WaitFor([&] { return SpoolIds(connector->spool_dir()).size() >= 4; }, 30'000)) << connector->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing more may arrive
  EXPECT_EQ(SpoolIds(connector->spool_dir()), sent);
  EXPECT_GE(connector->LogCount("inbox_writable"), 1) << connector->Log();
  EXPECT_EQ(connector->LogCount("inbox_fenced"), 0) << "a full disk is not a failed sync\n" << connector->Log();
  EXPECT_TRUE(
      WaitForState(*samr, MessageId{0x0190000000000000 + 4, 0xd1000000 + 4}, schema::DeliveryState::ACCEPTED, 20'000))
      << connector->Log();
  // The first session took the whole window; the one after the failed
  // store took one delivery first.
  const std::string log = gateway_->Log();
  std::vector<std::string> credits;  // of douyin's sessions, in order
  const std::regex started("event=session_started identity=douyin session=[0-9]+ credit=([0-9]+)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), started); it != std::sregex_iterator(); ++it) {
    credits.push_back((*it)[1]);
  }
  ASSERT_GE(credits.size(), 2u) << log;
  EXPECT_EQ(credits[0], "64") << "the harness's credit window\n" << log;
  EXPECT_EQ(credits[1], "1") << log;
}

}  // namespace
}  // namespace regline
