#include "gateway/crypto/signing.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "gateway/core/test_util.h"
#include "gateway/crypto/evp.h"

namespace regline::crypto {
namespace {

const std::string kDirective = "directive 0190a1b2c3d4e5f61122334455667788: suspend live room 8812 for 7 days";

PrivateKey MustGenerate(SignatureAlgorithm algorithm) {
  Result<PrivateKey> key = PrivateKey::Generate(algorithm);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

std::string MustSign(const PrivateKey& key, std::string_view data) {
  Result<std::string> signature = key.Sign(data);
  EXPECT_TRUE(signature.ok()) << signature.status().ToString();
  return signature.ok() ? *signature : std::string();
}

// The PEMs of keys OpenSSL makes but Regline does not sign with.
std::string ForeignKeyPem(EVP_PKEY* key, bool private_part) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (private_part) {
    EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  } else {
    EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), key), 1);
  }
  return BioContents(bio.get());
}

std::vector<std::string> ForeignPems(bool private_part) {
  EvpPkey rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  EvpPkey p256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1"));
  EvpPkey x25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  return {ForeignKeyPem(rsa.get(), private_part), ForeignKeyPem(p256.get(), private_part),
          ForeignKeyPem(x25519.get(), private_part)};
}

TEST(CryptoSignatureAlgorithmTest, NamesRoundTrip) {
  for (SignatureAlgorithm a : {SignatureAlgorithm::kEd25519, SignatureAlgorithm::kSm2Sm3}) {
    Result<SignatureAlgorithm> parsed = ParseSignatureAlgorithm(SignatureAlgorithmName(a));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, a);
  }
  EXPECT_EQ(SignatureAlgorithmName(SignatureAlgorithm::kSm2Sm3), "sm2-sm3");
}

TEST(CryptoSignatureAlgorithmTest, UnknownNameListsTheAcceptedOnes) {
  Result<SignatureAlgorithm> parsed = ParseSignatureAlgorithm("rsa");
  ASSERT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("ed25519 or sm2-sm3"), std::string::npos);
  EXPECT_FALSE(ParseSignatureAlgorithm("ED25519").ok());
}

class CryptoSigningTest : public ::testing::TestWithParam<SignatureAlgorithm> {
 protected:
  PrivateKey key_ = MustGenerate(GetParam());
};

INSTANTIATE_TEST_SUITE_P(Algorithms, CryptoSigningTest,
                         ::testing::Values(SignatureAlgorithm::kEd25519, SignatureAlgorithm::kSm2Sm3),
                         [](const auto& info) {
                           return info.param == SignatureAlgorithm::kEd25519 ? "Ed25519" : "Sm2Sm3";
                         });

TEST_P(CryptoSigningTest, SignatureVerifiesWithThePublicKey) {
  EXPECT_EQ(key_.algorithm(), GetParam());
  EXPECT_EQ(key_.public_key().algorithm(), GetParam());
  std::string signature = MustSign(key_, kDirective);
  EXPECT_TRUE(key_.public_key().Verify(kDirective, signature).ok());
}

TEST_P(CryptoSigningTest, SignatureHasTheDocumentedEncoding) {
  std::string signature = MustSign(key_, kDirective);
  if (GetParam() == SignatureAlgorithm::kEd25519) {
    EXPECT_EQ(signature.size(), 64u);
  } else {
    ASSERT_GE(signature.size(), 8u);
    EXPECT_EQ(static_cast<unsigned char>(signature[0]), 0x30) << "a DER SEQUENCE";
    EXPECT_EQ(static_cast<size_t>(static_cast<unsigned char>(signature[1])), signature.size() - 2);
  }
}

TEST_P(CryptoSigningTest, EmptyDataSignsAndVerifies) {
  std::string signature = MustSign(key_, "");
  EXPECT_TRUE(key_.public_key().Verify("", signature).ok());
  EXPECT_EQ(key_.public_key().Verify("x", signature).code(), StatusCode::kInvalidSignature);
}

