#include "gateway/identity/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/crypto/curve_keys.h"

namespace regline::identity {
namespace {

namespace fs = std::filesystem;

crypto::PublicKey NewSigningKey(crypto::SignatureAlgorithm a = crypto::SignatureAlgorithm::kEd25519) {
  Result<crypto::PrivateKey> k = crypto::PrivateKey::Generate(a);
  EXPECT_TRUE(k.ok());
  return k->public_key();
}

std::string NewCurveKey() {
  Result<crypto::CurveKeyPair> k = crypto::GenerateCurveKeyPair();
  EXPECT_TRUE(k.ok());
  return k->public_z85;
}

Identity Platform(const std::string& name) {
  Identity id;
  id.name = name;
  id.role = Role::kPlatform;
  id.curve_key = NewCurveKey();
  id.signing_keys.emplace_back(NewSigningKey());
  return id;
}

class RegistryFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("registry_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& text) {
    std::string path = (dir_ / "identities.toml").string();
    std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(RegistryFileTest, SaveThenLoadGivesTheSameIdentitiesKeysAndRevocations) {
  Registry reg;
  Identity samr;
  samr.name = "samr-console";
  samr.role = Role::kRegulator;
  samr.department = "SAMR";
  samr.curve_key = NewCurveKey();
  samr.signing_keys.emplace_back(NewSigningKey(crypto::SignatureAlgorithm::kSm2Sm3));
  ASSERT_TRUE(reg.Add(samr).ok());
  ASSERT_TRUE(reg.Add(Platform("douyin")).ok());
  ASSERT_TRUE(reg.AddSigningKey("douyin", NewSigningKey(), 5).ok());
  ASSERT_TRUE(reg.RevokeSigningKey("douyin", reg.Find("douyin")->signing_keys[0].key_id, 7).ok());
  ASSERT_TRUE(reg.Revoke("samr-console", 9).ok());
  std::string path = (dir_ / "identities.toml").string();
  ASSERT_TRUE(reg.Save(path).ok());

  Result<Registry> back = Registry::Load(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->identities().size(), 2u);
  const Identity* s = back->Find("samr-console");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->department, "SAMR");
  EXPECT_EQ(s->curve_key, samr.curve_key);
  EXPECT_EQ(s->revoked_ms, 9);
  ASSERT_EQ(s->signing_keys.size(), 1u);
  EXPECT_EQ(s->signing_keys[0].key.algorithm(), crypto::SignatureAlgorithm::kSm2Sm3);
  EXPECT_EQ(s->signing_keys[0].key_id, samr.signing_keys[0].key_id);
  EXPECT_TRUE(s->signing_keys[0].revoked()) << "revoking an identity revokes its keys";
  const Identity* d = back->Find("douyin");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->signing_keys.size(), 2u);
  EXPECT_EQ(d->signing_keys[0].revoked_ms, 7);
  EXPECT_EQ(d->signing_keys[1].revoked_ms, 0);
  EXPECT_EQ(d->signing_keys[1].added_ms, 5);
  EXPECT_EQ(back->FindByCurveKey(d->curve_key), d);
  EXPECT_EQ(back->ToToml(), reg.ToToml());
}

TEST_F(RegistryFileTest, KeyIdIsDerivedFromTheKey) {
  crypto::PublicKey key = NewSigningKey();
  std::string id = KeyIdOf(key);
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(key.Fingerprint().substr(7, 16), id);
  EXPECT_NE(KeyIdOf(NewSigningKey()), id);
}

TEST_F(RegistryFileTest, ErrorsNameTheFileLineAndKey) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"[[identity]]\nname = \"a\"\nrole = \"king\"\n", "identities.toml:3: identity.role: must be regulator"},
      {"[[identity]]\nname = \"a\"\nrole = \"platform\"\ncolour = 1\n", "identity.colour: unknown key"},
      {"[[identity]]\nrole = \"platform\"\n", "identity.name: is required"},
      {"[[identity]]\nname = \"samr\"\nrole = \"regulator\"\n", "needs a department"},
      {"[[identity]]\nname = \"samr\"\nrole = \"regulator\"\ndepartment = \"FBI\"\n", "not 'FBI'"},
      {"[[identity]]\nname = \"d\"\nrole = \"platform\"\ncurve_key = \"short\"\n", "not a Z85 CURVE public key"},
      {"[[identity]]\nname = \"d\"\nrole = \"platform\"\n[[identity]]\nname = \"d\"\nrole = \"platform\"\n",
       "identities.toml:4: identity: identity 'd' is registered already"},
      {"[[identity]]\nname = \"d\"\nrole = \"platform\"\n[[identity.signing_key]]\npublic_key = \"garbage\"\n",
       "identity.signing_key.public_key:"},
      {"[[identity]]\nname = \"d d\"\nrole = \"platform\"\n", "name 'd d' must be"},
      {"[[identity]\n", "identities.toml:1:"},
  };
  for (const Case& c : cases) {
    Result<Registry> r = Registry::Load(Write(c.text));
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
}

