#include "gateway/server/config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <set>

#include "gateway/core/toml_table.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/crypto/key_files.h"
#include "gateway/policy/builtin_policy.h"

namespace regline::server {

Result<std::vector<std::string>> GatewayConfig::ExpandRecipients(
    const identity::Registry& registry, const std::vector<std::string>& names,
    const std::map<std::string, std::vector<std::string>>& policy_groups) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& n) {
    if (seen.insert(n).second) out.push_back(n);
  };
  auto add_members = [&](const std::vector<std::string>& members) {
    for (const auto& m : members) {
      const identity::Identity* member = registry.Find(m);
      if (member != nullptr && !member->revoked()) add(m);
    }
  };
  for (const auto& n : names) {
    if (auto g = groups.find(n); g != groups.end()) {
      add_members(g->second);
    } else if (auto pg = policy_groups.find(n); pg != policy_groups.end()) {
      add_members(pg->second);
    } else if (n == "all-platforms") {
      for (const auto& i : registry.identities())
        if (i.role == identity::Role::kPlatform && !i.revoked()) add(i.name);
    } else if (const identity::Identity* id = registry.Find(n)) {
      if (id->revoked()) return PermissionDenied("recipient '" + n + "' is revoked");
      add(n);
    } else {
      return InvalidArgument("unknown recipient '" + n + "'");
    }
  }
  if (out.empty()) return InvalidArgument("the recipients name no active identity");
  return out;
}

Status GatewayConfig::CheckPolicyGroups(const policy::Policy& p) const {
  for (const auto& [name, members] : p.groups) {
    if (groups.count(name) != 0) {
      return InvalidArgument("group '" + name + "' is defined both in the gateway configuration's [groups] and in "
                             "the policy's; keep one");
    }
  }
  return Status::Ok();
}

Status GatewayConfig::CheckReferences(const identity::Registry& registry) const {
  for (const auto& [group, members] : groups) {
    for (const auto& m : members) {
      if (registry.Find(m) == nullptr) return InvalidArgument("group '" + group + "' names unknown identity '" + m + "'");
    }
  }
  for (const auto& [name, quota] : store.quotas) {
    if (registry.Find(name) == nullptr) return InvalidArgument("[quotas] names unknown identity '" + name + "'");
  }
  return Status::Ok();
}