TEST_P(CryptoSigningTest, FlippedBitInTheDataDoesNotVerify) {
  std::string signature = MustSign(key_, kDirective);
  std::string changed = kDirective;
  changed[10] ^= 0x01;
  Status status = key_.public_key().Verify(changed, signature);
  EXPECT_EQ(status.code(), StatusCode::kInvalidSignature);
  EXPECT_NE(status.message().find("does not verify"), std::string::npos) << status.message();
}

TEST_P(CryptoSigningTest, FlippedBitInTheSignatureDoesNotVerify) {
  std::string signature = MustSign(key_, kDirective);
  signature[signature.size() - 1] ^= 0x01;
  EXPECT_EQ(key_.public_key().Verify(kDirective, signature).code(), StatusCode::kInvalidSignature);
}

TEST_P(CryptoSigningTest, AnotherKeysSignatureDoesNotVerify) {
  PrivateKey other = MustGenerate(GetParam());
  Status status = key_.public_key().Verify(kDirective, MustSign(other, kDirective));
  EXPECT_EQ(status.code(), StatusCode::kInvalidSignature);
}

TEST_P(CryptoSigningTest, GarbageSignaturesAreRefusedAsMalformedOrNotVerifying) {
  std::string good = MustSign(key_, kDirective);
  std::string random_64(64, '\0');
  for (size_t i = 0; i < random_64.size(); ++i) random_64[i] = static_cast<char>(i * 37 + 11);
  const std::vector<std::string> garbage = {
      "",
      std::string(1, '\0'),
      good.substr(0, good.size() - 1),
      good.substr(0, 10),
      good + "x",
      random_64,
      std::string(64, '\0'),
      std::string(72, '\xff'),
      std::string("\x30\x06\x02\x01\x00\x02\x01\x00", 8),           // r = s = 0
      std::string("\x30\x80\x02\x01\x01\x02\x01\x01\x00\x00", 10),  // BER indefinite length
      std::string(100000, 'a'),
  };
  for (const std::string& signature : garbage) {
    Status status = key_.public_key().Verify(kDirective, signature);
    EXPECT_EQ(status.code(), StatusCode::kInvalidSignature) << signature.size() << " bytes: " << status.ToString();
  }
  Status empty = key_.public_key().Verify(kDirective, "");
  EXPECT_NE(empty.message().find("malformed"), std::string::npos) << empty.message();
  EXPECT_TRUE(key_.public_key().Verify(kDirective, good).ok()) << "the key still works after garbage";
}

TEST_P(CryptoSigningTest, SignatureOfTheOtherAlgorithmIsRefused) {
  SignatureAlgorithm other_algorithm =
      GetParam() == SignatureAlgorithm::kEd25519 ? SignatureAlgorithm::kSm2Sm3 : SignatureAlgorithm::kEd25519;
  std::string signature = MustSign(MustGenerate(other_algorithm), kDirective);
  EXPECT_EQ(key_.public_key().Verify(kDirective, signature).code(), StatusCode::kInvalidSignature);
}

TEST_P(CryptoSigningTest, PrivatePemRoundTrips) {
  std::string pem = key_.Pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << pem;
  Result<PrivateKey> back = PrivateKey::FromPem(pem);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->algorithm(), GetParam());
  EXPECT_EQ(back->Pem(), pem);
  EXPECT_EQ(back->public_key().Fingerprint(), key_.public_key().Fingerprint());
  EXPECT_TRUE(key_.public_key().Verify(kDirective, MustSign(*back, kDirective)).ok());
}

TEST_P(CryptoSigningTest, PublicPemRoundTrips) {
  std::string pem = key_.public_key().Pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----\n")) << pem;
  Result<PublicKey> back = PublicKey::FromPem(pem);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->algorithm(), GetParam());
  EXPECT_EQ(back->Pem(), pem);
  EXPECT_EQ(back->Fingerprint(), key_.public_key().Fingerprint());
  EXPECT_TRUE(back->Verify(kDirective, MustSign(key_, kDirective)).ok());
}

