// reglinectl identity in process: keys made by keygen go into a registry
// file that the gateway's loader reads back, revocations included.
#include <gtest/gtest.h>

#include <sstream>

#include "ctl/app.h"
#include "ctl/testing/run_ctl.h"
#include "gateway/core/test_util.h"
#include "gateway/identity/registry.h"

namespace regline::ctl {
namespace {

using cli_test::CtlRun;
using cli_test::RunCtl;

constexpr int64_t kNow = cli_test::kCtlTestNow;  // 2026-01-01T00:00:00Z

class CtlIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"douyin", "samr"}) {
      CtlRun made = RunCtl({"keygen", "--name", name, "--dir", dir_.path().string(), "--algorithm",
                            std::string(name) == "samr" ? "sm2-sm3" : "ed25519"});
      ASSERT_EQ(made.exit_code, 0) << made.err;
    }
  }
  std::string Path(const std::string& file) const { return (dir_.path() / file).string(); }
  std::string registry() const { return Path("identities.toml"); }
  testing::TempDir dir_;
};

TEST_F(CtlIdentityTest, AddListAndRevokeRoundTripThroughTheRegistryFile) {
  CtlRun add = RunCtl({"identity", "add", "--registry", registry(), "--name", "douyin", "--role", "platform",
                       "--curve-key", Path("douyin.curve.pub"), "--signing-key", Path("douyin.sign.pub")});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  add = RunCtl({"identity", "add", "--registry", registry(), "--name", "samr-console", "--role", "regulator",
                "--department", "samr", "--curve-key", Path("samr.curve.pub"), "--signing-key", Path("samr.sign.pub")});
  ASSERT_EQ(add.exit_code, 0) << add.err;

  Result<identity::Registry> reg = identity::Registry::Load(registry());
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  const identity::Identity* samr = reg->Find("samr-console");
  ASSERT_NE(samr, nullptr);
  EXPECT_EQ(samr->department, "SAMR");
  EXPECT_EQ(samr->added_ms, kNow);
  ASSERT_EQ(samr->signing_keys.size(), 1u);
  EXPECT_EQ(samr->signing_keys[0].key.algorithm(), crypto::SignatureAlgorithm::kSm2Sm3);
  EXPECT_EQ(samr->curve_key.size(), 40u);

  CtlRun list = RunCtl({"identity", "list", "--registry", registry()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("samr-console  regulator  SAMR"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("(sm2-sm3)"), std::string::npos) << list.out;

  CtlRun revoke = RunCtl({"identity", "revoke", "--registry", registry(), "douyin"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  reg = identity::Registry::Load(registry());
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->Find("douyin")->revoked_ms, kNow);
  EXPECT_TRUE(reg->Find("douyin")->signing_keys[0].revoked());
  EXPECT_FALSE(reg->Find("samr-console")->revoked());
}

TEST_F(CtlIdentityTest, MistakesExitOneAndLeaveTheFileAsItWas) {
  ASSERT_EQ(RunCtl({"identity", "add", "--registry", registry(), "--name", "douyin", "--role", "platform",
                    "--curve-key", Path("douyin.curve.pub")})
                .exit_code,
            0);
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"identity", "add", "--registry", registry(), "--name", "douyin", "--role", "platform"}, "registered already"},
      {{"identity", "add", "--registry", registry(), "--name", "kuaishou", "--role", "platform", "--curve-key",
        Path("douyin.curve.pub")},
       "already bound to 'douyin'"},
      {{"identity", "add", "--registry", registry(), "--name", "cac", "--role", "regulator"}, "needs a department"},
      {{"identity", "add", "--registry", registry(), "--name", "x", "--role", "king"}, "--role"},
      {{"identity", "revoke", "--registry", registry(), "nobody"}, "no identity 'nobody'"},
      {{"identity", "add", "--registry", registry(), "--name", "y", "--role", "platform", "--signing-key",
        Path("douyin.sign.key")},
       "--signing-key"},
  };
  const std::string before = identity::Registry::Load(registry())->ToToml();
  for (const Case& c : cases) {
    CtlRun r = RunCtl(c.args);
    EXPECT_NE(r.exit_code, 0) << c.expected;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.expected << ": " << r.err;
  }
  EXPECT_EQ(identity::Registry::Load(registry())->ToToml(), before);
}

}  // namespace
}  // namespace regline::ctl
