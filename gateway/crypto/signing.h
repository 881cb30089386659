// Signing keys and signatures: what a sender uses to sign an envelope and
// what the gateway, a platform or a third party uses to check it.
//
// Two algorithms, each with one fixed encoding:
//   ed25519  pure Ed25519 (RFC 8032) over the bytes themselves; the
//            signature is the raw 64 bytes.
//   sm2-sm3  SM2 (GB/T 32918) with the SM3 digest and the GM/T 0009
//            default distinguishing id "1234567812345678"; the signature is
//            DER (SEQUENCE of the INTEGERs r and s, about 70-72 bytes).
// Keys travel as PEM: PKCS#8 "PRIVATE KEY" (unencrypted; the file's mode
// protects it) and SubjectPublicKeyInfo "PUBLIC KEY". docs/evidence.md shows
// how to check a signature with the stock `openssl` tool.
//
// PublicKey and PrivateKey are values: copies share one immutable OpenSSL
// key, and any number of threads may sign or verify with the same key (or
// copies of it) at once. Nothing here touches files except the ReadPemFile
// functions; key_files.h writes them.
//
// Engines: keys are read, written, generated and classified by OpenSSL 3
// (EVP), and sm2-sm3 is signed and checked through EVP. Ed25519 signatures
// are made and checked by libsodium (the library libzmq already loads for
// CURVE) from the same raw key bytes: Ed25519 is deterministic, so both
// libraries make byte-identical signatures (signing_test checks this against
// EVP, openssl_cli_test against the openssl tool), and libsodium checks one in
// about half the time of OpenSSL 3.0's portable code (docs/performance.md).
// libsodium is the stricter of the two (it also refuses small-order points
// and non-canonical encodings), so anything it accepts OpenSSL accepts too:
// evidence stays checkable with the stock openssl tool.
#pragma once

#include <openssl/types.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline::crypto {

enum class SignatureAlgorithm { kEd25519, kSm2Sm3 };

// "ed25519" or "sm2-sm3": the name in flags, files and on the wire.
std::string_view SignatureAlgorithmName(SignatureAlgorithm algorithm);

// The inverse of SignatureAlgorithmName (exact, lower case);
// kInvalidArgument naming the accepted values otherwise.
Result<SignatureAlgorithm> ParseSignatureAlgorithm(std::string_view name);

// The distinguishing id both sides of an sm2-sm3 signature use.
inline constexpr std::string_view kSm2DistinguishingId = "1234567812345678";

class PublicKey {
 public:
  // A SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----") holding an
  // Ed25519 or SM2 key. kInvalidArgument for anything else: garbage, other
  // PEM types (private keys too), keys of other algorithms (RSA, P-256...).
  static Result<PublicKey> FromPem(std::string_view pem);

  // FromPem of the file at `path`. kNotFound if it does not exist,
  // kPermissionDenied if it may not be read, kIOError if reading fails,
  // kInvalidArgument as FromPem; every message names the file.
  static Result<PublicKey> ReadPemFile(const std::string& path);

  // A DER SubjectPublicKeyInfo (the bytes inside the PEM armour) holding an
  // Ed25519 or SM2 key, and nothing after it. kInvalidArgument otherwise,
  // as FromPem.
  static Result<PublicKey> FromDer(std::string_view der);

  SignatureAlgorithm algorithm() const { return algorithm_; }

  // The SubjectPublicKeyInfo PEM, ending in a newline.
  std::string Pem() const;

  // The DER SubjectPublicKeyInfo: what Fingerprint hashes and FromDer reads.
  std::string Der() const;

  // "sha256:" and 64 lower-case hex digits: SHA-256 of the DER
  // SubjectPublicKeyInfo (the same as `openssl pkey -pubin -outform DER |
  // sha256sum`). Names the key in logs, config and evidence.
  std::string Fingerprint() const;

  // Ok if `signature` is this key's signature over exactly `data`.
  // kInvalidSignature otherwise, saying whether the signature is malformed
  // (empty, wrong length, not DER) or well-formed but does not verify.
  // Never crashes on any input; kInternal only if OpenSSL itself fails.
  Status Verify(std::string_view data, std::string_view signature) const;

 private:
  PublicKey(std::shared_ptr<EVP_PKEY> key, SignatureAlgorithm algorithm);
  friend class PrivateKey;

  std::shared_ptr<EVP_PKEY> key_;  // never modified after construction
  // A verification context set up once for this key (algorithm fetched,
  // SM2 id set); Verify copies it instead of fetching again, which saves
  // about a fifth of an Ed25519 check. Never modified after construction;
  // null if setting it up failed (Verify then sets up its own).
  std::shared_ptr<EVP_MD_CTX> verify_template_;
  SignatureAlgorithm algorithm_;
  // For ed25519: the raw 32-byte public key libsodium checks with.
  std::array<unsigned char, 32> ed25519_public_{};
};

class PrivateKey {
 public:
  // A new random key from OpenSSL's default random generator.
  static Result<PrivateKey> Generate(SignatureAlgorithm algorithm);

  // An unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") holding an
  // Ed25519 or SM2 key. kInvalidArgument for anything else, including
  // encrypted PKCS#8 and the older "EC PRIVATE KEY" form.
  static Result<PrivateKey> FromPem(std::string_view pem);

  // FromPem of the file at `path`, which only its owner may access: a file
  // with any group or other permission bits is refused (kPermissionDenied,
  // naming the mode and saying `chmod 600`). Other errors as
  // PublicKey::ReadPemFile.
  static Result<PrivateKey> ReadPemFile(const std::string& path);

  SignatureAlgorithm algorithm() const { return public_key_.algorithm(); }

  // The unencrypted PKCS#8 PEM, ending in a newline. Secret: write it only
  // with key_files.h's WriteNewFile and mode 0600.
  std::string Pem() const;

  // The matching public key (holding no secret).
  const PublicKey& public_key() const { return public_key_; }

  // This key's signature over `data`, in the encoding of algorithm().
  // kInternal only if OpenSSL fails.
  Result<std::string> Sign(std::string_view data) const;

 private:
  struct Ed25519Secret;  // libsodium's 64-byte secret key, wiped when freed

  PrivateKey(std::shared_ptr<EVP_PKEY> key, PublicKey public_key, std::shared_ptr<const Ed25519Secret> ed25519)
      : key_(std::move(key)), public_key_(std::move(public_key)), ed25519_(std::move(ed25519)) {}
  // Wraps a decoded or generated key, checking its algorithm.
  static Result<PrivateKey> Adopt(EVP_PKEY* key);

  std::shared_ptr<EVP_PKEY> key_;  // never modified after construction
  PublicKey public_key_;
  std::shared_ptr<const Ed25519Secret> ed25519_;  // ed25519 keys only
};

// SHA-256 of `data`: 32 raw bytes.
std::string Sha256(std::string_view data);

// SM3 (GB/T 32905-2016) of `data`: 32 raw bytes.
std::string Sm3(std::string_view data);

// `size` bytes from OpenSSL's default random generator (RAND_bytes), for
// salts. kInternal only if the generator fails.
Result<std::string> RandomBytes(size_t size);

// Lower-case hex, two digits per byte.
std::string HexEncode(std::string_view bytes);

}  // namespace regline::crypto
