// The reglinectl command line end to end: in process against the fake
// gateway, and the built binary as a child process.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "ctl/app.h"
#include "ctl/testing/fake_gateway.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"

extern char** environ;

namespace regline::ctl {
namespace {

using schema::Frame;
using testing::FakeGateway;

constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the command line in this process with a fake clock.
CliRun RunInProcess(std::vector<std::string> args) {
  FakeClock clock(kNow);
  std::ostringstream out, err;
  CliRun run;
  {
    Console console(out, err, clock);
    run.exit_code = RunCommandLine(console, std::move(args), out, err);
  }
  run.out = out.str();
  run.err = err.str();
  return run;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the built reglinectl with `args`, stdout and stderr to files.
CliRun RunBinary(const std::vector<std::string>& args) {
  const std::string out_path = "/tmp/ctl_cli_out_" + std::to_string(getpid());
  const std::string err_path = "/tmp/ctl_cli_err_" + std::to_string(getpid());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv = {const_cast<char*>(REGLINECTL_PATH)};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  CliRun run;
  if (posix_spawn(&pid, REGLINECTL_PATH, &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  run.out = ReadAll(out_path);
  run.err = ReadAll(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return run;
}

// Confirms every SUBMIT with gateway seq 42 for its envelope's id.
std::vector<std::string> ConfirmSubmits(Frame::Reader f) {
  std::vector<std::string> out;
  if (!f.isSubmit()) return out;
  auto bytes = f.getSubmit().getEnvelope();
  Result<protocol::DecodedEnvelope> env = protocol::DecodedEnvelope::Parse(
      std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()), 1 << 24);
  MessageId id = env.ok() ? protocol::FromWire(env->get().getId()) : MessageId{};
  out.push_back(FakeGateway::Confirm(f.getSubmit().getRequestTag(), id, 42, false, {"douyin"}));
  return out;
}

const std::vector<std::string> kDirectiveFlags = {"directive",
                                                  "send",
                                                  "--to",
                                                  "douyin",
                                                  "--action",
                                                  "suspend-broadcast",
                                                  "--subject-kind",
                                                  "live-room",
                                                  "--subject-id",
                                                  "8812",
                                                  "--department",
                                                  "SAMR",
                                                  "--article",
                                                  "18",
                                                  "--severity",
                                                  "high",
                                                  "--ack-within",
                                                  "10m",
                                                  "--complete-within",
                                                  "4h",
                                                  "--rationale",
                                                  "False claims about a health food"};

std::vector<std::string> With(std::vector<std::string> global, const std::vector<std::string>& command) {
  global.insert(global.end(), command.begin(), command.end());
  return global;
}

TEST(CtlCliTest, DirectiveSendSubmitsTheDirectiveAndPrintsTheConfirmation) {
  FakeGateway gateway(&ConfirmSubmits);
  gateway.Start();
  CliRun run = RunInProcess(With({"--gateway", gateway.endpoint(), "--identity", "samr-console"}, kDirectiveFlags));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("gateway seq 42"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("kind        directive"), std::string::npos) << run.out;

  ASSERT_EQ(gateway.Count(Frame::SUBMIT), 1u);
  protocol::DecodedFrame submit = gateway.ReceivedFrame(1);
  auto bytes = submit.get().getSubmit().getEnvelope();
  Result<Submission> s = protocol::ToSubmission(
      std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()), "samr-console", 1 << 24);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->recipients, std::vector<std::string>{"douyin"});
  EXPECT_EQ(s->created_ms, kNow);
  EXPECT_NE(run.out.find(s->id.ToHex()), std::string::npos);
  EXPECT_EQ(gateway.ReceivedFrame(0).get().getHello().getRole(), schema::Role::REGULATOR);
}

TEST(CtlCliTest, JsonOutputIsOneObject) {
  FakeGateway gateway(&ConfirmSubmits);
  gateway.Start();
  CliRun run =
      RunInProcess(With({"--gateway", gateway.endpoint(), "--identity", "samr-console", "--json"}, kDirectiveFlags));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["gateway_seq"], 42);
  EXPECT_EQ(j["duplicate"], false);
  EXPECT_EQ(j["message_id"].get<std::string>().size(), 32u);
}

TEST(CtlCliTest, GlobalOptionsMayFollowTheSubcommand) {
  FakeGateway gateway(&ConfirmSubmits);
  gateway.Start();
  CliRun run = RunInProcess(With(kDirectiveFlags, {"--gateway", gateway.endpoint(), "--identity", "samr-console"}));
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(CtlCliTest, RefusalExitsThreeWithTheCodeNameAndTextOnStderr) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isSubmit()) {
      out.push_back(FakeGateway::Error(f.getSubmit().getRequestTag(), schema::ErrorCode::OVERLOADED,
                                       "overloaded: queue douyin is full", 2000));
    }
    return out;
  });
  gateway.Start();
  CliRun run = RunInProcess(With({"--gateway", gateway.endpoint(), "--identity", "samr-console"}, kDirectiveFlags));
  EXPECT_EQ(run.exit_code, kExitRefused);
  EXPECT_EQ(run.err, "reglinectl: refused by the gateway: overloaded: queue douyin is full (retry after 2s)\n");
  EXPECT_EQ(run.out, "");
}