namespace {

using TableReader = TomlTableReader;

Status Read(const std::string& file, const toml::table& root, GatewayConfig& c) {
  TableReader top(file, root, "");
  for (const char* k : {"gateway", "delivery", "quotas", "groups", "identity", "security", "admin"}) top.MarkKnown(k);
  for (const char* k : {"gateway", "delivery", "quotas", "groups", "security", "admin"}) {
    if (const toml::node* n = root.get(k); n != nullptr && !n->is_table()) return top.Error(*n, k, "must be a table");
  }
  REGLINE_RETURN_IF_ERROR(top.Finish());

  if (const toml::table* g = root["gateway"].as_table()) {
    TableReader r(file, *g, "gateway.");
    std::string durability = "full";
    REGLINE_RETURN_IF_ERROR(r.Get("listen", c.listen));
    REGLINE_RETURN_IF_ERROR(r.Get("data_dir", c.data_dir));
    REGLINE_RETURN_IF_ERROR(r.Get("identity", c.identity));
    REGLINE_RETURN_IF_ERROR(r.Get("policy", c.policy_file));
    REGLINE_RETURN_IF_ERROR(r.GetInt("escalation_check_ms", c.escalation_check_ms, 100, 3'600'000));
    REGLINE_RETURN_IF_ERROR(r.GetInt("retention_check_ms", c.retention_check_ms, 1000, 86'400'000));
    REGLINE_RETURN_IF_ERROR(r.Get("durability", durability));
    REGLINE_RETURN_IF_ERROR(r.GetInt("max_frame_bytes", c.max_frame_bytes, 65536, 256 << 20));
    REGLINE_RETURN_IF_ERROR(r.GetInt("heartbeat_interval_ms", c.heartbeat_interval_ms, 100, 600'000));
    REGLINE_RETURN_IF_ERROR(r.GetInt("heartbeat_liveness", c.heartbeat_liveness, 2, 100));
    REGLINE_RETURN_IF_ERROR(r.GetInt("disk_reserve_bytes", c.disk_reserve_bytes, 0, int64_t{1} << 40));
    REGLINE_RETURN_IF_ERROR(r.Finish());
    if (durability == "full") {
      c.durability = Durability::kFull;
    } else if (durability == "normal") {
      c.durability = Durability::kNormal;
    } else {
      return r.Error(*g->get("durability"), "durability", "must be \"full\" or \"normal\"");
    }
  }
  if (const toml::table* d = root["delivery"].as_table()) {
    TableReader r(file, *d, "delivery.");
    REGLINE_RETURN_IF_ERROR(r.GetInt("lease_ms", c.lease_ms, 100, 86'400'000));
    REGLINE_RETURN_IF_ERROR(r.GetInt("max_deliveries_per_pass", c.max_deliveries_per_pass, 1, 65536));
    REGLINE_RETURN_IF_ERROR(
        r.GetInt("max_delivery_bytes_per_pass", c.max_delivery_bytes_per_pass, 1, int64_t{4} << 30));
    REGLINE_RETURN_IF_ERROR(r.GetInt("max_attempts", c.store.max_attempts, 1, 1000));
    REGLINE_RETURN_IF_ERROR(r.GetInt("retry_base_ms", c.store.retry_base_ms, 1, 86'400'000));
    REGLINE_RETURN_IF_ERROR(r.GetInt("retry_max_ms", c.store.retry_max_ms, 1, 86'400'000 * 7LL));
    REGLINE_RETURN_IF_ERROR(r.GetInt("default_quota", c.store.default_quota, 1, INT64_MAX));
    REGLINE_RETURN_IF_ERROR(r.Finish());
  }
  if (const toml::table* t = root["security"].as_table()) {
    TableReader r(file, *t, "security.");
    bool insecure = false;
    if (const toml::node* n = t->get("insecure_plaintext_for_development")) {
      if (!n->is_boolean()) return r.Error(*n, "insecure_plaintext_for_development", "must be true or false");
      insecure = n->as_boolean()->get();
    }
    r.MarkKnown("insecure_plaintext_for_development");
    c.security.insecure_plaintext_for_development = insecure;
    REGLINE_RETURN_IF_ERROR(r.Get("server_key_file", c.security.server_key_file));
    REGLINE_RETURN_IF_ERROR(r.Get("registry", c.security.registry_file));
    REGLINE_RETURN_IF_ERROR(r.GetInt("verify_threads", c.security.verify_threads, 1, 64));
    REGLINE_RETURN_IF_ERROR(r.Get("signing_key_file", c.security.signing_key_file));
    REGLINE_RETURN_IF_ERROR(r.Finish());
  }
  if (const toml::table* t = root["admin"].as_table()) {
    TableReader r(file, *t, "admin.");
    c.admin.enabled = true;
    REGLINE_RETURN_IF_ERROR(r.GetHostPort("listen", c.admin.host, c.admin.port));
    REGLINE_RETURN_IF_ERROR(r.Get("token_file", c.admin.token_file));
    REGLINE_RETURN_IF_ERROR(r.Get("console_dir", c.admin.console_dir));
    REGLINE_RETURN_IF_ERROR(r.Get("time_zone", c.admin.time_zone));
    REGLINE_RETURN_IF_ERROR(r.Finish());
    if (c.admin.time_zone.empty() || c.admin.time_zone.find_first_of(" \"'<>") != std::string::npos) {
      return InvalidArgument(file + ": admin.time_zone must be an IANA zone name such as \"Asia/Shanghai\"");
    }
    if (c.admin.token_file.empty()) return r.Missing("token_file");
  }
  // Relative paths count from the config file's directory.
  auto resolve = [&](std::string& p) {
    if (!p.empty() && p[0] != '/') p = (std::filesystem::path(file).parent_path() / p).lexically_normal().string();
  };
  resolve(c.security.server_key_file);
  resolve(c.security.registry_file);
  resolve(c.security.signing_key_file);
  resolve(c.policy_file);
  if (c.admin.enabled) {
    resolve(c.admin.token_file);
    resolve(c.admin.console_dir);
    Result<std::string> token = crypto::ReadSecretFile(c.admin.token_file);
    if (!token.ok()) return token.status().WithContext(file + ": admin.token_file");
    c.admin.token = std::move(token).value();
  }
  if (c.identity.empty()) return InvalidArgument(file + ": gateway.identity must not be empty");
  if (!c.security.insecure_plaintext_for_development) {
    if (c.security.server_key_file.empty()) {
      return InvalidArgument(file + ": [security] server_key_file is required: the gateway's CURVE key pair "
                                    "(make one with `reglinectl keygen --curve-only`); for development only, "
                                    "insecure_plaintext_for_development = true runs without");
    }
    // Its mode is not checked here (it never was); the connector's is.
    Result<crypto::CurveKeyPair> pair =
        crypto::ReadCurveKeyFile(c.security.server_key_file, crypto::FileSecrecy::kPublic);
    if (!pair.ok()) return pair.status();
    c.security.curve_public = pair->public_z85;
    c.security.curve_secret = pair->secret_z85;
  }
  if (c.security.registry_file.empty()) {
    Result<identity::Registry> inline_ids = identity::Registry::FromToml(file, root);
    if (!inline_ids.ok()) return inline_ids.status();
    c.registry = std::move(inline_ids).value();
  } else {
    if (const toml::node* ids = root.get("identity")) {
      return top.Error(*ids, "identity", "identities are in the registry " + c.security.registry_file +
                                             " ([security] registry); not here as well");
    }
    Result<identity::Registry> loaded = identity::Registry::Load(c.security.registry_file);
    if (!loaded.ok()) return loaded.status();
    c.registry = std::move(loaded).value();
  }
  if (const toml::table* q = root["quotas"].as_table()) {
    for (const auto& [k, v] : *q) {
      std::string name(k.str());
      if (!v.is_integer() || v.as_integer()->get() < 1) {
        return TableReader(file, *q, "quotas.").Error(v, name, "must be a positive integer");
      }
      if (c.registry.Find(name) == nullptr) {
        return TableReader(file, *q, "quotas.").Error(v, name, "names no identity");
      }
      c.store.quotas[name] = v.as_integer()->get();
    }
  }
  if (const toml::table* g = root["groups"].as_table()) {
    for (const auto& [k, v] : *g) {
      std::string name(k.str());
      TableReader r(file, *g, "groups.");
      const toml::array* members = v.as_array();
      if (members == nullptr) return r.Error(v, name, "must be an array of identity names");
      if (c.registry.Find(name) != nullptr) return r.Error(v, name, "is also an identity's name");
      for (const toml::node& m : *members) {
        if (!m.is_string() || c.registry.Find(m.as_string()->get()) == nullptr) {
          return r.Error(m, name, "member must name a defined identity");
        }
        c.groups[name].push_back(m.as_string()->get());
      }
    }
  }
  Result<policy::Policy> loaded_policy = LoadGatewayPolicy(c.policy_file);
  if (!loaded_policy.ok()) return loaded_policy.status();
  c.policy = std::move(loaded_policy).value();
  REGLINE_RETURN_IF_ERROR(c.CheckPolicyGroups(c.policy).WithContext(file));
  if (c.registry.identities().empty()) {
    return InvalidArgument((c.security.registry_file.empty() ? file : c.security.registry_file) +
                           ": no [[identity]] is defined; nobody could connect");
  }
  return Status::Ok();
}

}  // namespace

Result<policy::Policy> LoadGatewayPolicy(const std::string& path) {
  if (path.empty()) return policy::ParsePolicy(policy::kBuiltinPolicyName, policy::BuiltinPolicyText());
  return policy::LoadPolicy(path);
}

Result<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  GatewayConfig c;
  c.source = path;
  try {
    toml::table root = toml::parse_file(path);
    REGLINE_RETURN_IF_ERROR(Read(path, root, c));
  } catch (const toml::parse_error& e) {
    std::string where = e.source().begin.line > 0 ? ":" + std::to_string(e.source().begin.line) : "";
    return InvalidArgument(path + where + ": " + std::string(e.description()));
  }
  c.store.path = c.data_dir + "/gateway.db";
  c.store.durability = c.durability;
  return c;
}

}  // namespace regline::server
