#include "gateway/identity/signature_check.h"

#include <gtest/gtest.h>

namespace regline::identity {
namespace {

struct Party {
  Signer signer;
  Identity identity;
};

Party NewParty(const std::string& name, crypto::SignatureAlgorithm a) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(a);
  EXPECT_TRUE(key.ok());
  Identity id;
  id.name = name;
  id.role = Role::kPlatform;
  id.signing_keys.emplace_back(key->public_key());
  return Party{Signer(name, *key), id};
}

class SignatureCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.Add(douyin_.identity).ok());
    ASSERT_TRUE(registry_.Add(kuaishou_.identity).ok());
  }
  Party douyin_ = NewParty("douyin", crypto::SignatureAlgorithm::kEd25519);
  Party kuaishou_ = NewParty("kuaishou", crypto::SignatureAlgorithm::kSm2Sm3);
  Registry registry_;
};

TEST_F(SignatureCheckTest, Ed25519AndSm2SignersSideBySide) {
  for (const Party* p : {&douyin_, &kuaishou_}) {
    Result<SignatureClaim> sig = p->signer.Sign("payload bytes");
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->signer, p->identity.name);
    EXPECT_EQ(sig->key_id, p->identity.signing_keys[0].key_id);
    EXPECT_TRUE(VerifySignature(registry_, p->identity.name, *sig, "payload bytes", "test").ok());
  }
}

TEST_F(SignatureCheckTest, EachWayOfBeingWrongIsInvalidSignatureSayingWhy) {
  Result<SignatureClaim> good = douyin_.signer.Sign("payload");
  ASSERT_TRUE(good.ok());
  auto check = [&](const SignatureClaim& c, std::string_view data, std::string_view signer = "douyin") {
    return VerifySignature(registry_, signer, c, data, "envelope 1");
  };
  struct Case {
    std::string name;
    Status status;
    std::string expected;
  };
  SignatureClaim absent;
  SignatureClaim other_signer = *good;
  other_signer.signer = "kuaishou";
  SignatureClaim unknown_key = *good;
  unknown_key.key_id = "0123456789abcdef";
  SignatureClaim wrong_algorithm = *good;
  wrong_algorithm.algorithm = 2;
  SignatureClaim flipped = *good;
  flipped.bytes[3] ^= 1;
  Result<SignatureClaim> by_kuaishou = kuaishou_.signer.Sign("payload");
  ASSERT_TRUE(by_kuaishou.ok());
  SignatureClaim wrong_key = *by_kuaishou;  // a valid signature by another key, claimed as douyin's
  wrong_key.signer = "douyin";
  wrong_key.key_id = good->key_id;
  wrong_key.algorithm = good->algorithm;
  const std::vector<Case> cases = {
      {"absent", check(absent, "payload"), "envelope 1 is not signed"},
      {"tampered payload", check(*good, "payloaD"), "envelope 1:"},
      {"signed by another", check(other_signer, "payload"), "signed by 'kuaishou', not by its sender 'douyin'"},
      {"unknown key", check(unknown_key, "payload"), "no registered signing key '0123456789abcdef'"},
      {"algorithm mismatch", check(wrong_algorithm, "payload"), "but key"},
      {"flipped bit", check(flipped, "payload"), "envelope 1:"},
      {"wrong key", check(wrong_key, "payload"), "envelope 1:"},
      {"unregistered signer", check(*good, "payload", "nobody"), "not by its sender 'nobody'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), StatusCode::kInvalidSignature) << c.name;
    EXPECT_NE(c.status.message().find(c.expected), std::string::npos) << c.name << ": " << c.status.message();
  }
}

TEST_F(SignatureCheckTest, ARevokedKeySignsNothingNew) {
  Result<SignatureClaim> sig = douyin_.signer.Sign("payload");
  ASSERT_TRUE(sig.ok());
  ASSERT_TRUE(VerifySignature(registry_, "douyin", *sig, "payload", "m").ok());
  ASSERT_TRUE(registry_.RevokeSigningKey("douyin", sig->key_id, 1).ok());
  Status after = VerifySignature(registry_, "douyin", *sig, "payload", "m");
  EXPECT_EQ(after.code(), StatusCode::kInvalidSignature);
  EXPECT_NE(after.message().find("is revoked"), std::string::npos) << after.message();
}

}  // namespace
}  // namespace regline::identity
