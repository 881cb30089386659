#include "connectors/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <filesystem>
#include <iterator>
#include <utility>

#include "gateway/core/toml_table.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/crypto/key_files.h"

namespace regline::connector {

std::string_view SinkTypeName(SinkType t) {
  switch (t) {
    case SinkType::kSpool:
      return "spool";
    case SinkType::kCommand:
      return "command";
    case SinkType::kDiscard:
      return "discard";
    case SinkType::kWebhook:
      return "webhook";
  }
  return "unknown";
}

namespace {

using TableReader = TomlTableReader;

constexpr int64_t kDayMs = 86'400'000;

Status ReadConnector(TableReader& r, ConnectorConfig& c) {
  std::string durability = "full";
  REGLINE_RETURN_IF_ERROR(r.Get("identity", c.identity));
  REGLINE_RETURN_IF_ERROR(r.Get("data_dir", c.data_dir));
  REGLINE_RETURN_IF_ERROR(r.Get("durability", durability));
  REGLINE_RETURN_IF_ERROR(r.Get("local_endpoint", c.local_endpoint));
  REGLINE_RETURN_IF_ERROR(r.GetInt("local_max_frame_bytes", c.local_max_frame_bytes, 65536, 256 << 20));
  REGLINE_RETURN_IF_ERROR(r.GetInt("outbox_quota", c.outbox_quota, 1, INT64_MAX));
  REGLINE_RETURN_IF_ERROR(r.GetInt("retention_days", c.retention_days, 1, 36'500));
  REGLINE_RETURN_IF_ERROR(r.GetInt("retention_check_ms", c.retention_check_ms, 1'000, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (c.identity.empty()) {
    if (const toml::node* n = r.Find("identity")) return r.Error(*n, "identity", "must not be empty");
    return r.Missing("identity");
  }
  if (c.data_dir.empty()) return r.Error(*r.Find("data_dir"), "data_dir", "must not be empty");
  if (c.local_endpoint.empty()) return r.Error(*r.Find("local_endpoint"), "local_endpoint", "must not be empty");
  if (durability == "full") {
    c.durability = Durability::kFull;
  } else if (durability == "normal") {
    c.durability = Durability::kNormal;
  } else {
    return r.Error(*r.Find("durability"), "durability", "must be \"full\" or \"normal\", not \"" + durability + "\"");
  }
  return Status::Ok();
}

Status ReadGateway(TableReader& r, ConnectorConfig& c) {
  // The CURVE keys moved to [security]; say so rather than "unknown key".
  for (const auto& [old_key, new_key] : {std::pair{"curve_server_key", "server_key"},
                                         std::pair{"curve_public_key", "key_file"},
                                         std::pair{"curve_secret_key_file", "key_file"}}) {
    if (const toml::node* n = r.Find(old_key)) {
      return r.Error(*n, old_key, std::string("moved: set [security] ") + new_key + " instead");
    }
  }
  REGLINE_RETURN_IF_ERROR(r.Get("endpoint", c.gateway_endpoint));
  REGLINE_RETURN_IF_ERROR(r.GetInt("credit_window", c.credit_window, 1, 65536));
  REGLINE_RETURN_IF_ERROR(r.GetInt("request_timeout_ms", c.request_timeout_ms, 100, 600'000));
  REGLINE_RETURN_IF_ERROR(r.GetInt("heartbeat_interval_ms", c.heartbeat_interval_ms, 100, 600'000));
  REGLINE_RETURN_IF_ERROR(r.GetInt("reconnect_min_ms", c.reconnect_min_ms, 10, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.GetInt("reconnect_max_ms", c.reconnect_max_ms, 10, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (c.gateway_endpoint.empty()) return r.Error(*r.Find("endpoint"), "endpoint", "must not be empty");
  if (c.reconnect_max_ms < c.reconnect_min_ms) {
    return r.Error(*r.Find("reconnect_max_ms"), "reconnect_max_ms", "must not be below reconnect_min_ms");
  }
  return Status::Ok();
}

std::string Resolve(const std::string& config_file, const std::string& path);

// A secret from a file of mode 0600: its contents without trailing
// whitespace, at least 16 bytes.
Result<std::string> ReadSecret(const std::string& file, const std::string& key, const std::string& path) {
  Result<std::string> secret = crypto::ReadSecretFile(path);
  if (!secret.ok()) return secret.status().WithContext(file + ": " + key);
  return secret;
}

// The keys that belong to one sink type; a key of another type is refused
// by name, not silently ignored.
struct TypeKey {
  const char* key;
  SinkType type;
};
constexpr TypeKey kTypeKeys[] = {
    {"directory", SinkType::kSpool},
    {"argv", SinkType::kCommand},
    {"timeout_ms", SinkType::kCommand},
    {"url", SinkType::kWebhook},
    {"secret_file", SinkType::kWebhook},
    {"ca_file", SinkType::kWebhook},
    {"client_cert", SinkType::kWebhook},
    {"client_key", SinkType::kWebhook},
    {"insecure_skip_tls_verify_for_development", SinkType::kWebhook},
    {"max_in_flight", SinkType::kWebhook},
    {"connect_timeout_ms", SinkType::kWebhook},
    {"request_timeout_ms", SinkType::kWebhook},
    {"max_attempts", SinkType::kWebhook},
};

Status ReadWebhook(const std::string& file, TableReader& r, SinkConfig& s) {
  WebhookOptions& w = s.webhook;
  REGLINE_RETURN_IF_ERROR(r.Get("url", w.url));
  REGLINE_RETURN_IF_ERROR(r.Get("secret_file", s.secret_file));
  REGLINE_RETURN_IF_ERROR(r.Get("ca_file", w.ca_file));
  REGLINE_RETURN_IF_ERROR(r.Get("client_cert", w.client_cert_file));
  REGLINE_RETURN_IF_ERROR(r.Get("client_key", w.client_key_file));
  REGLINE_RETURN_IF_ERROR(r.GetBool("insecure_skip_tls_verify_for_development", w.insecure_skip_tls_verify));
  REGLINE_RETURN_IF_ERROR(r.GetInt("max_in_flight", w.max_in_flight, 1, 1024));
  REGLINE_RETURN_IF_ERROR(r.GetInt("connect_timeout_ms", w.connect_timeout_ms, 10, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.GetInt("request_timeout_ms", w.timeout_ms, 10, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.GetInt("max_attempts", w.max_attempts, 1, 1'000'000));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (w.url.empty()) return r.Missing("url");
  if (s.secret_file.empty()) return r.Missing("secret_file");
  const bool https = w.url.rfind("https://", 0) == 0;
  if (!https && !(w.insecure_skip_tls_verify && w.url.rfind("http://", 0) == 0)) {
    return r.Error(*r.Find("url"), "url",
                   "must be an https:// URL (http:// only with insecure_skip_tls_verify_for_development = true), "
                   "not '" +
                       w.url + "'");
  }
  if (w.client_cert_file.empty() != w.client_key_file.empty()) {
    const char* given = w.client_cert_file.empty() ? "client_key" : "client_cert";
    return r.Error(*r.Find(given), given, "needs client_cert and client_key together (mutual TLS)");
  }
  s.secret_file = Resolve(file, s.secret_file);
  if (!w.ca_file.empty()) w.ca_file = Resolve(file, w.ca_file);
  if (!w.client_cert_file.empty()) {
    w.client_cert_file = Resolve(file, w.client_cert_file);
    w.client_key_file = Resolve(file, w.client_key_file);
  }
  Result<std::string> secret = ReadSecret(file, "sink.secret_file", s.secret_file);
  if (!secret.ok()) return secret.status();
  w.secret = std::move(secret).value();
  return Status::Ok();
}

Status ReadHttpApi(const std::string& file, TableReader& r, HttpApiConfig& a) {
  a.enabled = true;
  REGLINE_RETURN_IF_ERROR(r.GetHostPort("listen", a.host, a.port));
  REGLINE_RETURN_IF_ERROR(r.Get("token_file", a.token_file));
  REGLINE_RETURN_IF_ERROR(r.GetInt("max_body_bytes", a.max_body_bytes, 1024, 64 << 20));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (a.token_file.empty()) return r.Missing("token_file");
  a.token_file = Resolve(file, a.token_file);
  Result<std::string> token = ReadSecret(file, "http_api.token_file", a.token_file);
  if (!token.ok()) return token.status();
  a.token = std::move(token).value();
  return Status::Ok();
}

Status ReadSink(const std::string& file, TableReader& r, const toml::table& t, SinkConfig& s) {
  std::string type;
  REGLINE_RETURN_IF_ERROR(r.Get("type", type));
  REGLINE_RETURN_IF_ERROR(r.GetInt("retry_min_ms", s.retry_min_ms, 1, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.GetInt("retry_max_ms", s.retry_max_ms, 1, kDayMs));
  constexpr const char* kTypes = "must be \"spool\", \"command\", \"webhook\" or \"discard\"";
  if (type.empty()) {
    if (const toml::node* n = r.Find("type")) return r.Error(*n, "type", kTypes);
    return r.Missing("type");
  }
  if (type == "spool") {
    s.type = SinkType::kSpool;
  } else if (type == "command") {
    s.type = SinkType::kCommand;
  } else if (type == "webhook") {
    s.type = SinkType::kWebhook;
  } else if (type == "discard") {
    s.type = SinkType::kDiscard;
  } else {
    return r.Error(*r.Find("type"), "type", std::string(kTypes) + ", not \"" + type + "\"");
  }
  for (const TypeKey& k : kTypeKeys) {
    const toml::node* n = r.Find(k.key);
    if (n == nullptr || k.type == s.type) continue;
    if (s.type == SinkType::kDiscard) return r.Error(*n, k.key, "is not used by type \"discard\"");
    return r.Error(*n, k.key, "is only for type \"" + std::string(SinkTypeName(k.type)) + "\"");
  }
  switch (s.type) {
    case SinkType::kSpool:
      REGLINE_RETURN_IF_ERROR(r.Get("directory", s.directory));
      REGLINE_RETURN_IF_ERROR(r.Finish());
      if (s.directory.empty()) return r.Missing("directory");
      break;
    case SinkType::kCommand:
      REGLINE_RETURN_IF_ERROR(r.GetStrings("argv", s.argv));
      REGLINE_RETURN_IF_ERROR(r.GetInt("timeout_ms", s.timeout_ms, 10, kDayMs));
      REGLINE_RETURN_IF_ERROR(r.Finish());
      if (s.argv.empty()) return r.Missing("argv");
      if (s.argv[0].empty() || s.argv[0][0] != '/') {
        return r.Error(*r.Find("argv"), "argv", "the program must be an absolute path, not '" + s.argv[0] + "'");
      }
      break;
    case SinkType::kWebhook:
      REGLINE_RETURN_IF_ERROR(ReadWebhook(file, r, s));
      break;
    case SinkType::kDiscard:
      REGLINE_RETURN_IF_ERROR(r.Finish());
      break;
  }
  if (s.retry_max_ms < s.retry_min_ms) {
    return r.Error(r.Find("retry_max_ms") ? *r.Find("retry_max_ms") : t, "retry_max_ms",
                   "must not be below retry_min_ms");
  }
  s.webhook.retry_min_ms = s.retry_min_ms;
  s.webhook.retry_max_ms = s.retry_max_ms;
  return Status::Ok();
}

// `path` as written, or against the config file's directory when relative.
std::string Resolve(const std::string& config_file, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return (std::filesystem::path(config_file).parent_path() / path).lexically_normal().string();
}

// What each required [security] key is, for the message that names the
// missing ones.
constexpr std::pair<const char*, const char*> kSecurityKeys[] = {
    {"key_file", "this platform's CURVE key pair, NAME.curve.key from `reglinectl keygen --name NAME`"},
    {"server_key", "the gateway's CURVE public key, Z85 or the path of its .curve.pub"},
    {"signing_key", "this platform's signing key, NAME.sign.key from reglinectl keygen"},
    {"registry", "a copy of the gateway's identity registry (identities.toml)"},
};

Status ReadSecurityKeys(const std::string& file, TableReader& r, ConnectorSecurity& s) {
  if (const toml::node* n = r.Find("insecure_plaintext_for_development")) {
    if (!n->is_boolean()) return r.Error(*n, "insecure_plaintext_for_development", "must be true or false");
    s.insecure_plaintext_for_development = n->as_boolean()->get();
  }
  r.MarkKnown("insecure_plaintext_for_development");
  REGLINE_RETURN_IF_ERROR(r.Get("key_file", s.key_file));
  REGLINE_RETURN_IF_ERROR(r.Get("server_key", s.server_key));
  REGLINE_RETURN_IF_ERROR(r.Get("signing_key", s.signing_key_file));
  REGLINE_RETURN_IF_ERROR(r.Get("registry", s.registry_file));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  for (const auto& [key, what] : kSecurityKeys) {
    const toml::node* n = r.Find(key);
    if (n != nullptr && n->as_string()->get().empty()) return r.Error(*n, key, "must not be empty");
  }
  if (s.insecure_plaintext_for_development) {
    for (const char* unused : {"key_file", "server_key"}) {
      if (const toml::node* n = r.Find(unused)) {
        return r.Error(*n, unused, "is not used with insecure_plaintext_for_development = true (plain TCP)");
      }
    }
  }
  s.key_file = Resolve(file, s.key_file);
  s.signing_key_file = Resolve(file, s.signing_key_file);
  s.registry_file = Resolve(file, s.registry_file);
  return Status::Ok();
}

// Without insecure mode every key is required; the message names all that
// are missing and what each is.
Status RequireSecurityKeys(const std::string& file, const ConnectorSecurity& s) {
  if (!s.secure()) return Status::Ok();
  const std::string given[] = {s.key_file, s.server_key, s.signing_key_file, s.registry_file};
  std::string missing;
  for (size_t i = 0; i < std::size(kSecurityKeys); ++i) {
    if (!given[i].empty()) continue;
    missing += std::string("\n  ") + kSecurityKeys[i].first + ": " + kSecurityKeys[i].second;
  }
  if (missing.empty()) return Status::Ok();
  return InvalidArgument(file + ": [security] is missing keys the connector needs to talk to a secure gateway:" +
                         missing +
                         "\n(or set insecure_plaintext_for_development = true, for development only: plain TCP, "
                         "nothing verified)");
}

// Reads the files the [security] keys name.
Status LoadSecurityFiles(const std::string& file, const std::string& identity, ConnectorSecurity& s) {
  const std::string where = file + ": [security] ";
  if (!s.key_file.empty()) {
    Result<crypto::CurveKeyPair> pair = crypto::ReadCurveKeyFile(s.key_file, crypto::FileSecrecy::kOwnerOnly);
    if (!pair.ok()) return pair.status().WithContext(where + "key_file");
    s.curve.client_public = pair->public_z85;
    s.curve.client_secret = pair->secret_z85;
  }
  if (!s.server_key.empty()) {
    if (crypto::IsZ85Key(s.server_key)) {
      s.curve.server_public = s.server_key;
    } else {
      Result<std::string> key = crypto::ReadCurvePublicKeyFile(s.server_key);
      if (!key.ok()) {
        return key.status().WithContext(where + "server_key (40 Z85 characters, or a .curve.pub file)");
      }
      s.curve.server_public = *key;
    }
  }
  if (!s.signing_key_file.empty()) {
    Result<identity::Signer> signer = identity::Signer::FromFile(identity, s.signing_key_file);
    if (!signer.ok()) return signer.status().WithContext(where + "signing_key");
    s.signer.emplace(std::move(signer).value());
  }
  if (!s.registry_file.empty()) {
    Result<identity::Registry> registry = identity::Registry::Load(s.registry_file);
    if (!registry.ok()) return registry.status().WithContext(where + "registry");
    const identity::Identity* self = registry->Find(identity);
    if (self == nullptr) {
      return InvalidArgument(where + "registry: " + s.registry_file + " does not register '" + identity +
                             "' (is it a copy of the gateway's?)");
    }
    s.registry.emplace(std::move(registry).value());
  }
  return Status::Ok();
}

Status Read(const std::string& file, const toml::table& root, ConnectorConfig& c) {
  TableReader top(file, root, "");
  for (const char* k : {"connector", "gateway", "sink", "http_api", "security"}) {
    top.MarkKnown(k);
    if (const toml::node* n = root.get(k); n != nullptr && !n->is_table()) return top.Error(*n, k, "must be a table");
  }
  REGLINE_RETURN_IF_ERROR(top.Finish());
  const toml::table* connector = root["connector"].as_table();
  if (connector == nullptr) return InvalidArgument(file + ": [connector] is required (it names the identity)");
  TableReader cr(file, *connector, "connector.");
  REGLINE_RETURN_IF_ERROR(ReadConnector(cr, c));
  if (const toml::table* g = root["gateway"].as_table()) {
    TableReader gr(file, *g, "gateway.");
    REGLINE_RETURN_IF_ERROR(ReadGateway(gr, c));
  }
  const toml::table* sink = root["sink"].as_table();
  if (sink == nullptr) return InvalidArgument(file + ": [sink] is required (where messages go)");
  TableReader sr(file, *sink, "sink.");
  REGLINE_RETURN_IF_ERROR(ReadSink(file, sr, *sink, c.sink));
  if (const toml::table* api = root["http_api"].as_table()) {
    TableReader ar(file, *api, "http_api.");
    REGLINE_RETURN_IF_ERROR(ReadHttpApi(file, ar, c.http_api));
  }
  if (const toml::table* security = root["security"].as_table()) {
    // Server_key is resolved only once it is known not to be a Z85 key.
    TableReader r(file, *security, "security.");
    REGLINE_RETURN_IF_ERROR(ReadSecurityKeys(file, r, c.security));
    if (!c.security.server_key.empty() && !crypto::IsZ85Key(c.security.server_key)) {
      c.security.server_key = Resolve(file, c.security.server_key);
    }
  }
  REGLINE_RETURN_IF_ERROR(RequireSecurityKeys(file, c.security));
  return LoadSecurityFiles(file, c.identity, c.security);
}

}  // namespace

Result<ConnectorConfig> LoadConnectorConfig(const std::string& path) {
  ConnectorConfig c;
  c.source = path;
  try {
    toml::table root = toml::parse_file(path);
    REGLINE_RETURN_IF_ERROR(Read(path, root, c));
  } catch (const toml::parse_error& e) {
    std::string where = e.source().begin.line > 0 ? ":" + std::to_string(e.source().begin.line) : "";
    return InvalidArgument(path + where + ": " + std::string(e.description()));
  }
  return c;
}

}  // namespace regline::connector
