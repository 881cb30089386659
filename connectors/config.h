// ConnectorConfig: the regline-connector daemon's configuration file (TOML).
//
// Every key is documented in connectors/regline-connector.toml, the shipped
// example. LoadConnectorConfig() refuses a file with an unknown key, a value
// of the wrong type or out of range, or a key that belongs to another sink
// type, naming the file, the line and the key ("FILE:LINE: sink.argv: ..."),
// so that a typo never silently falls back to a default. A plain value once
// loaded; any thread may read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/protocol/client.h"

namespace regline::connector {

enum class SinkType {
  kSpool,    // one JSON file per message in a directory
  kCommand,  // a program run per message, the JSON on its stdin
  kDiscard,  // accepts every message at once and keeps nothing (benchmarks, trials)
  // kWebhook (HTTPS POST via libcurl) comes with its own issue; see sink.h.
};
std::string_view SinkTypeName(SinkType t);

struct SinkConfig {
  SinkType type = SinkType::kSpool;
  std::string directory;          // spool: where the files go
  std::vector<std::string> argv;  // command: program and arguments (no shell)
  int64_t timeout_ms = 30'000;    // command: longest run before it is killed and retried
  int64_t retry_min_ms = 1'000;   // a failed hand-over is retried after this, doubling ...
  int64_t retry_max_ms = 60'000;  // ... up to this
};

struct ConnectorConfig {
  std::string source;  // the file it came from

  // [connector]
  std::string identity;  // the platform's registered identity, e.g. "douyin" (required)
  std::string data_dir = "/var/lib/regline-connector";
  Durability durability = Durability::kFull;
  std::string local_endpoint = "tcp://127.0.0.1:*";
  uint32_t local_max_frame_bytes = 16 * 1024 * 1024;
  int64_t outbox_quota = 100'000;

  // [gateway]
  std::string gateway_endpoint = "tcp://127.0.0.1:5570";
  uint32_t credit_window = 256;
  int64_t request_timeout_ms = 5'000;
  uint32_t heartbeat_interval_ms = 5'000;
  int64_t reconnect_min_ms = 200;
  int64_t reconnect_max_ms = 30'000;
  protocol::CurveKeys curve;  // from curve_server_key, curve_public_key, curve_secret_key_file

  // [sink]
  SinkConfig sink;

  std::string inbox_path() const { return data_dir + "/inbox.db"; }
  std::string outbox_path() const { return data_dir + "/outbox.db"; }
  std::string endpoint_file() const { return data_dir + "/connector.endpoint"; }
};

// Reads and validates `path`. kInvalidArgument with "FILE:LINE: KEY: what is
// wrong" for a bad file; kIOError-like parse failures also come back as
// kInvalidArgument naming the file (and line when known).
Result<ConnectorConfig> LoadConnectorConfig(const std::string& path);

}  // namespace regline::connector
