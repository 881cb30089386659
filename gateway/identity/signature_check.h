// Signatures over payloads, as the envelope carries them: who signs with
// which registered key (Signer), and whether a signature holds against the
// registry (VerifySignature). Used by the gateway before it confirms, by
// the connector before it hands a message on, and by the clients that sign.
//
// A signature names its signer (an identity), the key id (KeyIdOf the
// signer's registered public key) and the algorithm; all three must agree
// with the registry, the key must not be revoked, and the bytes must verify
// over exactly the signed data. Values and pure functions; a Signer may be
// used from several threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/crypto/signing.h"
#include "gateway/identity/registry.h"

namespace regline::identity {

// What a signature field says (schema Common.Signature).
struct SignatureClaim {
  int algorithm = 0;  // schema SignatureAlgorithm ordinal: 0 unspecified, 1 ed25519, 2 sm2Sm3
  std::string signer;
  std::string key_id;
  std::string bytes;

  bool present() const { return algorithm != 0 || !bytes.empty(); }
};

int WireAlgorithm(crypto::SignatureAlgorithm a);  // 1 or 2

// The registered public key `claim` names, once every check but the
// signature bytes themselves has passed (present, by `expected_signer`,
// registered and unrevoked key, matching algorithm); errors as
// VerifySignature's. Lets the caller check the bytes elsewhere (another
// thread) with PublicKey::Verify.
Result<crypto::PublicKey> ResolveSigningKey(const Registry& registry, std::string_view expected_signer,
                                            const SignatureClaim& claim, std::string_view what);

// ok when `claim` is a valid signature by `expected_signer` over `data`
// with a registered, unrevoked key. kInvalidSignature naming what is wrong
// (absent, another signer, unknown or revoked key, algorithm mismatch, does
// not verify); `what` names the signed thing in messages ("envelope 0f3a…").
Status VerifySignature(const Registry& registry, std::string_view expected_signer, const SignatureClaim& claim,
                       std::string_view data, std::string_view what);

// An identity's private signing key, ready to sign payloads.
class Signer {
 public:
  Signer(std::string identity, crypto::PrivateKey key);
  // Reads a PKCS#8 PEM key file (see crypto::PrivateKey::ReadPemFile).
  static Result<Signer> FromFile(std::string identity, const std::string& path);

  const std::string& identity() const { return identity_; }
  const std::string& key_id() const { return key_id_; }
  crypto::SignatureAlgorithm algorithm() const { return key_.algorithm(); }

  Result<SignatureClaim> Sign(std::string_view data) const;

 private:
  std::string identity_;
  crypto::PrivateKey key_;
  std::string key_id_;
};

}  // namespace regline::identity
