// A third party checks Regline's signatures with the stock `openssl` tool,
// and Regline checks the tool's: the commands here are the ones
// docs/evidence.md gives, word for word.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "gateway/core/test_util.h"
#include "gateway/crypto/key_files.h"
#include "gateway/crypto/signing.h"

namespace regline::crypto {
namespace {

const std::string kOpenssl = REGLINE_OPENSSL_CLI;
const std::string kEvidence = "{\"message\":\"0190a1b2c3d4e5f61122334455667788\",\"action\":\"suspend-broadcast\"}";

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` with sh in `dir`.
CommandRun RunShell(const std::string& dir, const std::string& command) {
  CommandRun run;
  FILE* pipe = ::popen(("cd '" + dir + "' && " + command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) run.output.append(buf, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The verify command of docs/evidence.md for `algorithm`, with the tool's path.
std::string VerifyCommand(SignatureAlgorithm algorithm) {
  if (algorithm == SignatureAlgorithm::kEd25519) {
    return kOpenssl + " pkeyutl -verify -pubin -inkey signer.pub -rawin -in data.bin -sigfile data.sig";
  }
  return kOpenssl +
         " pkeyutl -verify -pubin -inkey signer.pub -rawin -digest sm3 -pkeyopt distid:1234567812345678"
         " -in data.bin -sigfile data.sig";
}

class CryptoOpensslCliTest : public ::testing::TestWithParam<SignatureAlgorithm> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(kOpenssl.empty()) << "no openssl tool found at configure time (scripts/setup.sh installs it)";
    Result<PrivateKey> key = PrivateKey::Generate(GetParam());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_.emplace(std::move(key).value());
    ASSERT_TRUE(WriteNewFile(dir_.File("signer.pub"), key_->public_key().Pem(), 0644).ok());
  }
  std::string Path(const std::string& name) const { return dir_.File(name); }

  testing::TempDir dir_;
  std::optional<PrivateKey> key_;
};

INSTANTIATE_TEST_SUITE_P(Algorithms, CryptoOpensslCliTest,
                         ::testing::Values(SignatureAlgorithm::kEd25519, SignatureAlgorithm::kSm2Sm3),
                         [](const auto& info) {
                           return info.param == SignatureAlgorithm::kEd25519 ? "Ed25519" : "Sm2Sm3";
                         });

TEST_P(CryptoOpensslCliTest, OpensslVerifiesOurSignatureAndRefusesTamperedData) {
  Result<std::string> signature = key_->Sign(kEvidence);
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  ASSERT_TRUE(WriteNewFile(Path("data.bin"), kEvidence, 0644).ok());
  ASSERT_TRUE(WriteNewFile(Path("data.sig"), *signature, 0644).ok());

  CommandRun good = RunShell(dir_.path().string(), VerifyCommand(GetParam()));
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("Signature Verified Successfully"), std::string::npos) << good.output;

  std::string tampered = kEvidence;
  tampered[tampered.find("suspend")] = 'S';
  ASSERT_EQ(std::remove(Path("data.bin").c_str()), 0);
  ASSERT_TRUE(WriteNewFile(Path("data.bin"), tampered, 0644).ok());
  CommandRun bad = RunShell(dir_.path().string(), VerifyCommand(GetParam()));
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_NE(bad.output.find("Signature Verification Failure"), std::string::npos) << bad.output;
}

TEST_P(CryptoOpensslCliTest, OpensslComputesTheSameFingerprint) {
  CommandRun run = RunShell(dir_.path().string(), kOpenssl + " pkey -pubin -in signer.pub -outform DER | sha256sum");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ("sha256:" + run.output.substr(0, 64), key_->public_key().Fingerprint()) << run.output;
}

// The other direction: what the tool signs, we verify; for SM2 only with
// the same distinguishing id.
TEST_P(CryptoOpensslCliTest, WeVerifyOpensslsSignature) {
  ASSERT_TRUE(WriteNewFile(Path("signer.key"), key_->Pem(), 0600).ok());
  ASSERT_TRUE(WriteNewFile(Path("data.bin"), kEvidence, 0644).ok());
  std::string options =
      GetParam() == SignatureAlgorithm::kSm2Sm3 ? " -digest sm3 -pkeyopt distid:1234567812345678" : "";
  CommandRun sign = RunShell(dir_.path().string(), kOpenssl + " pkeyutl -sign -inkey signer.key -rawin" + options +
                                                       " -in data.bin -out tool.sig");
  ASSERT_EQ(sign.exit_code, 0) << sign.output;
  Result<std::string> signature = ReadSmallFile(Path("tool.sig"), FileSecrecy::kPublic);
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  EXPECT_TRUE(key_->public_key().Verify(kEvidence, *signature).ok());
}

TEST(CryptoOpensslCliSm2Test, SignatureWithAnotherDistinguishingIdDoesNotVerify) {
  ASSERT_FALSE(kOpenssl.empty()) << "no openssl tool found at configure time (scripts/setup.sh installs it)";
  testing::TempDir dir;
  Result<PrivateKey> key = PrivateKey::Generate(SignatureAlgorithm::kSm2Sm3);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(WriteNewFile(dir.File("signer.key"), key->Pem(), 0600).ok());
  ASSERT_TRUE(WriteNewFile(dir.File("data.bin"), kEvidence, 0644).ok());
  for (std::string options : {" -digest sm3", " -digest sm3 -pkeyopt distid:1234567812345679"}) {
    std::remove(dir.File("tool.sig").c_str());
    CommandRun sign = RunShell(dir.path().string(), kOpenssl + " pkeyutl -sign -inkey signer.key -rawin" + options +
                                                        " -in data.bin -out tool.sig");
    ASSERT_EQ(sign.exit_code, 0) << sign.output;
    Result<std::string> signature = ReadSmallFile(dir.File("tool.sig"), FileSecrecy::kPublic);
    ASSERT_TRUE(signature.ok());
    EXPECT_EQ(key->public_key().Verify(kEvidence, *signature).code(), StatusCode::kInvalidSignature) << options;
  }
}

}  // namespace
}  // namespace regline::crypto
