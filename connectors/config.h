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
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/client.h"

namespace regline::connector {

enum class SinkType {
  kSpool,    // one JSON file per message in a directory
  kCommand,  // a program run per message, the JSON on its stdin
  kDiscard,  // accepts every message at once and keeps nothing (benchmarks, trials)
  kWebhook,  // an HTTPS POST per message (webhook_worker.h)
};
std::string_view SinkTypeName(SinkType t);

// [sink] type = "webhook": what the WebhookWorker (webhook_worker.h) posts
// with. The config reader fills it (paths resolved against the config file,
// the secret read from secret_file, retry_* from the [sink] keys).
struct WebhookOptions {
  std::string url;               // https:// (http:// only with insecure_skip_tls_verify)
  std::string secret;            // the HMAC key shared with the platform
  std::string ca_file;           // PEM bundle to verify the server against; empty: the system store
  std::string client_cert_file;  // mutual TLS: PEM certificate (chain) ...
  std::string client_key_file;   // ... and its key; both or neither
  // Development only: no certificate or host name check (and plain http://
  // allowed). Logged loudly at every start.
  bool insecure_skip_tls_verify = false;
  int max_in_flight = 64;
  int64_t connect_timeout_ms = 5'000;
  int64_t timeout_ms = 30'000;  // whole request, connection included
  int max_attempts = 1'000;
  int64_t retry_min_ms = 1'000;
  int64_t retry_max_ms = 60'000;
};

struct SinkConfig {
  SinkType type = SinkType::kSpool;
  std::string directory;          // spool: where the files go
  std::vector<std::string> argv;  // command: program and arguments (no shell)
  int64_t timeout_ms = 30'000;    // command: longest run before it is killed and retried
  int64_t retry_min_ms = 1'000;   // a failed hand-over is retried after this, doubling ...
  int64_t retry_max_ms = 60'000;  // ... up to this
  std::string secret_file;        // webhook: 0600; its contents, trailing newline dropped, are webhook.secret
  WebhookOptions webhook;
};

// [http_api]: the local HTTP API (http_api.h); off when the table is absent.
struct HttpApiConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";  // from listen = "HOST:PORT"
  int port = 0;                    // 0: one the OS picks (written to <data_dir>/http_api.url)
  std::string token_file;          // 0600, at least 16 bytes; resolved against the config file
  std::string token;               // its contents, trailing newline dropped
  int64_t max_body_bytes = 1 << 20;
};

// [security]: how the connector proves who it is to the gateway, signs what
// the platform states, and checks who signed what it receives (see
// docs/security.md). Paths are resolved against the config file's
// directory. Without insecure_plaintext_for_development, key_file,
// server_key, signing_key and registry are all required, and the files are
// read (and checked) when the config is loaded.
struct ConnectorSecurity {
  // Development only: plain TCP (key_file and server_key are refused as
  // unused), a signing_key and a registry are optional (without a registry
  // nothing received is verified). Logged loudly at every start.
  bool insecure_plaintext_for_development = false;
  std::string key_file;          // this platform's CURVE key pair (reglinectl keygen's NAME.curve.key), 0600
  std::string server_key;        // the gateway's CURVE public key: 40 Z85 characters, or a NAME.curve.pub path
  std::string signing_key_file;  // the platform's PKCS#8 signing key (NAME.sign.key), 0600
  std::string registry_file;     // a copy of the gateway's identity registry; reread when it changes

  // Loaded from the files above.
  protocol::CurveKeys curve;               // empty: plain TCP
  std::optional<identity::Signer> signer;  // signs acknowledgements and unsigned upstream envelopes
  std::optional<identity::Registry> registry;  // as loaded at start; absent: nothing is verified

  bool secure() const { return !insecure_plaintext_for_development; }
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
  // Retention: messages whose story is over (Inbox::Prune,
  // Outbox::PruneRetained) are deleted this long after they arrived or
  // were sent, checked every retention_check_ms.
  int64_t retention_days = 1095;
  int64_t retention_check_ms = 3'600'000;

  // [gateway]
  std::string gateway_endpoint = "tcp://127.0.0.1:5570";
  uint32_t credit_window = 16384;
  int64_t request_timeout_ms = 5'000;
  uint32_t heartbeat_interval_ms = 5'000;
  int64_t reconnect_min_ms = 200;
  int64_t reconnect_max_ms = 30'000;

  // [sink]
  SinkConfig sink;
  HttpApiConfig http_api;

  // [security]
  ConnectorSecurity security;

  std::string inbox_path() const { return data_dir + "/inbox.db"; }
  std::string outbox_path() const { return data_dir + "/outbox.db"; }
  std::string endpoint_file() const { return data_dir + "/connector.endpoint"; }
  std::string http_api_url_file() const { return data_dir + "/http_api.url"; }
};

// Reads and validates `path`, and the key files and registry its [security]
// table names. kInvalidArgument with "FILE:LINE: KEY: what is wrong" for a
// bad file; kIOError-like parse failures also come back as
// kInvalidArgument naming the file (and line when known); a key file or
// registry that cannot be read or is wrong comes back with its own code
// (kNotFound, kPermissionDenied, kInvalidArgument) and a message naming the
// [security] key and the file.
Result<ConnectorConfig> LoadConnectorConfig(const std::string& path);

}  // namespace regline::connector