TEST_F(RegistryFileTest, AKeyIdThatIsNotTheKeysOwnIsRefused) {
  crypto::PublicKey key = NewSigningKey();
  std::string text = "[[identity]]\nname = \"d\"\nrole = \"platform\"\n[[identity.signing_key]]\nkey_id = "
                     "\"0000000000000000\"\npublic_key = '''\n" +
                     key.Pem() + "'''\n";
  Result<Registry> r = Registry::Load(Write(text));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("the key's own id is '" + KeyIdOf(key) + "'"), std::string::npos)
      << r.status().message();
}

TEST_F(RegistryFileTest, AWatchedFileIsLoadedAgainOnlyWhenItChanges) {
  Registry reg;
  ASSERT_TRUE(reg.Add(Platform("douyin")).ok());
  std::string path = (dir_ / "identities.toml").string();
  ASSERT_TRUE(reg.Save(path).ok());
  RegistryFile file(path);
  EXPECT_FALSE(file.Poll().has_value()) << "unchanged since the watch began";
  ASSERT_TRUE(reg.Revoke("douyin", 5).ok());
  ASSERT_TRUE(reg.Save(path).ok());
  std::optional<Result<Registry>> changed = file.Poll();
  ASSERT_TRUE(changed.has_value());
  ASSERT_TRUE(changed->ok()) << changed->status().ToString();
  EXPECT_EQ((*changed)->Find("douyin")->revoked_ms, 5);
  EXPECT_FALSE(file.Poll().has_value());
  Write("[[identity]\n");
  std::optional<Result<Registry>> broken = file.Poll();
  ASSERT_TRUE(broken.has_value());
  EXPECT_EQ(broken->status().code(), StatusCode::kInvalidArgument);
}

TEST(RegistryTest, ACurveKeyBelongsToOneIdentityOnly) {
  Registry reg;
  Identity a = Platform("douyin");
  Identity b = Platform("kuaishou");
  b.curve_key = a.curve_key;
  ASSERT_TRUE(reg.Add(a).ok());
  Status s = reg.Add(b);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("already bound to 'douyin'"), std::string::npos) << s.message();
  EXPECT_EQ(reg.Find("kuaishou"), nullptr);
}

TEST(RegistryTest, RevocationsNeedAnExistingTarget) {
  Registry reg;
  ASSERT_TRUE(reg.Add(Platform("douyin")).ok());
  EXPECT_EQ(reg.Revoke("nobody", 1).code(), StatusCode::kNotFound);
  EXPECT_EQ(reg.RevokeSigningKey("douyin", "ffffffffffffffff", 1).code(), StatusCode::kNotFound);
  ASSERT_TRUE(reg.Revoke("douyin", 1).ok());
  EXPECT_EQ(reg.Revoke("douyin", 2).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reg.Find("douyin")->revoked_ms, 1) << "a second revocation changes nothing";
}

TEST(RegistryTest, OnlyRegulatorsHaveDepartments) {
  Registry reg;
  Identity mcn;
  mcn.name = "example-mcn";
  mcn.role = Role::kMcnAgency;
  mcn.department = "SAMR";
  EXPECT_EQ(reg.Add(mcn).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace regline::identity
