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

namespace regline::server {

enum class IdentityRole { kRegulator, kPlatform, kMcnAgency, kOperator };
std::string_view IdentityRoleName(IdentityRole r);

struct Identity {
  std::string name;          // as clients say it in HELLO, e.g. "samr-console", "douyin"
  IdentityRole role = IdentityRole::kPlatform;
  std::string department;    // regulators: CAC, MPS, MOFCOM, MCT, STA, SAMR, NRTA
};

struct GatewayConfig {
  std::string source;                        // the file it came from
  std::string listen = "tcp://127.0.0.1:5570";
  std::string data_dir = "/var/lib/regline";
  Durability durability = Durability::kFull;
  uint32_t max_frame_bytes = 16 * 1024 * 1024;
  uint32_t heartbeat_interval_ms = 5000;
  uint32_t heartbeat_liveness = 3;           // intervals of silence before a peer is dead
  int64_t disk_reserve_bytes = 16 << 20;     // space held back for deliveries when the disk fills
  int64_t lease_ms = 30'000;                 // redelivery when a delivery is not acknowledged
  uint32_t max_deliveries_per_pass = 256;    // leased at once for one session
  StoreOptions store;                        // quotas, attempts, back-off (path is derived)
  std::vector<Identity> identities;
  std::map<std::string, std::vector<std::string>> groups;  // name -> identities

  const Identity* FindIdentity(std::string_view name) const;
  // Expands group names ("all-platforms" is every platform identity unless
  // the file defines it) into identities, without repeats, in order.
  // kInvalidArgument naming the first unknown recipient.
  Result<std::vector<std::string>> ExpandRecipients(const std::vector<std::string>& names) const;
};

// Reads and validates `path`.
Result<GatewayConfig> LoadGatewayConfig(const std::string& path);

}  // namespace regline::server
