// systemd: the daemons speak the notification protocol (READY, STATUS,
// WATCHDOG, STOPPING) to a NOTIFY_SOCKET the test binds, and the unit files
// in systemd/ pass `systemd-analyze verify` and rate at exposure 2.0 or
// better in `systemd-analyze security --offline=yes`.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdlib>
#include <regex>

#include "connectors/test_envelopes.h"
#include "gateway/core/test_util.h"
#include "gateway/protocol/client.h"
#include "tests/e2e/connector_process.h"
#include "tests/e2e/full_disk.h"

namespace regline {
namespace {

// A datagram socket at <dir>/notify.sock, set as NOTIFY_SOCKET (with a
// 200 ms WATCHDOG_USEC unless `watchdog` is false) for the processes
// started while it lives.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& dir, bool watchdog = true)
      : path_((dir / "notify.sock").string()) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    if (watchdog) setenv("WATCHDOG_USEC", "200000", 1);
  }
  ~NotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }

  // Datagrams received until one contains `want` (kept in `seen`), or 10 s.
  bool WaitFor(const std::string& want, std::vector<std::string>& seen) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      timeval tv{0, 100'000};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      seen.emplace_back(buf, static_cast<size_t>(n));
      if (seen.back().find(want) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
};

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += "[" + s + "] ";
  return out;
}

int Count(const std::vector<std::string>& v, const std::string& what) {
  int n = 0;
  for (const auto& s : v) n += s.find(what) != std::string::npos;
  return n;
}

TEST(ServiceNotifyTest, TheGatewaySaysReadyPingsTheWatchdogAndSaysStopping) {
  testing::TempDir dir;
  NotifySocket notify(dir.path());
  ASSERT_TRUE(notify.ok()) << std::strerror(errno);
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path() / "gateway");
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.WaitFor("READY=1", seen)) << Joined(seen);
  EXPECT_NE(seen.back().find("STATUS=serving tcp://127.0.0.1:"), std::string::npos) << Joined(seen);
  // WATCHDOG_USEC = 200 ms: a ping about every 100 ms.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", seen)) << Joined(seen);
  gateway.Kill(SIGTERM);
  ASSERT_TRUE(notify.WaitFor("STOPPING=1", seen)) << Joined(seen);
  EXPECT_EQ(Count(seen, "READY=1"), 1) << Joined(seen);
}

// Without a watchdog (no WatchdogSec=, so no pings to carry it) the
// status line still follows what changes: here the session count.
TEST(ServiceNotifyTest, WithoutAWatchdogTheGatewaysStatusFollowsItsSessions) {
  testing::TempDir dir;
  NotifySocket notify(dir.path(), /*watchdog=*/false);
  ASSERT_TRUE(notify.ok()) << std::strerror(errno);
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path() / "gateway");
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.WaitFor("READY=1", seen)) << Joined(seen);
  EXPECT_NE(seen.back().find(", 0 session(s)"), std::string::npos) << Joined(seen);
  zmq::context_t ctx;
  std::unique_ptr<protocol::Client> samr =
      testing::TestClient(ctx, gateway.endpoint(), "samr-console", schema::Role::REGULATOR);
  ASSERT_TRUE(samr);
  ASSERT_TRUE(notify.WaitFor(", 1 session(s)", seen)) << Joined(seen);
  EXPECT_EQ(seen.back().rfind("STATUS=serving tcp://127.0.0.1:", 0), 0u) << Joined(seen);
  samr->Close("done");
  ASSERT_TRUE(notify.WaitFor(", 0 session(s)", seen)) << Joined(seen);
  EXPECT_EQ(Count(seen, "WATCHDOG=1"), 0) << Joined(seen);
  gateway.Kill(SIGTERM);
}

TEST(ServiceNotifyTest, TheConnectorSaysReadyPingsTheWatchdogAndSaysStopping) {
  testing::TempDir dir;
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path() / "gateway");
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  NotifySocket notify(dir.path());
  ASSERT_TRUE(notify.ok()) << std::strerror(errno);
  testing::ConnectorProcess connector(REGLINE_CONNECTOR_BINARY, dir.path() / "connector", gateway.endpoint());
  ASSERT_TRUE(connector.Start()) << connector.Log();
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.WaitFor("READY=1", seen)) << Joined(seen);
  EXPECT_NE(seen.back().find("STATUS=douyin: gateway "), std::string::npos) << Joined(seen);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", seen)) << Joined(seen);
  connector.Kill(SIGTERM);
  ASSERT_TRUE(notify.WaitFor("STOPPING=1", seen)) << Joined(seen);
}

