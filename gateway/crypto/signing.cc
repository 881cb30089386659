#include "gateway/crypto/signing.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <array>
#include <cstdlib>

#include "gateway/crypto/evp.h"
#include "gateway/crypto/key_files.h"

namespace regline::crypto {
namespace {

constexpr size_t kEd25519SignatureSize = 64;
constexpr std::string_view kPublicPemHeader = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view kPrivatePemHeader = "-----BEGIN PRIVATE KEY-----";

// OpenSSL wants a non-null pointer even for no bytes.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kNothing = 0;
  return s.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(s.data());
}

std::shared_ptr<EVP_PKEY> Share(EvpPkey key) { return std::shared_ptr<EVP_PKEY>(std::move(key)); }

// libsodium must be initialised once before use (it picks its
// implementations and seeds its generator); sodium_init is thread-safe and
// returns 1 when it already ran. It fails only if the system has no random
// source at all, which Regline cannot work without.
void EnsureSodium() {
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) {
    std::abort();
  }
}

std::string_view SkipLeadingSpace(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string_view() : text.substr(start);
}

// The first line of a PEM text, for messages ("-----BEGIN RSA PRIVATE KEY-----").
std::string FirstLine(std::string_view text) {
  std::string_view line = text.substr(0, text.find_first_of("\r\n"));
  if (line.size() > 64) return std::string(line.substr(0, 64)) + "...";
  return std::string(line);
}

// The algorithm of a decoded or generated key, after giving an SM2-curve
// "EC" key its proper type; kInvalidArgument for other algorithms.
Result<SignatureAlgorithm> Classify(EvpPkey& key, int selection) {
  REGLINE_RETURN_IF_ERROR(AdoptSm2KeyType(key, selection));
  if (EVP_PKEY_is_a(key.get(), "ED25519")) return SignatureAlgorithm::kEd25519;
  if (EVP_PKEY_is_a(key.get(), "SM2")) return SignatureAlgorithm::kSm2Sm3;
  const char* type = EVP_PKEY_get0_type_name(key.get());
  return InvalidArgument(std::string("a ") + (type != nullptr ? type : "unknown") +
                         " key; Regline signs with ed25519 or sm2-sm3 keys only");
}

// Starts a one-shot sign or verify operation on `md` with `key`: no digest
// for Ed25519 (it hashes internally), SM3 and the distinguishing id for SM2.
Status InitOperation(EVP_MD_CTX* md, EVP_PKEY* key, SignatureAlgorithm algorithm, bool sign) {
  const char* digest = algorithm == SignatureAlgorithm::kSm2Sm3 ? "SM3" : nullptr;
  EVP_PKEY_CTX* pctx = nullptr;  // owned by `md`
  int rc = sign ? EVP_DigestSignInit_ex(md, &pctx, digest, nullptr, nullptr, key, nullptr)
                : EVP_DigestVerifyInit_ex(md, &pctx, digest, nullptr, nullptr, key, nullptr);
  if (rc != 1) return OpenSslFailure(sign ? "starting to sign" : "starting to verify");
  if (algorithm == SignatureAlgorithm::kSm2Sm3 &&
      EVP_PKEY_CTX_set1_id(pctx, kSm2DistinguishingId.data(), kSm2DistinguishingId.size()) != 1) {
    return OpenSslFailure("setting the SM2 distinguishing id");
  }
  return Status::Ok();
}

// Why an SM2 signature cannot be one at all, or "" if it is strict DER of
// two INTEGERs.
std::string Sm2SignatureDefect(std::string_view signature) {
  const unsigned char* p = Bytes(signature);
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())));
  if (!sig) {
    ERR_clear_error();
    return "not a DER SEQUENCE of two INTEGERs";
  }
  if (p != Bytes(signature) + signature.size()) return "has bytes after the DER SEQUENCE";
  return "";
}

}  // namespace

std::string_view SignatureAlgorithmName(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::kEd25519:
      return "ed25519";
    case SignatureAlgorithm::kSm2Sm3:
      return "sm2-sm3";
  }
  return "unknown";
}

Result<SignatureAlgorithm> ParseSignatureAlgorithm(std::string_view name) {
  for (SignatureAlgorithm a : {SignatureAlgorithm::kEd25519, SignatureAlgorithm::kSm2Sm3}) {
    if (name == SignatureAlgorithmName(a)) return a;
  }
  return InvalidArgument("unknown signature algorithm '" + std::string(name) + "' (expected ed25519 or sm2-sm3)");
}

