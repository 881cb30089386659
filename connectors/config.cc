#include "connectors/config.h"

#include <toml++/toml.h>

#include "gateway/core/toml_table.h"

#include <fstream>
#include <set>
#include <sstream>

namespace regline::connector {

std::string_view SinkTypeName(SinkType t) {
  switch (t) {
    case SinkType::kSpool:
      return "spool";
    case SinkType::kCommand:
      return "command";
    case SinkType::kDiscard:
      return "discard";
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

Result<std::string> ReadSecretKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
  if (key.size() != 40) return InvalidArgument(path + " must hold one 40-character Z85 key");
  return key;
}

Status ReadGateway(TableReader& r, ConnectorConfig& c) {
  std::string secret_file;
  REGLINE_RETURN_IF_ERROR(r.Get("endpoint", c.gateway_endpoint));
  REGLINE_RETURN_IF_ERROR(r.GetInt("credit_window", c.credit_window, 1, 65536));
  REGLINE_RETURN_IF_ERROR(r.GetInt("request_timeout_ms", c.request_timeout_ms, 100, 600'000));
  REGLINE_RETURN_IF_ERROR(r.GetInt("heartbeat_interval_ms", c.heartbeat_interval_ms, 100, 600'000));
  REGLINE_RETURN_IF_ERROR(r.GetInt("reconnect_min_ms", c.reconnect_min_ms, 10, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.GetInt("reconnect_max_ms", c.reconnect_max_ms, 10, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.Get("curve_server_key", c.curve.server_public));
  REGLINE_RETURN_IF_ERROR(r.Get("curve_public_key", c.curve.client_public));
  REGLINE_RETURN_IF_ERROR(r.Get("curve_secret_key_file", secret_file));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (c.gateway_endpoint.empty()) return r.Error(*r.Find("endpoint"), "endpoint", "must not be empty");
  if (c.reconnect_max_ms < c.reconnect_min_ms) {
    return r.Error(*r.Find("reconnect_max_ms"), "reconnect_max_ms", "must not be below reconnect_min_ms");
  }
  const bool any_curve = !c.curve.server_public.empty() || !c.curve.client_public.empty() || !secret_file.empty();
  if (!any_curve) return Status::Ok();
  for (const char* key : {"curve_server_key", "curve_public_key", "curve_secret_key_file"}) {
    const toml::node* n = r.Find(key);
    if (n == nullptr) return r.Missing(std::string(key) + " (the three curve_* keys go together)");
  }
  if (c.curve.server_public.size() != 40) {
    return r.Error(*r.Find("curve_server_key"), "curve_server_key", "must be 40 Z85 characters");
  }
  if (c.curve.client_public.size() != 40) {
    return r.Error(*r.Find("curve_public_key"), "curve_public_key", "must be 40 Z85 characters");
  }
  Result<std::string> secret = ReadSecretKeyFile(secret_file);
  if (!secret.ok())
    return r.Error(*r.Find("curve_secret_key_file"), "curve_secret_key_file", secret.status().message());
  c.curve.client_secret = *secret;
  return Status::Ok();
}

Status ReadSink(TableReader& r, const toml::table& t, SinkConfig& s) {
  std::string type;
  REGLINE_RETURN_IF_ERROR(r.Get("type", type));
  REGLINE_RETURN_IF_ERROR(r.GetInt("retry_min_ms", s.retry_min_ms, 1, kDayMs));
  REGLINE_RETURN_IF_ERROR(r.GetInt("retry_max_ms", s.retry_max_ms, 1, kDayMs));
  if (type.empty()) {
    if (const toml::node* n = r.Find("type")) return r.Error(*n, "type", "must be \"spool\", \"command\" or \"discard\"");
    return r.Missing("type");
  }
  // Keys of the other sink type are refused by name, not silently ignored.
  if (type == "spool") {
    s.type = SinkType::kSpool;
    REGLINE_RETURN_IF_ERROR(r.Get("directory", s.directory));
    for (const char* other : {"argv", "timeout_ms"}) {
      if (const toml::node* n = r.Find(other)) return r.Error(*n, other, "is only for type \"command\"");
    }
    REGLINE_RETURN_IF_ERROR(r.Finish());
    if (s.directory.empty()) return r.Missing("directory");
  } else if (type == "command") {
    s.type = SinkType::kCommand;
    REGLINE_RETURN_IF_ERROR(r.GetStrings("argv", s.argv));
    REGLINE_RETURN_IF_ERROR(r.GetInt("timeout_ms", s.timeout_ms, 10, kDayMs));
    if (const toml::node* n = r.Find("directory")) return r.Error(*n, "directory", "is only for type \"spool\"");
    REGLINE_RETURN_IF_ERROR(r.Finish());
    if (s.argv.empty()) return r.Missing("argv");
    if (s.argv[0].empty() || s.argv[0][0] != '/') {
      return r.Error(*r.Find("argv"), "argv", "the program must be an absolute path, not '" + s.argv[0] + "'");
    }
  } else if (type == "discard") {
    s.type = SinkType::kDiscard;
    for (const char* other : {"directory", "argv", "timeout_ms"}) {
      if (const toml::node* n = r.Find(other)) return r.Error(*n, other, "is not used by type \"discard\"");
    }
    REGLINE_RETURN_IF_ERROR(r.Finish());
  } else {
    return r.Error(*r.Find("type"), "type",
                   "must be \"spool\", \"command\" or \"discard\", not \"" + type + "\"");
  }
  if (s.retry_max_ms < s.retry_min_ms) {
    return r.Error(r.Find("retry_max_ms") ? *r.Find("retry_max_ms") : t, "retry_max_ms",
                   "must not be below retry_min_ms");
  }
  return Status::Ok();
}

Status Read(const std::string& file, const toml::table& root, ConnectorConfig& c) {
  TableReader top(file, root, "");
  for (const char* k : {"connector", "gateway", "sink"}) {
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
  return ReadSink(sr, *sink, c.sink);
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