// After a failed sync of its outbox's log (the LD_PRELOADed injector of
// tests/e2e/fail_sync_shim.c) the connector's status line says so, and
// the link, which tries the fenced outbox once a second, logs it once.
TEST(ServiceNotifyTest, AConnectorWhoseSyncFailedSaysItRefusesEveryChange) {
  testing::TempDir dir;
  const std::filesystem::path gateway_dir = dir.path() / "gateway";
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, gateway_dir);
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  const std::string gateway_endpoint = gateway.endpoint();
  NotifySocket notify(dir.path());
  ASSERT_TRUE(notify.ok()) << std::strerror(errno);
  testing::ConnectorProcess connector(REGLINE_CONNECTOR_BINARY, dir.path() / "connector", gateway_endpoint);
  const std::filesystem::path trigger = dir.path() / "fail-sync";
  connector.SetEnv(testing::FailSyncEnv(REGLINE_FAIL_SYNC_SHIM, trigger));
  ASSERT_TRUE(connector.Start()) << connector.Log();
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.WaitFor("READY=1", seen)) << Joined(seen);

  // A report waits in the outbox while the gateway is down; the disk
  // fails; the gateway returns, and the link's lease of the report (a
  // write) meets the failed sync.
  gateway.Kill(SIGTERM);
  testing::PinGatewayEndpoint(gateway_dir, gateway_endpoint);
  zmq::context_t ctx;
  std::unique_ptr<protocol::Client> tool = testing::PlatformTool(ctx, connector.endpoint());
  ASSERT_TRUE(tool);
  Result<protocol::ConfirmInfo> report =
      tool->Submit(connector::testing::ComplaintStatisticsEnvelope(MessageId{0x0190deadbeef0000, 1}));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(Count(seen, "refusing every change"), 0) << Joined(seen);
  std::ofstream(trigger) << "fail\n";
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  ASSERT_TRUE(notify.WaitFor("refusing every change: a sync of its outbox failed", seen))
      << Joined(seen) << connector.Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(connector.LogCount("outbox_read_failed"), 1) << connector.Log();
  connector.Kill(SIGKILL);
}

// With its data directory full (a tmpfs the test fills), the connector's
// status line says it holds no session until the inbox takes writes, and
// says it serves again once there is room; with a watchdog (the pings
// carry the line) and without one.
class ConnectorFullDiskStatusTest : public ::testing::TestWithParam<bool> {};

