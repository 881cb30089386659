// Registry: every party that may talk to the gateway, with its role, its
// CURVE transport key and its signing keys.
//
// An identity ("samr-console", "douyin", "example-mcn") has one role
// (regulator with its department, platform, MCN agency or operator), at most
// one CURVE public key (the key its client connects with; each key belongs to
// exactly one identity) and any number of signing public keys (Ed25519 or
// SM2, told apart by the key itself). A signing key's id is derived from the
// key (KeyIdOf), so a signer never has to be told which id it holds.
//
// Nothing is ever deleted: revoking an identity or one of its signing keys
// stamps it with the instant, so that what it signed before stays
// verifiable as evidence while nothing new from it is accepted.
//
// The registry is a TOML file (an array of [[identity]] tables, format in
// docs/security.md) that `reglinectl identity add|revoke` rewrites and people
// may edit; the gateway's config may also hold the same tables inline. A
// Registry is a plain value: load, query, change, save. Not synchronized;
// one thread at a time.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/signing.h"

namespace regline::identity {

enum class Role { kRegulator, kPlatform, kMcnAgency, kOperator };
std::string_view RoleName(Role r);  // "regulator", "platform", "mcn-agency", "operator"
Result<Role> ParseRole(std::string_view name);

// The seven departments that issued the Measures, by their codes.
bool IsDepartment(std::string_view code);  // "CAC", "MPS", "MOFCOM", "MCT", "STA", "SAMR", "NRTA"

// The id a signing key is known by: the first 16 hex digits of its
// SHA-256 fingerprint (over the DER public key).
std::string KeyIdOf(const crypto::PublicKey& key);

struct SigningKey {
  explicit SigningKey(crypto::PublicKey k) : key_id(KeyIdOf(k)), key(std::move(k)) {}
  std::string key_id;  // KeyIdOf(key)
  crypto::PublicKey key;
  int64_t added_ms = 0;
  int64_t revoked_ms = 0;  // 0: valid
  bool revoked() const { return revoked_ms != 0; }
};

struct Identity {
  std::string name;
  Role role = Role::kPlatform;
  std::string department;  // regulators: one of the seven codes; empty for others
  std::string curve_key;   // Z85 CURVE public key (40 characters); empty: cannot connect over CURVE
  std::vector<SigningKey> signing_keys;
  int64_t added_ms = 0;
  int64_t revoked_ms = 0;  // 0: active

  bool revoked() const { return revoked_ms != 0; }
  const SigningKey* FindSigningKey(std::string_view key_id) const;
};

class Registry {
 public:
  Registry() = default;

  // Reads a registry file. kNotFound when it does not exist; kInvalidArgument
  // naming the file, line and key for anything wrong in it.
  static Result<Registry> Load(const std::string& path);
  // Reads the [[identity]] tables of an already parsed TOML document (a
  // registry file, or a gateway config holding them inline). `file` names
  // the source in errors; an absent `identity` key gives an empty registry.
  static Result<Registry> FromToml(const std::string& file, const toml::table& root);

  // The registry as a file, identities in order; Load(Save(...)) gives the
  // same registry back.
  std::string ToToml() const;
  // Writes ToToml() to `path` atomically: a temporary file, fsync, rename,
  // fsync of the directory (WriteFileDurably, mode 0644). kIOError (kNoSpace
  // for a full disk) naming the path; the old file is then unchanged.
  Status Save(const std::string& path) const;

  const std::vector<Identity>& identities() const { return identities_; }
  const Identity* Find(std::string_view name) const;
  const Identity* FindByCurveKey(std::string_view z85) const;

  // Adds `id` (validated as Load does). kAlreadyExists for a taken name or a
  // CURVE key already bound to another identity; kInvalidArgument otherwise.
  Status Add(Identity id);
  // Adds a signing key to an existing identity. kNotFound, kAlreadyExists.
  Status AddSigningKey(std::string_view name, crypto::PublicKey key, int64_t now_ms);
  // Revokes an identity (its CURVE key and all its signing keys with it).
  // kNotFound; kFailedPrecondition if it is revoked already.
  Status Revoke(std::string_view name, int64_t now_ms);
  // Revokes one signing key. kNotFound; kFailedPrecondition if revoked already.
  Status RevokeSigningKey(std::string_view name, std::string_view key_id, int64_t now_ms);

 private:
  Status Validate(const Identity& id) const;
  std::vector<Identity> identities_;
};

// A registry file watched for changes: Poll() loads it again when its
// modification time, size or inode changed since the last look (an
// atomic rewrite by `reglinectl identity` changes the inode). Used by the
// gateway and the connector to apply revocations without a restart. One
// thread at a time.
class RegistryFile {
 public:
  // Takes the file's current stamp: the caller has just loaded it.
  explicit RegistryFile(std::string path);

  // nullopt when the file is unchanged; otherwise the file as it loads now
  // (or why it does not).
  std::optional<Result<Registry>> Poll();
  const std::string& path() const { return path_; }

 private:
  struct Stamp {
    int64_t mtime_ns = 0, size = -1;
    uint64_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp StampOf(const std::string& path);
  std::string path_;
  Stamp stamp_;
};

}  // namespace regline::identity
