// Evidence end to end: a real CURVE gateway with a registry file keeps a
// directive signed with SM2-SM3 and the platform's Ed25519-signed
// acknowledgements; the real `reglinectl evidence export` bundles them; the
// bundle's VERIFY.sh checks every signature with the stock openssl tool,
// and fails once a single byte of the signed payload is changed.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "gateway/core/test_util.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/client.h"
#include "schemas/acknowledgement.capnp.h"
#include "schemas/schema_samples.h"
#include "tests/e2e/secure_gateway.h"

namespace regline {
namespace {

namespace fs = std::filesystem;
using crypto::SignatureAlgorithm;
using schema::MessageKind;

struct ShellRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` with sh, capturing what it prints.
ShellRun Shell(const std::string& command) {
  ShellRun r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_.Add("samr-console", identity::Role::kRegulator, "SAMR", SignatureAlgorithm::kSm2Sm3);
    gateway_.Add("douyin", identity::Role::kPlatform, "", SignatureAlgorithm::kEd25519);
    ASSERT_TRUE(gateway_.Start()) << gateway_.process().Log();
  }

  std::unique_ptr<protocol::Client> Connect(const std::string& name, uint32_t credit = 0) {
    return gateway_.Connect(ctx_, name, credit);
  }

  // An envelope of `kind` from `from` carrying `payload`, signed by `from`.
  std::string Signed(const std::string& from, MessageId id, const std::string& to, MessageKind kind,
                     const std::string& payload, MessageId correlation = {}) {
    return gateway_.Envelope(from, id, {to}, kind, payload, correlation);
  }

  // douyin's ACK of the directive at `stage`, with its signed Acknowledgement.
  protocol::AckRequest SignedAck(const MessageId& directive, uint64_t delivery_seq, schema::AckStage stage,
                                 uint64_t n) {
    capnp::MallocMessageBuilder m;
    auto a = m.initRoot<schema::Acknowledgement>();
    protocol::ToWire(directive, a.initMessageId());
    a.setOriginalSender("samr-console");
    a.setOriginalKind(MessageKind::DIRECTIVE);
    a.setStage(stage);
    a.setAtMs(schema::samples::kIssuedMs + static_cast<int64_t>(n) * 1000);
    if (stage == schema::AckStage::COMPLETED) a.setActionsTaken("broadcast suspended");
    protocol::AckRequest ack;
    ack.delivery_seq = delivery_seq;
    ack.message_id = directive;
    ack.stage = stage;
    ack.acknowledgement = Signed("douyin", MessageId{0xac, n}, "samr-console", MessageKind::ACKNOWLEDGEMENT,
                                 protocol::Encode(m), directive);
    return ack;
  }

  // reglinectl evidence export of `id` into `out`, from the data dir and
  // the registry file, or (`from_config`) from what the gateway's config names.
  ShellRun Export(const MessageId& id, const fs::path& out, bool from_config = false) {
    std::string sources = from_config ? " --gateway-config " + (gateway_.process().dir() / "gateway.toml").string()
                                      : " --data-dir " + gateway_.process().data_dir().string() + " --registry " +
                                            gateway_.registry_path();
    return Shell(std::string(REGLINE_CTL_BINARY) + " --json evidence export " + id.ToHex() + sources + " --out " +
                 out.string());
  }

  testing::TempDir dir_;
  zmq::context_t ctx_;
  testing::SecureGateway gateway_{REGLINE_GATEWAY_BINARY, dir_.path()};
};

std::string DirectivePayload() {
  capnp::MallocMessageBuilder m;
  auto d = m.initRoot<schema::Directive>();
  schema::samples::BuildSuspendBroadcastDirectiveNow(d);
  return protocol::Encode(m);
}

std::string StatisticsPayload() {
  capnp::MallocMessageBuilder m;
  schema::samples::BuildComplaintStatistics(m.initRoot<schema::ComplaintStatistics>());
  return protocol::Encode(m);
}

TEST_F(EvidenceTest, AnExportedBundleIsCheckedByStockOpensslAndATamperedPayloadFails) {
  auto samr = Connect("samr-console");
  auto douyin = Connect("douyin", 10);
  ASSERT_TRUE(samr && douyin);
  const MessageId directive{0xd1, 1};
  const MessageId statistics{0xd1, 2};
  ASSERT_TRUE(samr->Submit(Signed("samr-console", directive, "douyin", MessageKind::DIRECTIVE, DirectivePayload()))
                  .ok());
  Result<protocol::ConfirmInfo> stats =
      douyin->Submit(Signed("douyin", statistics, "samr-console", MessageKind::COMPLAINT_STATISTICS,
                            StatisticsPayload()));
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  Result<std::optional<protocol::DecodedFrame>> delivered = douyin->Receive(5000);
  ASSERT_TRUE(delivered.ok() && delivered->has_value());
  ASSERT_EQ((*delivered)->get().which(), schema::Frame::DELIVER);
  const uint64_t delivery_seq = (*delivered)->get().getDeliver().getDeliverySeq();
  uint64_t n = 0;
  for (auto stage : {schema::AckStage::RECEIVED, schema::AckStage::ACCEPTED, schema::AckStage::COMPLETED}) {
    Result<protocol::AckReceiptInfo> r = douyin->Ack(SignedAck(directive, delivery_seq, stage, ++n));
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << gateway_.process().Log();
    EXPECT_FALSE(r->duplicate);
  }

  const fs::path out = dir_.path() / "bundle";
  ShellRun exported = Export(directive, out);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  nlohmann::json report = nlohmann::json::parse(exported.output);
  ASSERT_EQ(report["signatures"].size(), 4u) << exported.output;  // the directive and three acknowledgements
  for (const auto& s : report["signatures"]) EXPECT_TRUE(s["verified"].get<bool>()) << s.dump();
  for (const char* file : {"message/envelope.bin", "message/payload.bin", "message/signature.bin",
                           "message/signer.pub", "message/payload.json", "acknowledgements/douyin-received/payload.bin",
                           "acknowledgements/douyin-accepted/signer.pub", "acknowledgements/douyin-completed/payload.json",
                           "deliveries.json", "audit.txt", "VERIFY.sh", "MANIFEST.txt"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  nlohmann::json deliveries = nlohmann::json::parse(ReadFile(out / "deliveries.json"));
  ASSERT_EQ(deliveries["deliveries"].size(), 1u);
  EXPECT_EQ(deliveries["deliveries"][0]["state"], "completed");
  EXPECT_FALSE(deliveries["deliveries"][0]["accepted_ms"].is_null());
  EXPECT_NE(ReadFile(out / "message/payload.json").find("suspendBroadcast"), std::string::npos);
  EXPECT_NE(ReadFile(out / "VERIFY.sh").find("-digest sm3 -pkeyopt distid:1234567812345678"), std::string::npos);
  EXPECT_NE(ReadFile(out / "audit.txt").find("acknowledged recipient=douyin"), std::string::npos);

  ShellRun verified = Shell("cd " + out.string() + " && sh VERIFY.sh");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_EQ(Count(verified.output, "Signature Verified Successfully"), 4u) << verified.output;
  ShellRun manifest = Shell("cd " + out.string() + " && sha256sum -c --quiet MANIFEST.txt");
  EXPECT_EQ(manifest.exit_code, 0) << manifest.output;

  // One flipped byte of the signed directive: openssl refuses it, VERIFY.sh fails.
  std::string payload = ReadFile(out / "message/payload.bin");
  ASSERT_FALSE(payload.empty());
  payload[payload.size() / 2] ^= 0x01;
  std::ofstream(out / "message/payload.bin", std::ios::binary | std::ios::trunc) << payload;
  ShellRun tampered = Shell("cd " + out.string() + " && sh VERIFY.sh");
  EXPECT_NE(tampered.exit_code, 0) << tampered.output;
  EXPECT_EQ(Count(tampered.output, "Signature Verification Failure"), 1u) << tampered.output;
  EXPECT_EQ(Count(tampered.output, "Signature Verified Successfully"), 3u) << tampered.output;
}

TEST_F(EvidenceTest, AnEd25519SignedReportIsExportedFromTheGatewayConfigAndVerified) {
  auto douyin = Connect("douyin");
  ASSERT_TRUE(douyin);
  const MessageId statistics{0xd2, 1};
  ASSERT_TRUE(douyin->Submit(Signed("douyin", statistics, "samr-console", MessageKind::COMPLAINT_STATISTICS,
                                    StatisticsPayload()))
                  .ok());
  const fs::path out = dir_.path() / "report";
  ShellRun exported = Export(statistics, out, /*from_config=*/true);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_FALSE(fs::exists(out / "acknowledgements"));  // nobody acknowledged it yet
  ShellRun verified = Shell("sh " + (out / "VERIFY.sh").string());
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_EQ(Count(verified.output, "Signature Verified Successfully"), 1u) << verified.output;
}

TEST_F(EvidenceTest, ExportRefusesANonEmptyDirectoryAndAnUnknownMessage) {
  const fs::path out = dir_.path() / "taken";
  fs::create_directories(out);
  std::ofstream(out / "note.txt") << "keep me";
  auto samr = Connect("samr-console");
  ASSERT_TRUE(samr);
  const MessageId directive{0xd3, 1};
  ASSERT_TRUE(samr->Submit(Signed("samr-console", directive, "douyin", MessageKind::DIRECTIVE, DirectivePayload()))
                  .ok());
  ShellRun taken = Export(directive, out);
  EXPECT_EQ(taken.exit_code, 1) << taken.output;
  EXPECT_NE(taken.output.find("is not empty"), std::string::npos) << taken.output;
  ShellRun unknown = Export(MessageId{0xd3, 99}, dir_.path() / "unknown");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("no message"), std::string::npos) << unknown.output;
  EXPECT_FALSE(fs::exists(dir_.path() / "unknown"));
}

}  // namespace
}  // namespace regline
