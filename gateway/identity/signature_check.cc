#include "gateway/identity/signature_check.h"

namespace regline::identity {

int WireAlgorithm(crypto::SignatureAlgorithm a) { return a == crypto::SignatureAlgorithm::kEd25519 ? 1 : 2; }

Result<crypto::PublicKey> ResolveSigningKey(const Registry& registry, std::string_view expected_signer,
                                            const SignatureClaim& claim, std::string_view what) {
  const std::string thing(what);
  if (!claim.present()) return InvalidSignature(thing + " is not signed");
  if (claim.signer != expected_signer) {
    return InvalidSignature(thing + " is signed by '" + claim.signer + "', not by its sender '" +
                            std::string(expected_signer) + "'");
  }
  const Identity* signer = registry.Find(claim.signer);
  if (signer == nullptr) return InvalidSignature(thing + ": signer '" + claim.signer + "' is not registered");
  const SigningKey* key = signer->FindSigningKey(claim.key_id);
  if (key == nullptr) {
    return InvalidSignature(thing + ": '" + claim.signer + "' has no registered signing key '" + claim.key_id + "'");
  }
  if (key->revoked()) {
    return InvalidSignature(thing + ": signing key " + claim.key_id + " of '" + claim.signer + "' is revoked");
  }
  if (claim.algorithm != WireAlgorithm(key->key.algorithm())) {
    return InvalidSignature(thing + ": signature algorithm " + std::to_string(claim.algorithm) + " but key " +
                            claim.key_id + " is " + std::string(crypto::SignatureAlgorithmName(key->key.algorithm())));
  }
  return key->key;
}

Status VerifySignature(const Registry& registry, std::string_view expected_signer, const SignatureClaim& claim,
                       std::string_view data, std::string_view what) {
  Result<crypto::PublicKey> key = ResolveSigningKey(registry, expected_signer, claim, what);
  if (!key.ok()) return key.status();
  Status verified = key->Verify(data, claim.bytes);
  if (!verified.ok()) return InvalidSignature(std::string(what) + ": " + verified.message());
  return Status::Ok();
}

Signer::Signer(std::string identity, crypto::PrivateKey key)
    : identity_(std::move(identity)), key_(std::move(key)), key_id_(KeyIdOf(key_.public_key())) {}

Result<Signer> Signer::FromFile(std::string identity, const std::string& path) {
  Result<crypto::PrivateKey> key = crypto::PrivateKey::ReadPemFile(path);
  if (!key.ok()) return key.status();
  return Signer(std::move(identity), std::move(key).value());
}

Result<SignatureClaim> Signer::Sign(std::string_view data) const {
  Result<std::string> bytes = key_.Sign(data);
  if (!bytes.ok()) return bytes.status();
  SignatureClaim c;
  c.algorithm = WireAlgorithm(key_.algorithm());
  c.signer = identity_;
  c.key_id = key_id_;
  c.bytes = std::move(bytes).value();
  return c;
}

}  // namespace regline::identity