TEST_P(ConnectorFullDiskStatusTest, AConnectorOnAFullDiskSaysItWaitsForRoom) {
  const bool watchdog = GetParam();
  testing::TempDir dir;
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir.path() / "gateway");
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  testing::TmpfsMount tmpfs(dir.path() / "connector" / "data", "8m");  // unmounted after the connector stops
  ASSERT_TRUE(tmpfs.mounted()) << tmpfs.error();
  NotifySocket notify(dir.path(), watchdog);
  ASSERT_TRUE(notify.ok()) << std::strerror(errno);
  testing::ConnectorProcess connector(REGLINE_CONNECTOR_BINARY, dir.path() / "connector", gateway.endpoint());
  ASSERT_TRUE(connector.Start()) << connector.Log();
  std::vector<std::string> seen;
  ASSERT_TRUE(notify.WaitFor("READY=1", seen)) << Joined(seen);
  ASSERT_TRUE(testing::WaitFor([&] { return connector.LogCount("session_started") >= 1; }, 10'000)) << connector.Log();

  const std::filesystem::path filler = testing::FillFileSystem(connector.data_dir());
  zmq::context_t ctx;
  std::unique_ptr<protocol::Client> samr =
      testing::TestClient(ctx, gateway.endpoint(), "samr-console", schema::Role::REGULATOR);
  ASSERT_TRUE(samr);
  Result<protocol::ConfirmInfo> confirm =
      samr->Submit(connector::testing::LargeDirectiveEnvelope(MessageId{0x0190000000000000, 0xd1}, 256 * 1024));
  ASSERT_TRUE(confirm.ok()) << confirm.status().ToString();
  ASSERT_TRUE(notify.WaitFor("no session with the gateway until the inbox takes writes again", seen))
      << Joined(seen) << connector.Log();
  EXPECT_NE(seen.back().find("no_space"), std::string::npos) << seen.back();
  // The status line comes before the link's first check of the disk (50 ms
  // later): room made before that check would be found at once, with no
  // "inbox_writable" to wait for.
  ASSERT_TRUE(testing::WaitFor([&] { return connector.LogCount("inbox_unwritable") >= 1; }, 10'000))
      << connector.Log();

  std::filesystem::remove(filler);
  ASSERT_TRUE(testing::WaitFor([&] { return connector.LogCount("inbox_writable") >= 1; }, 30'000)) << connector.Log();
  // The serving line again (every line since the wait began said "no
  // session").
  ASSERT_TRUE(notify.WaitFor("STATUS=douyin: gateway ", seen)) << Joined(seen);
  EXPECT_EQ(Count(seen, "WATCHDOG=1") > 0, watchdog) << Joined(seen);
  connector.Kill(SIGTERM);
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutAWatchdog, ConnectorFullDiskStatusTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Watchdog" : "NoWatchdog";
                         });

class SystemdUnitTest : public ::testing::Test {
 protected:
  // <unit> from systemd/ with the installed binary paths replaced by the
  // built ones (verify checks that ExecStart= is executable), saved as `as`.
  std::filesystem::path Prepared(const std::string& unit, const std::string& as) {
    std::string text = testing::ReadFile(std::filesystem::path(REGLINE_SOURCE_DIR) / "systemd" / unit);
    text = std::regex_replace(text, std::regex("/usr/bin/regline-gateway"), REGLINE_GATEWAY_BINARY);
    text = std::regex_replace(text, std::regex("/usr/bin/regline-connector"), REGLINE_CONNECTOR_BINARY);
    const auto path = dir_.path() / as;
    std::ofstream(path) << text;
    return path;
  }
  // Runs systemd-analyze with `args`; its exit status, output in `output`.
  int Analyze(std::vector<std::string> args, std::string& output) {
    args.insert(args.begin(), kAnalyze);
    const int rc = testing::RunToCompletion(args, dir_.path() / "analyze.log");
    output = testing::ReadFile(dir_.path() / "analyze.log");
    return rc;
  }
  static constexpr const char* kAnalyze = "/usr/bin/systemd-analyze";  // Debian's systemd (scripts/setup.sh)
  testing::TempDir dir_;
};

TEST_F(SystemdUnitTest, UnitsVerifyCleanly) {
  for (const auto& [unit, as] :
       {std::pair<std::string, std::string>{"regline-gateway.service", "regline-gateway.service"},
        {"regline-connector@.service", "regline-connector@douyin.service"}}) {
    std::string output;
    EXPECT_EQ(Analyze({"verify", Prepared(unit, as).string()}, output), 0) << unit << ":\n" << output;
    EXPECT_EQ(output, "") << unit << ": verify printed warnings";
  }
}

TEST_F(SystemdUnitTest, TheGatewayUnitRatesAtExposureTwoOrBetter) {
  std::string version;
  ASSERT_EQ(Analyze({"--version"}, version), 0) << version;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(version, m, std::regex(R"(systemd (\d+))"))) << version;
  if (std::stoi(m[1]) < 250) {
    GTEST_SKIP() << "systemd " << m[1] << " has no `systemd-analyze security --offline` (250 and later do); "
                 << "the unit's hardening was not rated here";
  }
  for (const auto& [unit, as] :
       {std::pair<std::string, std::string>{"regline-gateway.service", "regline-gateway.service"},
        {"regline-connector@.service", "regline-connector@douyin.service"}}) {
    std::string output;
    ASSERT_EQ(Analyze({"security", "--offline=yes", Prepared(unit, as).string()}, output), 0) << output;
    ASSERT_TRUE(std::regex_search(output, m, std::regex(R"(Overall exposure level for \S+: (\d+\.\d+))"))) << output;
    EXPECT_LE(std::stod(m[1]), 2.0) << unit << ":\n" << output;
  }
}

}  // namespace
}  // namespace regline
