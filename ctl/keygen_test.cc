// reglinectl keygen in process: the files it writes, their modes, that it
// never overwrites, and that the keys in them work where they are used.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctl/app.h"
#include "ctl/testing/run_ctl.h"
#include "gateway/core/test_util.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/crypto/signing.h"

namespace regline::ctl {
namespace {

using cli_test::CtlRun;
using cli_test::FileContents;
using cli_test::RunCtl;

constexpr int64_t kNow = cli_test::kCtlTestNow;  // 2026-01-01T00:00:00Z

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::vector<std::string> FilesIn(const testing::TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

const std::vector<std::string> kAllFiles = {"douyin.curve.key", "douyin.curve.pub", "douyin.sign.key",
                                            "douyin.sign.pub"};

TEST(CtlKeygenTest, WritesFourFilesWithTheirModes) {
  testing::TempDir dir;
  CtlRun run = RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string()});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(FilesIn(dir), kAllFiles);
  EXPECT_EQ(ModeOf(dir.File("douyin.curve.key")), 0600u);
  EXPECT_EQ(ModeOf(dir.File("douyin.curve.pub")), 0644u);
  EXPECT_EQ(ModeOf(dir.File("douyin.sign.key")), 0600u);
  EXPECT_EQ(ModeOf(dir.File("douyin.sign.pub")), 0644u);
  for (const std::string& name : kAllFiles) EXPECT_NE(run.out.find(dir.File(name)), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("signing algorithm  ed25519"), std::string::npos) << run.out;
}

TEST(CtlKeygenTest, SigningKeySignsAndItsPublicFileVerifies) {
  for (std::string algorithm : {"ed25519", "sm2-sm3"}) {
    testing::TempDir dir;
    CtlRun run = RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string(), "--algorithm", algorithm});
    ASSERT_EQ(run.exit_code, kExitOk) << run.err;
    Result<crypto::PrivateKey> key = crypto::PrivateKey::ReadPemFile(dir.File("douyin.sign.key"));
    Result<crypto::PublicKey> public_key = crypto::PublicKey::ReadPemFile(dir.File("douyin.sign.pub"));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    ASSERT_TRUE(public_key.ok()) << public_key.status().ToString();
    EXPECT_EQ(crypto::SignatureAlgorithmName(key->algorithm()), algorithm);
    Result<std::string> signature = key->Sign("ack 0190a1b2c3d4e5f61122334455667788");
    ASSERT_TRUE(signature.ok());
    EXPECT_TRUE(public_key->Verify("ack 0190a1b2c3d4e5f61122334455667788", *signature).ok());
    EXPECT_NE(run.out.find("signing key        " + public_key->Fingerprint()), std::string::npos) << run.out;
  }
}

TEST(CtlKeygenTest, CurveKeyFileLoadsAsAKeyFileAndTheHalvesMatch) {
  testing::TempDir dir;
  CtlRun run = RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string()});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  Result<protocol::CurveKeys> keys = ReadKeyFile(dir.File("douyin.curve.key"), "server-key-is-not-checked-here");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  Result<std::string> derived = crypto::CurvePublicFromSecret(keys->client_secret);
  ASSERT_TRUE(derived.ok()) << derived.status().ToString();
  EXPECT_EQ(*derived, keys->client_public);
  std::string pub = FileContents(dir.File("douyin.curve.pub"));
  EXPECT_NE(pub.find("public_key = \"" + keys->client_public + "\"\n"), std::string::npos) << pub;
  EXPECT_EQ(pub.find("secret"), std::string::npos) << pub;
  EXPECT_TRUE(pub.starts_with("# ")) << pub;
  EXPECT_NE(run.out.find("curve public key   " + keys->client_public), std::string::npos) << run.out;
}

TEST(CtlKeygenTest, RefusesWhenAnyFileExistsAndWritesNothing) {
  testing::TempDir dir;
  std::ofstream(dir.File("douyin.sign.pub")) << "someone else's key\n";
  CtlRun run = RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string()});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_NE(run.err.find("refusing to overwrite " + dir.File("douyin.sign.pub")), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nothing written"), std::string::npos) << run.err;
  EXPECT_EQ(FilesIn(dir), std::vector<std::string>{"douyin.sign.pub"});
  EXPECT_EQ(FileContents(dir.File("douyin.sign.pub")), "someone else's key\n");
}

TEST(CtlKeygenTest, SecondRunRefusesAndLeavesTheFirstKeys) {
  testing::TempDir dir;
  ASSERT_EQ(RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string()}).exit_code, kExitOk);
  std::string first = FileContents(dir.File("douyin.curve.key"));
  CtlRun again = RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string(), "--curve-only"});
  EXPECT_EQ(again.exit_code, kExitUsage);
  EXPECT_EQ(FileContents(dir.File("douyin.curve.key")), first);
}

TEST(CtlKeygenTest, OnlyFlagsWriteHalfTheFiles) {
  testing::TempDir dir;
  ASSERT_EQ(RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string(), "--curve-only"}).exit_code, kExitOk);
  EXPECT_EQ(FilesIn(dir), (std::vector<std::string>{"douyin.curve.key", "douyin.curve.pub"}));
  // The signing half is still free to make.
  CtlRun signing = RunCtl({"keygen", "--name", "douyin", "--dir", dir.path().string(), "--signing-only"});
  ASSERT_EQ(signing.exit_code, kExitOk) << signing.err;
  EXPECT_EQ(FilesIn(dir), kAllFiles);
  EXPECT_EQ(signing.out.find("curve public key"), std::string::npos) << signing.out;
}

TEST(CtlKeygenTest, JsonNamesTheFilesAndKeys) {
  testing::TempDir dir;
  CtlRun run = RunCtl({"--json", "keygen", "--name", "douyin", "--dir", dir.path().string(), "--algorithm", "sm2-sm3"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  nlohmann::json out = nlohmann::json::parse(run.out);
  ASSERT_EQ(out["files"].size(), 4u);
  EXPECT_EQ(out["files"][0]["path"], dir.File("douyin.curve.key"));
  EXPECT_EQ(out["files"][0]["mode"], "0600");
  EXPECT_EQ(out["files"][3]["mode"], "0644");
  EXPECT_EQ(out["signing_algorithm"], "sm2-sm3");
  EXPECT_EQ(out["curve_public_key"].get<std::string>().size(), 40u);
  Result<crypto::PublicKey> public_key = crypto::PublicKey::ReadPemFile(dir.File("douyin.sign.pub"));
  ASSERT_TRUE(public_key.ok());
  EXPECT_EQ(out["signing_fingerprint"], public_key->Fingerprint());
}

TEST(CtlKeygenTest, BadFlagsExitOneAndWriteNothing) {
  testing::TempDir dir;
  const std::vector<std::vector<std::string>> bad = {
      {"keygen", "--name", "douyin", "--dir", dir.path().string(), "--algorithm", "rsa"},
      {"keygen", "--name", "../douyin", "--dir", dir.path().string()},
      {"keygen", "--name", ".hidden", "--dir", dir.path().string()},
      {"keygen", "--name", "douyin", "--dir", dir.path().string(), "--curve-only", "--signing-only"},
      {"keygen", "--name", "douyin", "--dir", dir.File("missing")},
      {"keygen", "--dir", dir.path().string()},
  };
  for (const std::vector<std::string>& args : bad) {
    CtlRun run = RunCtl(args);
    EXPECT_EQ(run.exit_code, kExitUsage) << args[2] << " " << run.err;
  }
  EXPECT_TRUE(FilesIn(dir).empty());
}

}  // namespace
}  // namespace regline::ctl