TEST(CtlCliTest, RefusedHelloExitsThree) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) out.push_back(FakeGateway::Error(0, schema::ErrorCode::UNAUTHENTICATED, "unknown key"));
    return out;
  });
  gateway.Start();
  CliRun run = RunInProcess({"--gateway", gateway.endpoint(), "--identity", "samr-console", "--json", "queues"});
  EXPECT_EQ(run.exit_code, kExitRefused);
  EXPECT_EQ(run.err, "reglinectl: refused by the gateway: unauthenticated: unknown key\n");
  nlohmann::json j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["error"]["code"], "unauthenticated");
  EXPECT_EQ(j["exit_code"], 3);
}

TEST(CtlCliTest, ARoleMismatchWithADefaultedRoleGetsAHint) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (f.isHello()) {
      out.push_back(FakeGateway::Error(0, schema::ErrorCode::PERMISSION_DENIED,
                                       "permission_denied: identity 'ops-1' is registered as regulator"));
    }
    return out;
  });
  gateway.Start();
  CliRun run = RunInProcess({"--gateway", gateway.endpoint(), "--identity", "ops-1", "dead-letters"});
  EXPECT_EQ(run.exit_code, kExitRefused);
  EXPECT_EQ(run.err,
            "reglinectl: refused by the gateway: permission_denied: identity 'ops-1' is registered as regulator\n"
            "reglinectl: hint: --role was operator, this command's usual sender; give --role if yours differs\n");
  EXPECT_EQ(gateway.ReceivedFrame(0).get().getHello().getRole(), schema::Role::GATEWAY_OPERATOR);
}

