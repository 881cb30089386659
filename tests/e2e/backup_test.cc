// Backups end to end: the real `reglinectl backup` copies a real gateway's
// store while a regulator keeps submitting directives to a platform whose
// connector is not running; `reglinectl restore` puts the copy into a new
// data directory (and refuses the running gateway's); a new gateway started
// on it delivers to the platform's real connector exactly the messages the
// backup held as pending, each once and in order, and its audit chain
// verifies.
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/test_envelopes.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/test_util.h"
#include "tests/e2e/connector_process.h"

namespace regline {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunToCompletion;
using testing::SpoolFiles;
using testing::WaitFor;

MessageId DirectiveId(uint64_t n) { return MessageId{0x0190000000000000 + n, 0xba000000 + n}; }

// Submits directives 1, 2, 3, ... from samr-console to douyin, one at a
// time, until stopped (or `limit`); confirmed() is the last one the gateway
// confirmed, so every directive up to it is durable there.
class DirectiveLoad {
 public:
  DirectiveLoad(testing::GatewayProcess& gateway, zmq::context_t& ctx, uint64_t limit) {
    thread_ = std::thread([this, &gateway, &ctx, limit] {
      std::unique_ptr<protocol::Client> console = gateway.Connect(ctx, "samr-console", schema::Role::REGULATOR);
      if (!console) return;
      for (uint64_t n = 1; n <= limit && !stop_.load(); ++n) {
        Result<protocol::ConfirmInfo> confirm = console->Submit(connector::testing::DirectiveEnvelope(DirectiveId(n)));
        if (!confirm.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          error_ = confirm.status().ToString();
          return;
        }
        confirmed_.store(n);
      }
    });
  }
  ~DirectiveLoad() { Stop(); }

  uint64_t confirmed() const { return confirmed_.load(); }
  // Stops and waits for the submission in progress; returns the last
  // directive confirmed.
  uint64_t Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return confirmed_.load();
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  std::atomic<uint64_t> confirmed_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards error_
  std::string error_;
  std::thread thread_;
};

class BackupE2eTest : public ::testing::Test {
 protected:
  // reglinectl with `args`; its exit code, its output in `output`.
  int Ctl(const std::vector<std::string>& args, std::string* output) {
    std::vector<std::string> argv = {REGLINECTL};
    argv.insert(argv.end(), args.begin(), args.end());
    const fs::path out = dir_.path() / "ctl.out";
    int code = RunToCompletion(argv, out);
    *output = ReadFile(out);
    return code;
  }

  // douyin's pending deliveries in a store file, oldest first, as ids.
  static std::vector<std::string> PendingForDouyin(const std::string& path) {
    std::vector<std::string> ids;
    Result<Database> db = Database::OpenReadOnly(path);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return ids;
    Result<Statement> st = db->Prepare(
        "SELECT m.message_id FROM deliveries d JOIN messages m ON m.seq = d.message_seq "
        "WHERE d.recipient = 'douyin' AND d.state IN (0, 1) ORDER BY m.seq");
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (!st.ok()) return ids;
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok() || !*row) break;
      std::span<const uint8_t> blob = st->ColumnBlob(0);
      Result<MessageId> id = MessageId::FromBytes(blob.data(), blob.size());
      ids.push_back(id.ok() ? id->ToHex() : "unreadable");
    }
    return ids;
  }

  static std::string IntegrityCheck(const std::string& path) {
    Result<Database> db = Database::OpenReadOnly(path);
    if (!db.ok()) return db.status().ToString();
    Result<Statement> st = db->Prepare("PRAGMA integrity_check");
    if (!st.ok() || !st->Step().ok()) return "integrity_check did not run";
    return st->ColumnText(0);
  }

  static std::vector<std::string> SpoolIds(const fs::path& spool) {
    std::vector<std::string> ids;
    for (const auto& name : SpoolFiles(spool)) {
      nlohmann::json j = nlohmann::json::parse(ReadFile(spool / name), nullptr, false);
      ids.push_back(j.is_object() ? j.value("id", std::string("unreadable")) : std::string("unreadable"));
    }
    return ids;
  }

  const std::string REGLINECTL = REGLINE_CTL_BINARY;
  testing::TempDir dir_;
  zmq::context_t ctx_;
};

