// Test-only helpers: the key files and registry a secure connector's
// [security] table names, made as `reglinectl keygen` and `reglinectl
// identity add` would make them. Header-only; used by the connector's unit
// tests and its end-to-end suites, never by the daemon.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/crypto/curve_keys.h"
#include "gateway/crypto/key_files.h"
#include "gateway/crypto/signing.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"

namespace regline::connector::testing {

// One party's keys: a CURVE pair and a signing key.
struct PartyKeys {
  crypto::CurveKeyPair curve;
  crypto::PrivateKey signing;
};

// New random keys; aborts the test binary if the library cannot make them.
inline PartyKeys NewPartyKeys(crypto::SignatureAlgorithm algorithm = crypto::SignatureAlgorithm::kEd25519) {
  Result<crypto::CurveKeyPair> curve = crypto::GenerateCurveKeyPair();
  Result<crypto::PrivateKey> signing = crypto::PrivateKey::Generate(algorithm);
  if (!curve.ok() || !signing.ok()) std::abort();
  return PartyKeys{*curve, *signing};
}

// NAME.curve.key (0600) as keygen writes it.
inline Status WriteCurveKeyFile(const std::filesystem::path& path, const crypto::CurveKeyPair& pair) {
  return crypto::WriteNewFile(path.string(),
                              "public_key = \"" + pair.public_z85 + "\"\nsecret_key = \"" + pair.secret_z85 + "\"\n",
                              0600);
}

// NAME.curve.pub (0644).
inline Status WriteCurvePublicFile(const std::filesystem::path& path, const std::string& public_z85) {
  return crypto::WriteNewFile(path.string(), "public_key = \"" + public_z85 + "\"\n", 0644);
}

// NAME.sign.key (0600).
inline Status WriteSigningKeyFile(const std::filesystem::path& path, const crypto::PrivateKey& key) {
  return crypto::WriteNewFile(path.string(), key.Pem(), 0600);
}

// An identity for a registry, with its CURVE key and signing key.
inline identity::Identity RegistryEntry(const std::string& name, identity::Role role, const std::string& department,
                                        const PartyKeys& keys) {
  identity::Identity id;
  id.name = name;
  id.role = role;
  id.department = department;
  id.curve_key = keys.curve.public_z85;
  id.signing_keys.emplace_back(keys.signing.public_key());
  return id;
}

// What WriteSecurityFiles made.
struct SecurityFiles {
  crypto::CurveKeyPair gateway;  // the gateway's CURVE pair
  PartyKeys douyin;
  PartyKeys samr;  // samr-console, an SM2 signer
  identity::Registry registry;
};

// Writes, into `dir`, what the shipped example's [security] table names:
// douyin.curve.key, gateway.curve.pub, douyin.sign.key and identities.toml
// (douyin and samr-console).
inline SecurityFiles WriteSecurityFiles(const std::filesystem::path& dir) {
  SecurityFiles f{NewPartyKeys().curve, NewPartyKeys(), NewPartyKeys(crypto::SignatureAlgorithm::kSm2Sm3), {}};
  if (!f.registry.Add(RegistryEntry("douyin", identity::Role::kPlatform, "", f.douyin)).ok() ||
      !f.registry.Add(RegistryEntry("samr-console", identity::Role::kRegulator, "SAMR", f.samr)).ok() ||
      !f.registry.Save((dir / "identities.toml").string()).ok() ||
      !WriteCurveKeyFile(dir / "douyin.curve.key", f.douyin.curve).ok() ||
      !WriteCurvePublicFile(dir / "gateway.curve.pub", f.gateway.public_z85).ok() ||
      !WriteSigningKeyFile(dir / "douyin.sign.key", f.douyin.signing).ok()) {
    std::abort();
  }
  return f;
}

}  // namespace regline::connector::testing