TEST(CtlCliTest, StatusPrintsOneLinePerRecipient) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (!f.isQuery() || !f.getQuery().isMessageStatus()) return out;
    capnp::MallocMessageBuilder m;
    auto result = m.initRoot<Frame>().initQueryResult();
    result.setRequestTag(f.getQuery().getRequestTag());
    auto status = result.initMessageStatus();
    status.setMessageId(f.getQuery().getMessageStatus());
    status.setKind(schema::MessageKind::DIRECTIVE);
    auto lines = status.initRecipients(2);
    lines[0].setRecipient("douyin");
    lines[0].setState(schema::DeliveryState::IN_FLIGHT);
    lines[1].setRecipient("kuaishou");
    lines[1].setState(schema::DeliveryState::DEAD_LETTERED);
    out.push_back(protocol::Encode(m));
    return out;
  });
  gateway.Start();
  CliRun run = RunInProcess(
      {"--gateway", gateway.endpoint(), "--identity", "samr-console", "status", "0190a1b2c3d4e5f61122334455667788"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("message 0190a1b2c3d4e5f61122334455667788  directive"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("douyin     in-flight"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("kuaishou   dead-lettered"), std::string::npos) << run.out;
}

TEST(CtlCliTest, UsageErrorsExitOneWithoutContactingTheGateway) {
  FakeGateway gateway(&ConfirmSubmits);
  gateway.Start();
  std::vector<std::string> flags = kDirectiveFlags;
  flags[5] = "suspend";  // --action
  CliRun run = RunInProcess(With({"--gateway", gateway.endpoint(), "--identity", "samr-console"}, flags));
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_TRUE(run.err.starts_with("reglinectl: --action: 'suspend' is not one of")) << run.err;
  EXPECT_EQ(gateway.Count(Frame::HELLO), 0u);

  CliRun unknown = RunInProcess({"--identity", "samr-console", "queues", "--frobnicate"});
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_NE(unknown.err.find("--frobnicate"), std::string::npos) << unknown.err;

  CliRun no_identity = RunInProcess({"--gateway", gateway.endpoint(), "queues"});
  EXPECT_EQ(no_identity.exit_code, kExitUsage);
  EXPECT_EQ(no_identity.err, "reglinectl: --identity is required (or set REGLINE_IDENTITY)\n");

  CliRun mixed = RunInProcess(
      {"--identity", "x", "directive", "send", "--to", "douyin", "--file", "d.json", "--action", "close-account"});
  EXPECT_EQ(mixed.exit_code, kExitUsage);
  EXPECT_EQ(mixed.err, "reglinectl: --file replaces the payload flags; drop --action or --file\n");
}

TEST(CtlCliTest, MalformedInputFileExitsOneNamingTheFileAndTheField) {
  const std::string path = "/tmp/ctl_cli_directive_" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << R"({"action":"suspendBroadcast","legalBasis":[{"article":"eighteen"}]})";
  CliRun run = RunInProcess({"--identity", "samr-console", "directive", "send", "--to", "douyin", "--file", path});
  std::remove(path.c_str());
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_EQ(run.err, "reglinectl: " + path + ": legalBasis[0].article: \"eighteen\" is not an integer\n");
}

TEST(CtlCliTest, PlatformCommandsDefaultToThePlatformRole) {
  FakeGateway gateway([](Frame::Reader f) {
    std::vector<std::string> out;
    if (!f.isAck()) return out;
    capnp::MallocMessageBuilder m;
    auto receipt = m.initRoot<Frame>().initAckReceipt();
    receipt.setRequestTag(f.getAck().getRequestTag());
    receipt.setMessageId(f.getAck().getMessageId());
    receipt.setStage(f.getAck().getStage());
    out.push_back(protocol::Encode(m));
    return out;
  });
  gateway.Start();
  CliRun run =
      RunInProcess({"--gateway", gateway.endpoint(), "--identity", "douyin", "ack", "0190a1b2c3d4e5f61122334455667788",
                    "--stage", "accepted", "--original-sender", "samr-console"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("stage    accepted"), std::string::npos) << run.out;
  EXPECT_EQ(gateway.ReceivedFrame(0).get().getHello().getRole(), schema::Role::PLATFORM);
  protocol::DecodedFrame second = gateway.ReceivedFrame(1);
  auto ack = second.get().getAck();
  EXPECT_EQ(ack.getStage(), schema::AckStage::ACCEPTED);
  EXPECT_GT(ack.getAcknowledgement().size(), 0u);
}

TEST(CtlCliTest, BinaryExitsTwoWithinTheTimeoutWhenTheGatewayIsUnreachable) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  auto start = std::chrono::steady_clock::now();
  CliRun run = RunBinary({"--gateway", endpoint, "--identity", "samr-console", "--timeout", "500", "queues"});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(run.err,
            "reglinectl: gateway unreachable: gateway at " + endpoint + " did not answer HELLO within 500 ms\n");
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(CtlCliTest, BinaryHelpListsTheExitCodes) {
  CliRun run = RunBinary({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.out.find("Exit codes:"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("refused by the gateway"), std::string::npos);
  CliRun sub = RunBinary({"directive", "send", "--help"});
  EXPECT_EQ(sub.exit_code, 0);
  EXPECT_NE(sub.out.find("--ack-within"), std::string::npos) << sub.out;
  CliRun version = RunBinary({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.out.starts_with("reglinectl ")) << version.out;
}

TEST(CtlCliTest, BinaryUsageErrorExitsOne) {
  CliRun run = RunBinary({"directive", "send", "--to", "douyin", "--action", "nap", "--identity", "x"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("--action: 'nap'"), std::string::npos) << run.err;
}

// audit verify reads a store file; these make one with a few audit entries.
class CtlAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.path = path_;
    Result<std::unique_ptr<Store>> store = Store::Open(options, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 1; i <= 5; ++i) {
      ASSERT_TRUE((*store)->AppendAudit("policy_reloaded", "policy.toml", "version=" + std::to_string(i)).ok());
    }
    head_ = std::to_string((*store)->AuditLogHead().seq) + ":" + AuditHashHex((*store)->AuditLogHead().hash);
  }

  void Tamper(const std::string& sql) {
    Result<Database> db = Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec(sql).ok()) << sql;
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.File("gateway.db");
  FakeClock clock_{kNow};
  std::string head_;  // "5:<hash>"
};

TEST_F(CtlAuditTest, VerifyOfAnIntactChainExitsZeroAndPrintsTheHead) {
  CliRun run = RunInProcess({"audit", "verify", "--db", path_});
  EXPECT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.out, "audit chain intact: 5 entries\nhead: " + head_ +
                         "\n(record it; check against it later with --expect-head)\n");
  CliRun by_dir = RunInProcess({"audit", "verify", "--data-dir", dir_.path().string(), "--expect-head", head_});
  EXPECT_EQ(by_dir.exit_code, kExitOk) << by_dir.err;
}

TEST_F(CtlAuditTest, VerifyOfAnEditedChainExitsFiveNamingTheEntry) {
  Tamper("UPDATE audit_log SET detail = 'version=9' WHERE seq = 3");
  CliRun run = RunInProcess({"audit", "verify", "--db", path_});
  EXPECT_EQ(run.exit_code, kExitTampered);
  EXPECT_TRUE(run.out.starts_with("audit chain BROKEN: entry 3: hash does not match its contents (edited)\n"))
      << run.out;
}

TEST_F(CtlAuditTest, VerifyFindsACutOffTailOnlyWithTheRecordedHead) {
  Tamper("DELETE FROM audit_log WHERE seq = 5");
  EXPECT_EQ(RunInProcess({"audit", "verify", "--db", path_}).exit_code, kExitOk);
  CliRun run = RunInProcess({"--json", "audit", "verify", "--db", path_, "--expect-head", head_});
  EXPECT_EQ(run.exit_code, kExitTampered);
  nlohmann::json out = nlohmann::json::parse(run.out);
  EXPECT_EQ(out["intact"], false);
  EXPECT_EQ(out["first_broken"], 5);
  EXPECT_EQ(out["checked"], 4);
  EXPECT_EQ(out["head"]["seq"], 4);
}

TEST_F(CtlAuditTest, VerifyOfSomethingElseIsAUsageErrorNamingTheFile) {
  CliRun absent = RunInProcess({"audit", "verify", "--db", dir_.File("absent.db")});
  EXPECT_EQ(absent.exit_code, kExitUsage);
  EXPECT_NE(absent.err.find("--db " + dir_.File("absent.db")), std::string::npos) << absent.err;
  EXPECT_EQ(RunInProcess({"audit", "verify"}).exit_code, kExitUsage);
  EXPECT_EQ(RunInProcess({"audit", "verify", "--db", path_, "--data-dir", "/tmp"}).exit_code, kExitUsage);
  CliRun bad_head = RunInProcess({"audit", "verify", "--db", path_, "--expect-head", "5:abc"});
  EXPECT_EQ(bad_head.exit_code, kExitUsage);
  EXPECT_NE(bad_head.err.find("--expect-head"), std::string::npos) << bad_head.err;
}

TEST_F(CtlAuditTest, BinaryVerifyExitsFiveOnABrokenChain) {
  Tamper("UPDATE audit_log SET seq = 10 WHERE seq = 2");
  CliRun run = RunBinary({"audit", "verify", "--db", path_});
  EXPECT_EQ(run.exit_code, 5) << run.out << run.err;
  EXPECT_NE(run.out.find("entry 2 missing (deleted)"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace regline::ctl
