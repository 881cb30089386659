#include "gateway/crypto/curve_keys.h"

#include <gtest/gtest.h>
#include <zmq.h>

#include <filesystem>

#include "gateway/core/test_util.h"
#include "gateway/crypto/key_files.h"

namespace regline::crypto {
namespace {

TEST(CryptoCurveKeysTest, GeneratedPairMatchesAndDiffersEachTime) {
  ASSERT_NE(zmq_has("curve"), 0) << "this libzmq was built without CURVE; Regline needs it";
  Result<CurveKeyPair> a = GenerateCurveKeyPair();
  Result<CurveKeyPair> b = GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->public_z85.size(), 40u);
  EXPECT_EQ(a->secret_z85.size(), 40u);
  EXPECT_NE(a->secret_z85, b->secret_z85);
  Result<std::string> derived = CurvePublicFromSecret(a->secret_z85);
  ASSERT_TRUE(derived.ok()) << derived.status().ToString();
  EXPECT_EQ(*derived, a->public_z85);
}

TEST(CryptoCurveKeysTest, MalformedSecretIsRefused) {
  ASSERT_NE(zmq_has("curve"), 0) << "this libzmq was built without CURVE; Regline needs it";
  for (std::string_view bad :
       {std::string_view(""), std::string_view("short"), std::string_view("0123456789012345678901234567890123456789x"),
        std::string_view("012345678901234567890123456789012345678\"")}) {
    EXPECT_EQ(CurvePublicFromSecret(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(CryptoCurveKeysTest, KeygensFilesReadBack) {
  ASSERT_NE(zmq_has("curve"), 0) << "this libzmq was built without CURVE; Regline needs it";
  testing::TempDir dir;
  Result<CurveKeyPair> pair = GenerateCurveKeyPair();
  ASSERT_TRUE(pair.ok());
  const std::string pair_file = dir.File("douyin.curve.key"), public_file = dir.File("douyin.curve.pub");
  ASSERT_TRUE(WriteNewFile(pair_file,
                           "# made by keygen\npublic_key = \"" + pair->public_z85 + "\"\nsecret_key = \"" +
                               pair->secret_z85 + "\"\n",
                           0600)
                  .ok());
  ASSERT_TRUE(WriteNewFile(public_file, "public_key = \"" + pair->public_z85 + "\"\n", 0644).ok());
  Result<CurveKeyPair> read = ReadCurveKeyFile(pair_file, FileSecrecy::kOwnerOnly);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->public_z85, pair->public_z85);
  EXPECT_EQ(read->secret_z85, pair->secret_z85);
  Result<std::string> public_key = ReadCurvePublicKeyFile(public_file);
  ASSERT_TRUE(public_key.ok()) << public_key.status().ToString();
  EXPECT_EQ(*public_key, pair->public_z85);
  EXPECT_TRUE(IsZ85Key(pair->public_z85));
  EXPECT_FALSE(IsZ85Key(public_file));
}

TEST(CryptoCurveKeysTest, WrongKeyFilesAreRefusedNamingTheFile) {
  ASSERT_NE(zmq_has("curve"), 0) << "this libzmq was built without CURVE; Regline needs it";
  testing::TempDir dir;
  Result<CurveKeyPair> a = GenerateCurveKeyPair();
  Result<CurveKeyPair> b = GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string mismatched = dir.File("mismatched.curve.key");
  ASSERT_TRUE(WriteNewFile(mismatched, "public_key = \"" + b->public_z85 + "\"\nsecret_key = \"" + a->secret_z85 + "\"\n",
                           0600)
                  .ok());
  Result<CurveKeyPair> r = ReadCurveKeyFile(mismatched, FileSecrecy::kOwnerOnly);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("does not belong"), std::string::npos) << r.status().ToString();

  const std::string readable = dir.File("readable.curve.key");
  ASSERT_TRUE(WriteNewFile(readable, "secret_key = \"" + a->secret_z85 + "\"\n", 0644).ok());
  EXPECT_EQ(ReadCurveKeyFile(readable, FileSecrecy::kOwnerOnly).status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(ReadCurveKeyFile(readable, FileSecrecy::kPublic).ok());
  // A pair file where a public key file belongs: it holds a secret.
  Result<std::string> pub = ReadCurvePublicKeyFile(readable);
  EXPECT_EQ(pub.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(pub.status().message().find("holds a secret key"), std::string::npos) << pub.status().ToString();
  EXPECT_EQ(ReadCurveKeyFile(dir.File("absent"), FileSecrecy::kOwnerOnly).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace regline::crypto
