// The gateway SIGKILLed at random moments while a regulator submits, many
// times over, with a real platform connector taking deliveries into its
// spool: every message the gateway confirmed reaches the spool exactly once;
// nothing is lost, nothing is handed to the platform twice.
//
// REGLINE_FAULT_ROUNDS (default 12) sets the number of kills; the seed of
// the kill times is printed (REGLINE_FAULT_SEED repeats it).
#include <random>
#include <thread>

#include "tests/e2e/connector_harness.h"

namespace regline::testing {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

class GatewayKillTest : public ConnectorHarness {};

TEST_F(GatewayKillTest, EveryConfirmedMessageReachesTheSpoolExactlyOnce) {
  const int rounds = EnvInt("REGLINE_FAULT_ROUNDS", 12);
  const unsigned seed = static_cast<unsigned>(EnvInt("REGLINE_FAULT_SEED", static_cast<int>(std::random_device{}())));
  std::mt19937 rng(seed);
  std::printf("gateway kill test: %d rounds, seed %u\n", rounds, seed);

  auto connector = MakeConnector();
  ASSERT_TRUE(connector->Start()) << connector->Log();
  const std::string endpoint = gateway_->endpoint();
  testing::PinGatewayEndpoint(gateway_dir(), endpoint);  // restarts come back on the same port

  std::set<std::string> confirmed;
  uint64_t next = 1;
  int rounds_with_confirms = 0;
  for (int round = 0; round < rounds; ++round) {
    protocol::ClientOptions o;
    o.endpoint = endpoint;
    o.identity = "samr-console";
    o.role = schema::Role::REGULATOR;
    o.timeout_ms = 1000;  // a dead gateway fails the next submission quickly
    Result<std::unique_ptr<protocol::Client>> console = protocol::Client::Connect(ctx_, o);
    ASSERT_TRUE(console.ok()) << "round " << round << ": " << console.status().ToString() << "\n" << gateway_->Log();

    const int kill_after_ms = std::uniform_int_distribution<int>(30, 300)(rng);
    std::thread killer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
      gateway_->Kill(SIGKILL);
    });
    size_t before = confirmed.size();
    for (;;) {
      MessageId id{0x0190000000000000 + next, 0xfa000000 + next};
      ++next;
      Result<protocol::ConfirmInfo> c = (*console)->Submit(connector::testing::DirectiveEnvelope(id));
      if (!c.ok()) break;  // the gateway died under this submission: it may or may not be stored
      confirmed.insert(id.ToHex());
    }
    killer.join();
    if (confirmed.size() > before) ++rounds_with_confirms;
    ASSERT_TRUE(gateway_->Start()) << "round " << round << ": restart failed\n" << gateway_->Log();
  }
  ASSERT_GE(rounds_with_confirms, rounds / 2) << "most kills came before any submission was confirmed";

  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<std::string> ids = SpoolIds(connector->spool_dir());
        std::set<std::string> have(ids.begin(), ids.end());
        return std::includes(have.begin(), have.end(), confirmed.begin(), confirmed.end());
      },
      120'000))
      << "confirmed messages missing from the spool\n"
      << connector->Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // anything late would show now
  std::vector<std::string> ids = SpoolIds(connector->spool_dir());
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "a message reached the platform twice";
  for (const auto& id : confirmed) EXPECT_EQ(unique.count(id), 1u) << id;
  std::printf("gateway kill test: %zu confirmed, %zu in the spool (the rest were in flight at a kill)\n",
              confirmed.size(), ids.size());
  RecordProperty("confirmed", static_cast<int>(confirmed.size()));
}

}  // namespace
}  // namespace regline::testing