TEST_P(CryptoSigningTest, PublicKeyHoldsNoSecret) {
  EXPECT_EQ(key_.public_key().Pem().find("PRIVATE"), std::string::npos);
  EXPECT_FALSE(PrivateKey::FromPem(key_.public_key().Pem()).ok());
  Result<PublicKey> from_private = PublicKey::FromPem(key_.Pem());
  ASSERT_EQ(from_private.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(from_private.status().message().find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST_P(CryptoSigningTest, FingerprintIsSha256OfTheDerPublicKey) {
  std::string fingerprint = key_.public_key().Fingerprint();
  ASSERT_EQ(fingerprint.size(), 7u + 64u);
  EXPECT_TRUE(fingerprint.starts_with("sha256:"));
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef", 7), std::string::npos);
  EXPECT_NE(fingerprint, MustGenerate(GetParam()).public_key().Fingerprint());
}

TEST_P(CryptoSigningTest, DerRoundTripsAndIsWhatTheFingerprintHashes) {
  std::string der = key_.public_key().Der();
  ASSERT_FALSE(der.empty());
  EXPECT_EQ(key_.public_key().Fingerprint(), "sha256:" + HexEncode(Sha256(der)));
  Result<PublicKey> back = PublicKey::FromDer(der);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->algorithm(), GetParam());
  EXPECT_EQ(back->Der(), der);
  EXPECT_TRUE(back->Verify(kDirective, MustSign(key_, kDirective)).ok());
}

TEST_P(CryptoSigningTest, FromDerRefusesTrailingBytesAndTruncation) {
  std::string der = key_.public_key().Der();
  Result<PublicKey> trailing = PublicKey::FromDer(der + "x");
  EXPECT_EQ(trailing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(trailing.status().message().find("bytes after"), std::string::npos) << trailing.status().message();
  EXPECT_EQ(PublicKey::FromDer(der.substr(0, der.size() - 1)).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(CryptoSigningTest, CopiesShareTheKeyAndVerifyFromManyThreads) {
  PublicKey copy = key_.public_key();
  std::string signature = MustSign(key_, kDirective);
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (copy.Verify(kDirective, signature).ok() &&
            copy.Verify(kDirective + ".", signature).code() == StatusCode::kInvalidSignature) {
          verified++;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(verified.load(), 200);
}

TEST(CryptoPemTest, ForeignPublicKeysAreRefused) {
  for (const std::string& pem : ForeignPems(/*private_part=*/false)) {
    Result<PublicKey> key = PublicKey::FromPem(pem);
    ASSERT_EQ(key.status().code(), StatusCode::kInvalidArgument) << pem;
    EXPECT_NE(key.status().message().find("ed25519 or sm2-sm3"), std::string::npos) << key.status().message();
  }
}

TEST(CryptoPemTest, ForeignPrivateKeysAreRefused) {
  for (const std::string& pem : ForeignPems(/*private_part=*/true)) {
    EXPECT_EQ(PrivateKey::FromPem(pem).status().code(), StatusCode::kInvalidArgument) << pem;
  }
}

TEST(CryptoPemTest, GarbageIsRefused) {
  const std::vector<std::string> garbage = {
      "",
      "hello",
      "-----BEGIN PUBLIC KEY-----\n",
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
      "-----BEGIN PUBLIC KEY-----\n!!!!not base64!!!!\n-----END PUBLIC KEY-----\n",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
  };
  for (const std::string& text : garbage) {
    EXPECT_EQ(PublicKey::FromPem(text).status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(PrivateKey::FromPem(text).status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(CryptoPemTest, EncryptedPrivateKeyIsRefusedWithoutPrompting) {
  EvpPkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  Bio bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                          const_cast<char*>("secret")),
            1);
  Result<PrivateKey> parsed = PrivateKey::FromPem(BioContents(bio.get()));
  ASSERT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("ENCRYPTED"), std::string::npos) << parsed.status().message();
}

// OpenSSL 3 can hold an SM2-curve key as type "EC", which would sign ECDSA;
// the library gives such keys the SM2 type.
TEST(CryptoPemTest, EcTypedKeyOnTheSm2CurveBecomesAnSm2Key) {
  EvpPkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "SM2"));
  ASSERT_TRUE(key);
  ASSERT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  std::string public_pem_before = ForeignKeyPem(key.get(), false);
  ASSERT_TRUE(AdoptSm2KeyType(key, EVP_PKEY_KEYPAIR).ok());
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "SM2"));
  EXPECT_EQ(ForeignKeyPem(key.get(), false), public_pem_before);

  Result<PrivateKey> adopted = PrivateKey::FromPem(ForeignKeyPem(key.get(), true));
  ASSERT_TRUE(adopted.ok()) << adopted.status().ToString();
  EXPECT_EQ(adopted->algorithm(), SignatureAlgorithm::kSm2Sm3);
  Result<PublicKey> public_key = PublicKey::FromPem(public_pem_before);
  ASSERT_TRUE(public_key.ok()) << public_key.status().ToString();
  EXPECT_TRUE(public_key->Verify(kDirective, MustSign(*adopted, kDirective)).ok());
}

TEST(CryptoPemTest, P256KeyIsLeftAloneByTheSm2Adoption) {
  EvpPkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1"));
  ASSERT_TRUE(AdoptSm2KeyType(key, EVP_PKEY_KEYPAIR).ok());
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
}

TEST(CryptoPemFileTest, ReadsKeysFromFiles) {
  testing::TempDir dir;
  PrivateKey key = MustGenerate(SignatureAlgorithm::kSm2Sm3);
  std::ofstream(dir.File("k.pub")) << key.public_key().Pem();
  std::ofstream(dir.File("k.key")) << key.Pem();
  ASSERT_EQ(chmod(dir.File("k.key").c_str(), 0600), 0);
  Result<PublicKey> public_key = PublicKey::ReadPemFile(dir.File("k.pub"));
  Result<PrivateKey> private_key = PrivateKey::ReadPemFile(dir.File("k.key"));
  ASSERT_TRUE(public_key.ok()) << public_key.status().ToString();
  ASSERT_TRUE(private_key.ok()) << private_key.status().ToString();
  EXPECT_TRUE(public_key->Verify(kDirective, MustSign(*private_key, kDirective)).ok());
}

TEST(CryptoPemFileTest, PrivateKeyReadableByOthersIsRefused) {
  testing::TempDir dir;
  std::string path = dir.File("k.key");
  std::ofstream(path) << MustGenerate(SignatureAlgorithm::kEd25519).Pem();
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  Result<PrivateKey> key = PrivateKey::ReadPemFile(path);
  ASSERT_EQ(key.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(key.status().message().find("0644"), std::string::npos) << key.status().message();
  EXPECT_NE(key.status().message().find("chmod 600 " + path), std::string::npos) << key.status().message();
}

TEST(CryptoPemFileTest, ErrorsNameTheFile) {
  testing::TempDir dir;
  Result<PublicKey> missing = PublicKey::ReadPemFile(dir.File("none.pub"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("none.pub"), std::string::npos);
  std::ofstream(dir.File("bad.pub")) << "not a key";
  Result<PublicKey> bad = PublicKey::ReadPemFile(dir.File("bad.pub"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("bad.pub"), std::string::npos);
}

TEST(CryptoDigestTest, Sha256OfAbcIsTheFips180Vector) {
  EXPECT_EQ(HexEncode(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoDigestTest, Sm3OfAbcIsTheGbtVector) {
  EXPECT_EQ(HexEncode(Sm3("abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  EXPECT_EQ(HexEncode(Sm3("")), "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");
}

TEST(CryptoDigestTest, RandomBytesHaveTheSizeAskedAndDiffer) {
  Result<std::string> a = RandomBytes(16);
  Result<std::string> b = RandomBytes(16);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 16u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(RandomBytes(0)->size(), 0u);
}

TEST(CryptoDerTest, FromDerRefusesGarbageAndForeignKeys) {
  EXPECT_EQ(PublicKey::FromDer("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PublicKey::FromDer("not DER at all").status().code(), StatusCode::kInvalidArgument);
  EvpPkey p256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime256v1"));
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(p256.get(), &der);
  ASSERT_GT(size, 0);
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  Result<PublicKey> foreign = PublicKey::FromDer(bytes);
  EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(foreign.status().message().find("ed25519 or sm2-sm3"), std::string::npos) << foreign.status().message();
}

TEST(CryptoDigestTest, HexEncodeIsLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(std::string("\x00\x0f\xab\xff", 4)), "000fabff");
  EXPECT_EQ(HexEncode(""), "");
}

// Ed25519 is signed and checked by libsodium (signing.h); these pin it to
// the standard and to OpenSSL's EVP, which reads and writes the keys.

std::string FromHex(std::string_view hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return bytes;
}

// An Ed25519 PrivateKey from a raw 32-byte seed, through a PKCS#8 PEM that
// OpenSSL writes.
PrivateKey Ed25519FromSeed(const std::string& seed) {
  EvpPkey raw(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                           reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  EXPECT_TRUE(raw != nullptr);
  Result<PrivateKey> key = PrivateKey::FromPem(ForeignKeyPem(raw.get(), /*private_part=*/true));
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

// OpenSSL EVP's Ed25519 signature over `data` by the key in `private_pem`.
std::string EvpEd25519Sign(const std::string& private_pem, std::string_view data) {
  Bio bio(BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  EvpPkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  EvpMdCtx md(EVP_MD_CTX_new());
  EXPECT_EQ(EVP_DigestSignInit_ex(md.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr), 1);
  std::string signature(64, '\0');
  size_t size = signature.size();
  EXPECT_EQ(EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()),
            1);
  signature.resize(size);
  return signature;
}

TEST(CryptoEd25519Test, Rfc8032FirstTestVector) {
  // RFC 8032 section 7.1, TEST 1: the empty message.
  PrivateKey key = Ed25519FromSeed(FromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  std::string expected = FromHex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe"
      "24655141438e7a100b");
  EXPECT_EQ(HexEncode(MustSign(key, "")), HexEncode(expected));
  EXPECT_TRUE(key.public_key().Verify("", expected).ok());
  EXPECT_EQ(key.public_key().Verify("x", expected).code(), StatusCode::kInvalidSignature);
  // The public key OpenSSL derived is the vector's.
  std::string der = key.public_key().Der();
  EXPECT_EQ(HexEncode(der.substr(der.size() - 32)), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST(CryptoEd25519Test, SignaturesAreByteIdenticalToOpenSslEvpAndCrossVerify) {
  for (int i = 0; i < 20; ++i) {
    PrivateKey key = MustGenerate(SignatureAlgorithm::kEd25519);
    std::string data = kDirective + std::string(static_cast<size_t>(i) * 97, static_cast<char>('a' + i));
    std::string ours = MustSign(key, data);
    std::string evp = EvpEd25519Sign(key.Pem(), data);
    EXPECT_EQ(HexEncode(ours), HexEncode(evp)) << "key " << i;
    EXPECT_TRUE(key.public_key().Verify(data, evp).ok()) << "key " << i;
  }
}

TEST(CryptoEd25519Test, NonCanonicalScalarIsRefused) {
  // S + L (the group order) verifies in a lax implementation; RFC 8032 says
  // S must be below L, and libsodium refuses it.
  PrivateKey key = MustGenerate(SignatureAlgorithm::kEd25519);
  std::string signature = MustSign(key, kDirective);
  const std::string order_le =
      FromHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");  // L, little-endian
  unsigned carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    unsigned sum = static_cast<unsigned char>(signature[32 + i]) + static_cast<unsigned char>(order_le[i]) + carry;
    signature[32 + i] = static_cast<char>(sum & 0xff);
    carry = sum >> 8;
  }
  ASSERT_EQ(carry, 0u) << "S + L fits in 32 bytes for any S < L";
  EXPECT_EQ(key.public_key().Verify(kDirective, signature).code(), StatusCode::kInvalidSignature);
}

}  // namespace
}  // namespace regline::crypto