TEST_F(BackupE2eTest, ABackupUnderLoadRestoresIntoANewGatewayThatDeliversWhatWasPending) {
  fs::create_directories(dir_.path() / "old");
  testing::GatewayProcess old_gateway(REGLINE_GATEWAY_BINARY, dir_.path() / "old");
  ASSERT_TRUE(old_gateway.Start()) << old_gateway.Log();
  const std::string backup = (dir_.path() / "gateway-backup.db").string();

  DirectiveLoad load(old_gateway, ctx_, 5000);
  ASSERT_TRUE(WaitFor([&] { return load.confirmed() >= 100; }, 60'000)) << load.error() << old_gateway.Log();
  const uint64_t before = load.confirmed();
  std::string output;
  const int code = Ctl({"--json", "backup", backup, "--data-dir", old_gateway.data_dir().string()}, &output);
  const uint64_t after = load.confirmed();
  // Submissions go on after the backup, and none of them is in it.
  EXPECT_TRUE(WaitFor([&] { return load.confirmed() >= after + 20; }, 30'000)) << load.error();
  const uint64_t last = load.Stop();
  ASSERT_EQ(code, 0) << output;
  EXPECT_EQ(load.error(), "");

  nlohmann::json report = nlohmann::json::parse(output, nullptr, false);
  ASSERT_TRUE(report.is_object()) << output;
  const uint64_t pending = report.value("pending", uint64_t{0});
  EXPECT_GE(pending, before);
  EXPECT_LE(pending, after);
  EXPECT_LT(pending, last);
  EXPECT_EQ(report.value("messages", uint64_t{0}), pending);
  RecordProperty("confirmed_before_backup", static_cast<int>(before));
  RecordProperty("in_backup", static_cast<int>(pending));
  RecordProperty("confirmed_after_backup", static_cast<int>(after));
  RecordProperty("confirmed_in_all", static_cast<int>(last));
  EXPECT_EQ(IntegrityCheck(backup), "ok");
  // Directives 1..pending, the ones confirmed before the backup's snapshot.
  std::vector<std::string> expected;
  for (uint64_t n = 1; n <= pending; ++n) expected.push_back(DirectiveId(n).ToHex());
  EXPECT_EQ(PendingForDouyin(backup), expected);

  // The running gateway's data directory is not restored into.
  EXPECT_EQ(Ctl({"restore", backup, "--data-dir", old_gateway.data_dir().string(), "--force"}, &output), 1);
  EXPECT_NE(output.find("a gateway is running"), std::string::npos) << output;
  old_gateway.Kill(SIGTERM);

  // A new gateway on a new data directory, restored from the backup.
  fs::create_directories(dir_.path() / "new");
  testing::GatewayProcess new_gateway(REGLINE_GATEWAY_BINARY, dir_.path() / "new");
  ASSERT_EQ(Ctl({"restore", backup, "--data-dir", new_gateway.data_dir().string()}, &output), 0) << output;
  EXPECT_NE(output.find("restored as"), std::string::npos) << output;
  ASSERT_TRUE(new_gateway.Start()) << new_gateway.Log();

  testing::ConnectorProcess connector(REGLINE_CONNECTOR_BINARY, dir_.path() / "connector", new_gateway.endpoint());
  ASSERT_TRUE(connector.Start()) << connector.Log();
  ASSERT_TRUE(WaitFor([&] { return SpoolFiles(connector.spool_dir()).size() >= pending; }, 240'000))
      << SpoolFiles(connector.spool_dir()).size() << " of " << pending << " delivered\n"
      << connector.Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nothing more may arrive

  EXPECT_EQ(SpoolIds(connector.spool_dir()), expected);
  std::vector<std::string> files = SpoolFiles(connector.spool_dir());
  for (size_t i = 0; i < files.size(); ++i) {
    ASSERT_EQ(std::stoull(files[i].substr(0, 20)), i + 1) << files[i];
  }
  connector.Kill(SIGTERM);
  new_gateway.Kill(SIGTERM);
  EXPECT_EQ(Ctl({"audit", "verify", "--data-dir", new_gateway.data_dir().string()}, &output), 0) << output;
}

TEST_F(BackupE2eTest, AnExistingBackupIsNotOverwrittenWithoutForce) {
  fs::create_directories(dir_.path() / "gw");
  testing::GatewayProcess gateway(REGLINE_GATEWAY_BINARY, dir_.path() / "gw");
  ASSERT_TRUE(gateway.Start()) << gateway.Log();
  const std::string backup = (dir_.path() / "backup.db").string();
  { std::ofstream(backup) << "yesterday"; }
  std::string output;
  EXPECT_EQ(Ctl({"backup", backup, "--data-dir", gateway.data_dir().string()}, &output), 1);
  EXPECT_NE(output.find("--force"), std::string::npos) << output;
  EXPECT_EQ(ReadFile(backup), "yesterday");
  EXPECT_EQ(Ctl({"backup", backup, "--data-dir", gateway.data_dir().string(), "--force"}, &output), 0) << output;
  EXPECT_NE(output.find("SCHEMA"), std::string::npos) << output;
  EXPECT_EQ(IntegrityCheck(backup), "ok");
}

}  // namespace
}  // namespace regline
