#include "gateway/server/config.h"

#include <toml++/toml.h>

#include "gateway/core/toml_table.h"

#include <set>

namespace regline::server {

std::string_view IdentityRoleName(IdentityRole r) {
  switch (r) {
    case IdentityRole::kRegulator: return "regulator";
    case IdentityRole::kPlatform: return "platform";
    case IdentityRole::kMcnAgency: return "mcn-agency";
    case IdentityRole::kOperator: return "operator";
  }
  return "unknown";
}

const Identity* GatewayConfig::FindIdentity(std::string_view name) const {
  for (const auto& i : identities)
    if (i.name == name) return &i;
  return nullptr;
}

Result<std::vector<std::string>> GatewayConfig::ExpandRecipients(const std::vector<std::string>& names) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& n) {
    if (seen.insert(n).second) out.push_back(n);
  };
  for (const auto& n : names) {
    if (auto g = groups.find(n); g != groups.end()) {
      for (const auto& m : g->second) add(m);
    } else if (n == "all-platforms") {
      for (const auto& i : identities)
        if (i.role == IdentityRole::kPlatform) add(i.name);
    } else if (FindIdentity(n) != nullptr) {
      add(n);
    } else {
      return InvalidArgument("unknown recipient '" + n + "'");
    }
  }
  if (out.empty()) return InvalidArgument("the recipients name no identity");
  return out;
}

namespace {

using TableReader = TomlTableReader;

Status ReadIdentity(const std::string& file, const toml::table& t, GatewayConfig& c) {
  TableReader r(file, t, "identity.");
  Identity id;
  std::string role;
  REGLINE_RETURN_IF_ERROR(r.Get("name", id.name));
  REGLINE_RETURN_IF_ERROR(r.Get("role", role));
  REGLINE_RETURN_IF_ERROR(r.Get("department", id.department));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (id.name.empty()) return r.Error(t, "name", "is required");
  if (role == "regulator") {
    id.role = IdentityRole::kRegulator;
  } else if (role == "platform") {
    id.role = IdentityRole::kPlatform;
  } else if (role == "mcn-agency") {
    id.role = IdentityRole::kMcnAgency;
  } else if (role == "operator") {
    id.role = IdentityRole::kOperator;
  } else {
    return r.Error(t, "role", "must be regulator, platform, mcn-agency or operator, not '" + role + "'");
  }
  if (c.FindIdentity(id.name) != nullptr) return r.Error(t, "name", "'" + id.name + "' is defined twice");
  c.identities.push_back(std::move(id));
  return Status::Ok();
}

Status Read(const std::string& file, const toml::table& root, GatewayConfig& c) {
  TableReader top(file, root, "");
  for (const char* k : {"gateway", "delivery", "quotas", "groups", "identity"}) top.MarkKnown(k);
  for (const char* k : {"gateway", "delivery", "quotas", "groups"}) {
    if (const toml::node* n = root.get(k); n != nullptr && !n->is_table()) return top.Error(*n, k, "must be a table");
  }
  REGLINE_RETURN_IF_ERROR(top.Finish());

  if (const toml::table* g = root["gateway"].as_table()) {
    TableReader r(file, *g, "gateway.");
    std::string durability = "full";
    REGLINE_RETURN_IF_ERROR(r.Get("listen", c.listen));
    REGLINE_RETURN_IF_ERROR(r.Get("data_dir", c.data_dir));
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
    REGLINE_RETURN_IF_ERROR(r.GetInt("max_attempts", c.store.max_attempts, 1, 1000));
    REGLINE_RETURN_IF_ERROR(r.GetInt("retry_base_ms", c.store.retry_base_ms, 1, 86'400'000));
    REGLINE_RETURN_IF_ERROR(r.GetInt("retry_max_ms", c.store.retry_max_ms, 1, 86'400'000 * 7LL));
    REGLINE_RETURN_IF_ERROR(r.GetInt("default_quota", c.store.default_quota, 1, INT64_MAX));
    REGLINE_RETURN_IF_ERROR(r.Finish());
  }
  if (const toml::node* ids = root.get("identity")) {
    const toml::array* arr = ids->as_array();
    if (arr == nullptr) return top.Error(*ids, "identity", "must be an array of tables ([[identity]])");
    for (const toml::node& n : *arr) {
      if (!n.is_table()) return top.Error(n, "identity", "each entry must be a table");
      REGLINE_RETURN_IF_ERROR(ReadIdentity(file, *n.as_table(), c));
    }
  }
  if (const toml::table* q = root["quotas"].as_table()) {
    for (const auto& [k, v] : *q) {
      std::string name(k.str());
      if (!v.is_integer() || v.as_integer()->get() < 1) {
        return TableReader(file, *q, "quotas.").Error(v, name, "must be a positive integer");
      }
      if (c.FindIdentity(name) == nullptr) {
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
      if (c.FindIdentity(name) != nullptr) return r.Error(v, name, "is also an identity's name");
      for (const toml::node& m : *members) {
        if (!m.is_string() || c.FindIdentity(m.as_string()->get()) == nullptr) {
          return r.Error(m, name, "member must name a defined identity");
        }
        c.groups[name].push_back(m.as_string()->get());
      }
    }
  }
  if (c.identities.empty()) {
    return InvalidArgument(file + ": no [[identity]] is defined; nobody could connect");
  }
  return Status::Ok();
}

}  // namespace

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