// --- PublicKey ---

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  std::string_view text = SkipLeadingSpace(pem);
  if (!text.starts_with(kPublicPemHeader)) {
    if (text.starts_with("-----BEGIN")) {
      return InvalidArgument("expected a public key PEM (" + std::string(kPublicPemHeader) + "), got " +
                             FirstLine(text));
    }
    return InvalidArgument("not PEM: expected " + std::string(kPublicPemHeader));
  }
  Bio bio = ReadOnlyBio(text);
  EvpPkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return InvalidArgument("unreadable public key PEM: " + TakeOpenSslErrors());
  Result<SignatureAlgorithm> algorithm = Classify(key, EVP_PKEY_PUBLIC_KEY);
  if (!algorithm.ok()) return algorithm.status();
  return PublicKey(Share(std::move(key)), *algorithm);
}

Result<PublicKey> PublicKey::ReadPemFile(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path, FileSecrecy::kPublic);
  if (!text.ok()) return text.status();
  Result<PublicKey> key = FromPem(*text);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

std::string PublicKey::Pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    TakeOpenSslErrors();
    return "";
  }
  return BioContents(bio.get());
}

Result<PublicKey> PublicKey::FromDer(std::string_view der) {
  const unsigned char* p = Bytes(der);
  EvpPkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return InvalidArgument("unreadable DER public key: " + TakeOpenSslErrors());
  if (p != Bytes(der) + der.size()) return InvalidArgument("DER public key has bytes after its SubjectPublicKeyInfo");
  Result<SignatureAlgorithm> algorithm = Classify(key, EVP_PKEY_PUBLIC_KEY);
  if (!algorithm.ok()) return algorithm.status();
  return PublicKey(Share(std::move(key)), *algorithm);
}

std::string PublicKey::Der() const {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key_.get(), &der);
  if (size <= 0) {
    TakeOpenSslErrors();
    return "";
  }
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return bytes;
}

std::string PublicKey::Fingerprint() const { return "sha256:" + HexEncode(Sha256(Der())); }

PublicKey::PublicKey(std::shared_ptr<EVP_PKEY> key, SignatureAlgorithm algorithm)
    : key_(std::move(key)), algorithm_(algorithm) {
  if (algorithm_ == SignatureAlgorithm::kEd25519) {
    EnsureSodium();
    size_t size = ed25519_public_.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), ed25519_public_.data(), &size) != 1 || size != ed25519_public_.size()) {
      // Cannot happen for a key Classify called ED25519; Verify then fails.
      ERR_clear_error();
      ed25519_public_.fill(0);
    }
    return;  // libsodium checks; no EVP context needed
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr) return;
  if (!InitOperation(md, key_.get(), algorithm_, /*sign=*/false).ok()) {
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return;
  }
  verify_template_.reset(md, EVP_MD_CTX_free);
}

Status PublicKey::Verify(std::string_view data, std::string_view signature) const {
  std::string_view name = SignatureAlgorithmName(algorithm_);
  if (signature.empty()) return InvalidSignature("malformed " + std::string(name) + " signature: empty");
  if (algorithm_ == SignatureAlgorithm::kEd25519 && signature.size() != kEd25519SignatureSize) {
    return InvalidSignature("malformed ed25519 signature: " + std::to_string(signature.size()) + " bytes, expected 64");
  }
  if (algorithm_ == SignatureAlgorithm::kSm2Sm3) {
    std::string defect = Sm2SignatureDefect(signature);
    if (!defect.empty()) return InvalidSignature("malformed sm2-sm3 signature: " + defect);
  }
  if (algorithm_ == SignatureAlgorithm::kEd25519) {
    if (crypto_sign_verify_detached(Bytes(signature), Bytes(data), data.size(), ed25519_public_.data()) == 0) {
      return Status::Ok();
    }
    return InvalidSignature(
        "ed25519 signature does not verify: the data or the signature was changed, or another key made it");
  }
  EvpMdCtx md(EVP_MD_CTX_new());
  if (!md) return OpenSslFailure("allocating a digest context");
  if (verify_template_ == nullptr || EVP_MD_CTX_copy_ex(md.get(), verify_template_.get()) != 1) {
    ERR_clear_error();
    REGLINE_RETURN_IF_ERROR(InitOperation(md.get(), key_.get(), algorithm_, /*sign=*/false));
  }
  int rc = EVP_DigestVerify(md.get(), Bytes(signature), signature.size(), Bytes(data), data.size());
  ERR_clear_error();  // a failed check leaves reasons we report ourselves
  if (rc == 1) return Status::Ok();
  if (rc == 0) {
    return InvalidSignature(std::string(name) + " signature does not verify: the data or the signature was changed, " +
                            "or another key made it");
  }
  return InvalidSignature("malformed " + std::string(name) + " signature: OpenSSL could not check it");
}

// --- PrivateKey ---

struct PrivateKey::Ed25519Secret {
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> bytes{};  // seed then public key
  ~Ed25519Secret() { sodium_memzero(bytes.data(), bytes.size()); }
};

