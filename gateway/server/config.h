// GatewayConfig: the regline-gateway daemon's configuration file (TOML).
//
// Every key is documented in gateway/regline-gateway.toml, the shipped
// default. Load() refuses a file with an unknown key, a value of the wrong
// type or out of range, naming the file, the line and the key, so a typo
// never silently falls back to a default. A plain value once loaded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/identity/registry.h"
#include "gateway/policy/policy.h"

namespace regline::server {

// [security]: how clients prove who they are. See docs/security.md.
struct SecurityConfig {
  // Development only: no CURVE, the identity a client names in HELLO is
  // believed, and identities without a signing key may send unsigned
  // envelopes. Logged loudly at every start.
  bool insecure_plaintext_for_development = false;
  std::string server_key_file;  // the gateway's CURVE key pair (reglinectl keygen's NAME.curve.key)
  std::string registry_file;    // identity registry; empty: the [[identity]] tables of this file
  int verify_threads = 2;       // threads that check payload signatures
  // The gateway's own signing key (PKCS#8 PEM, reglinectl keygen's
  // NAME.sign.key), registered to [gateway] identity: signs the messages
  // the gateway makes (escalations, redacted agreements). Empty: they go
  // unsigned, which only development mode accepts.
  std::string signing_key_file;
  // Loaded from server_key_file (Z85, 40 characters each).
  std::string curve_public;
  std::string curve_secret;
};

struct GatewayConfig {
  std::string source;                        // the file it came from
  std::string listen = "tcp://127.0.0.1:5570";
  std::string data_dir = "/var/lib/regline";
  std::string identity = "regline-gateway";  // the gateway's own identity, sender of escalations
  // The policy file (docs/policies.md); empty: the built-in copy of the
  // shipped policies/measures.toml. Reloaded on SIGHUP.
  std::string policy_file;
  int64_t escalation_check_ms = 1000;  // how often overdue directives are looked for
  int64_t retention_check_ms = 3'600'000;  // how often a legal-retention pass runs (policy [retention])
  Durability durability = Durability::kFull;
  uint32_t max_frame_bytes = 16 * 1024 * 1024;
  uint32_t heartbeat_interval_ms = 5000;
  uint32_t heartbeat_liveness = 3;           // intervals of silence before a peer is dead
  int64_t disk_reserve_bytes = 16 << 20;     // space held back for deliveries when the disk fills
  int64_t lease_ms = 30'000;                 // redelivery when a delivery is not acknowledged
  // Leased at once for one session: at most this many deliveries, and no
  // more once their envelopes reach max_delivery_bytes_per_pass (a lease
  // holds them in memory until they are sent).
  uint32_t max_deliveries_per_pass = 2048;
  int64_t max_delivery_bytes_per_pass = 8 << 20;
  StoreOptions store;                        // quotas, attempts, back-off (path is derived)
  SecurityConfig security;
  // [admin]: the administrative HTTP endpoint (admin_http.h); off without
  // the table.
  struct Admin {
    bool enabled = false;
    std::string host = "127.0.0.1";
    int port = 9470;
    std::string token_file;  // 0600, at least 16 bytes; /metrics and /api/v1 need it as a bearer token
    std::string token;
    // The web console's assets are served from this directory instead of
    // the copy built into the binary (for editing them without a rebuild).
    std::string console_dir;
    // The IANA time zone the console shows times in (docs/console.md).
    std::string time_zone = "Asia/Shanghai";
  } admin;
  identity::Registry registry;  // as loaded at start; the gateway reloads registry_file itself
  policy::Policy policy;        // as loaded at start (policy_file or the built-in); reloaded on SIGHUP
  std::map<std::string, std::vector<std::string>> groups;  // name -> identities

  // Expands group names (this file's [groups], then `policy_groups`, the
  // running policy's; "all-platforms" is every active platform identity
  // unless a group of that name is defined) into identities of `registry`,
  // without repeats, in order; a group's unknown or revoked members are
  // skipped. kInvalidArgument naming the first unknown recipient,
  // kPermissionDenied naming a revoked one.
  Result<std::vector<std::string>> ExpandRecipients(
      const identity::Registry& registry, const std::vector<std::string>& names,
      const std::map<std::string, std::vector<std::string>>& policy_groups = {}) const;
  // A group name defined both here and in `p`: kInvalidArgument naming it.
  Status CheckPolicyGroups(const policy::Policy& p) const;
  // Every group member and quota names an identity of `registry`;
  // kInvalidArgument naming the first that does not.
  Status CheckReferences(const identity::Registry& registry) const;
};

// Reads and validates `path`, the registry it names, the CURVE key file and
// the policy.
Result<GatewayConfig> LoadGatewayConfig(const std::string& path);

// The policy file `path`, or the built-in shipped policy when `path` is
// empty (policy/builtin_policy.h).
Result<policy::Policy> LoadGatewayPolicy(const std::string& path);

}  // namespace regline::server