Result<PrivateKey> PrivateKey::Adopt(EVP_PKEY* raw) {
  EvpPkey key(raw);
  Result<SignatureAlgorithm> algorithm = Classify(key, EVP_PKEY_KEYPAIR);
  if (!algorithm.ok()) return algorithm.status();
  // The public half as its own key, so that a PublicKey never holds a secret.
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key.get(), &der);
  if (size <= 0) return OpenSslFailure("encoding the public key");
  const unsigned char* p = der;
  EvpPkey public_key(d2i_PUBKEY(nullptr, &p, size));
  OPENSSL_free(der);
  if (!public_key) return OpenSslFailure("decoding the public key");
  REGLINE_RETURN_IF_ERROR(AdoptSm2KeyType(public_key, EVP_PKEY_PUBLIC_KEY));
  std::shared_ptr<Ed25519Secret> ed25519;
  if (*algorithm == SignatureAlgorithm::kEd25519) {
    // libsodium's secret key is the 32-byte seed (what PKCS#8 holds) followed
    // by the public key; it derives both from the seed as OpenSSL does.
    EnsureSodium();
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
    size_t size = seed.size();
    if (EVP_PKEY_get_raw_private_key(key.get(), seed.data(), &size) != 1 || size != seed.size()) {
      return OpenSslFailure("reading the ed25519 seed");
    }
    ed25519 = std::make_shared<Ed25519Secret>();
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> derived{};
    int rc = crypto_sign_seed_keypair(derived.data(), ed25519->bytes.data(), seed.data());
    sodium_memzero(seed.data(), seed.size());
    if (rc != 0) return Internal("libsodium could not derive the ed25519 key pair");
  }
  return PrivateKey(Share(std::move(key)), PublicKey(Share(std::move(public_key)), *algorithm), std::move(ed25519));
}

Result<PrivateKey> PrivateKey::Generate(SignatureAlgorithm algorithm) {
  const char* type = algorithm == SignatureAlgorithm::kEd25519 ? "ED25519" : "SM2";
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  if (key == nullptr) return OpenSslFailure(std::string("generating an ") + type + " key");
  return Adopt(key);
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  std::string_view text = SkipLeadingSpace(pem);
  if (!text.starts_with(kPrivatePemHeader)) {
    if (text.starts_with("-----BEGIN")) {
      return InvalidArgument("expected an unencrypted PKCS#8 PEM (" + std::string(kPrivatePemHeader) + "), got " +
                             FirstLine(text));
    }
    return InvalidArgument("not PEM: expected " + std::string(kPrivatePemHeader));
  }
  Bio bio = ReadOnlyBio(text);
  // A callback that refuses to give a passphrase, so OpenSSL never prompts.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return -1; };
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr;
  if (key == nullptr) return InvalidArgument("unreadable private key PEM: " + TakeOpenSslErrors());
  return Adopt(key);
}

Result<PrivateKey> PrivateKey::ReadPemFile(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path, FileSecrecy::kOwnerOnly);
  if (!text.ok()) return text.status();
  Result<PrivateKey> key = FromPem(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

std::string PrivateKey::Pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    TakeOpenSslErrors();
    return "";
  }
  return BioContents(bio.get());
}

Result<std::string> PrivateKey::Sign(std::string_view data) const {
  if (ed25519_ != nullptr) {
    std::string signature(crypto_sign_BYTES, '\0');
    if (crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr, Bytes(data), data.size(),
                             ed25519_->bytes.data()) != 0) {
      return Internal("libsodium could not make an ed25519 signature");
    }
    return signature;
  }
  EvpMdCtx md(EVP_MD_CTX_new());
  if (!md) return OpenSslFailure("allocating a digest context");
  REGLINE_RETURN_IF_ERROR(InitOperation(md.get(), key_.get(), algorithm(), /*sign=*/true));
  size_t size = 0;
  if (EVP_DigestSign(md.get(), nullptr, &size, Bytes(data), data.size()) != 1) {
    return OpenSslFailure("sizing the signature");
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, Bytes(data), data.size()) !=
      1) {
    return OpenSslFailure("signing");
  }
  signature.resize(size);
  return signature;
}

// --- digests ---

namespace {

// `data` hashed with `md` (32-byte digests only); "" if OpenSSL fails.
std::string Digest32(std::string_view data, const EVP_MD* md) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (md == nullptr || EVP_Digest(Bytes(data), data.size(), digest.data(), &size, md, nullptr) != 1 || size != 32) {
    TakeOpenSslErrors();
    return "";
  }
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace

std::string Sha256(std::string_view data) { return Digest32(data, EVP_sha256()); }

std::string Sm3(std::string_view data) { return Digest32(data, EVP_sm3()); }

Result<std::string> RandomBytes(size_t size) {
  std::string bytes(size, '\0');
  if (size > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(size)) != 1) {
    return OpenSslFailure("drawing random bytes");
  }
  return bytes;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 0xf];
  }
  return hex;
}

}  // namespace regline::crypto
