// identity add | add-key | list | revoke: the gateway's identity registry
// file, edited locally (no gateway session). The gateway notices the
// changed file within a second and applies it; a revocation ends the
// revoked identity's session at once.
#include <toml++/toml.h>

#include <filesystem>

#include "ctl/commands.h"
#include "gateway/identity/registry.h"

namespace regline::ctl {
namespace {

struct IdentityFlags {
  std::string registry = "/etc/regline/identities.toml";
  std::string name;
  std::string role;
  std::string department;
  std::string curve_key;  // Z85, or a file with public_key = "..."
  std::vector<std::string> signing_keys;  // SPKI PEM files
  std::string key_id;
};

Result<identity::Registry> LoadOrEmpty(const std::string& path, bool create) {
  Result<identity::Registry> reg = identity::Registry::Load(path);
  if (reg.status().code() == StatusCode::kNotFound && create) return identity::Registry();
  return reg;
}

// --curve-key: the 40-character key itself, or a key file (keygen's
// NAME.curve.pub or NAME.curve.key) holding public_key.
Result<std::string> CurveKeyFrom(const std::string& value) {
  std::error_code ec;
  if (!std::filesystem::exists(value, ec)) {
    if (value.size() == 40) return value;
    return InvalidArgument("--curve-key: '" + value + "' is neither a file nor a 40-character Z85 key");
  }
  try {
    toml::table t = toml::parse_file(value);
    if (auto key = t["public_key"].value<std::string>()) return *key;
    return InvalidArgument("--curve-key: " + value + " has no public_key");
  } catch (const toml::parse_error& e) {
    return InvalidArgument("--curve-key: " + value + ": " + std::string(e.description()));
  }
}

nlohmann::json IdentityJson(const identity::Identity& id) {
  nlohmann::json keys = nlohmann::json::array();
  for (const identity::SigningKey& k : id.signing_keys) {
    keys.push_back({{"key_id", k.key_id},
                    {"algorithm", crypto::SignatureAlgorithmName(k.key.algorithm())},
                    {"fingerprint", k.key.Fingerprint()},
                    {"revoked", TimeJson(k.revoked_ms)}});
  }
  return {{"name", id.name},
          {"role", identity::RoleName(id.role)},
          {"department", id.department.empty() ? nlohmann::json() : nlohmann::json(id.department)},
          {"curve_key", id.curve_key.empty() ? nlohmann::json() : nlohmann::json(id.curve_key)},
          {"signing_keys", keys},
          {"added", TimeJson(id.added_ms)},
          {"revoked", TimeJson(id.revoked_ms)}};
}

Rendered RenderRegistry(const identity::Registry& reg) {
  Rendered out;
  Table table({"NAME", "ROLE", "DEPT", "CURVE KEY", "SIGNING KEYS", "REVOKED"});
  out.json["identities"] = nlohmann::json::array();
  for (const identity::Identity& id : reg.identities()) {
    std::string keys;
    for (const identity::SigningKey& k : id.signing_keys) {
      keys += (keys.empty() ? "" : " ") + k.key_id + "(" + std::string(crypto::SignatureAlgorithmName(k.key.algorithm())) +
              (k.revoked() ? ",revoked" : "") + ")";
    }
    table.AddRow({id.name, std::string(identity::RoleName(id.role)), id.department.empty() ? "-" : id.department,
                  id.curve_key.empty() ? "-" : id.curve_key.substr(0, 10) + "...", keys.empty() ? "-" : keys,
                  FormatTime(id.revoked_ms)});
    out.json["identities"].push_back(IdentityJson(id));
  }
  out.text = table.Render();
  return out;
}

Status AddSigningKeyFiles(identity::Registry& reg, const std::string& name, const std::vector<std::string>& files,
                          int64_t now) {
  for (const std::string& file : files) {
    Result<crypto::PublicKey> key = crypto::PublicKey::ReadPemFile(file);
    if (!key.ok()) return key.status().WithContext("--signing-key");
    REGLINE_RETURN_IF_ERROR(reg.AddSigningKey(name, *key, now));
  }
  return Status::Ok();
}

int RunAdd(Console& console, const IdentityFlags& f) {
  Result<identity::Registry> reg = LoadOrEmpty(f.registry, true);
  if (!reg.ok()) return console.Fail(reg.status());
  identity::Identity id;
  id.name = f.name;
  Result<identity::Role> role = identity::ParseRole(f.role);
  if (!role.ok()) return console.Fail(role.status().WithContext("--role"));
  id.role = *role;
  id.department = f.department;
  for (char& c : id.department) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  id.added_ms = console.NowMs();
  if (!f.curve_key.empty()) {
    Result<std::string> key = CurveKeyFrom(f.curve_key);
    if (!key.ok()) return console.Fail(key.status());
    id.curve_key = *key;
  }
  if (Status added = reg->Add(id); !added.ok()) return console.Fail(added);
  if (Status keys = AddSigningKeyFiles(*reg, f.name, f.signing_keys, console.NowMs()); !keys.ok()) {
    return console.Fail(keys);
  }
  if (Status saved = reg->Save(f.registry); !saved.ok()) return console.Fail(saved);
  Rendered out;
  out.json = IdentityJson(*reg->Find(f.name));
  out.text = "added " + f.name + " (" + f.role + ") to " + f.registry + "\n";
  return console.Done(out);
}

int RunAddKey(Console& console, const IdentityFlags& f) {
  Result<identity::Registry> reg = LoadOrEmpty(f.registry, false);
  if (!reg.ok()) return console.Fail(reg.status());
  if (Status keys = AddSigningKeyFiles(*reg, f.name, f.signing_keys, console.NowMs()); !keys.ok()) {
    return console.Fail(keys);
  }
  if (Status saved = reg->Save(f.registry); !saved.ok()) return console.Fail(saved);
  Rendered out;
  out.json = IdentityJson(*reg->Find(f.name));
  out.text = "added " + std::to_string(f.signing_keys.size()) + " signing key(s) to " + f.name + "\n";
  return console.Done(out);
}

int RunRevoke(Console& console, const IdentityFlags& f) {
  Result<identity::Registry> reg = LoadOrEmpty(f.registry, false);
  if (!reg.ok()) return console.Fail(reg.status());
  Status revoked = f.key_id.empty() ? reg->Revoke(f.name, console.NowMs())
                                    : reg->RevokeSigningKey(f.name, f.key_id, console.NowMs());
  if (!revoked.ok()) return console.Fail(revoked);
  if (Status saved = reg->Save(f.registry); !saved.ok()) return console.Fail(saved);
  Rendered out;
  out.json = IdentityJson(*reg->Find(f.name));
  out.text = "revoked " + (f.key_id.empty() ? f.name : "signing key " + f.key_id + " of " + f.name) +
             "; the gateway applies it within a second\n";
  return console.Done(out);
}

}  // namespace

void AddIdentityCommands(CLI::App& app, Console& console) {
  CLI::App* group = Group(app, "identity", "The gateway's identity registry file: add, list, revoke");
  auto f = std::make_shared<IdentityFlags>();
  auto registry_flag = [&](CLI::App* c) {
    c->add_option("--registry", f->registry, "The registry file (env REGLINE_REGISTRY)")
        ->envname("REGLINE_REGISTRY")
        ->capture_default_str()
        ->type_name("FILE");
  };

  CLI::App* add = group->add_subcommand("add", "Register an identity (the file is created if absent)");
  registry_flag(add);
  add->add_option("--name", f->name, "Identity name, e.g. douyin")->required();
  add->add_option("--role", f->role, "regulator, platform, mcn-agency or operator")->required();
  add->add_option("--department", f->department, "Regulators: CAC, MPS, MOFCOM, MCT, STA, SAMR or NRTA");
  add->add_option("--curve-key", f->curve_key, "Its CURVE public key: Z85, or keygen's NAME.curve.pub")
      ->type_name("KEY|FILE");
  add->add_option("--signing-key", f->signing_keys, "Its signing public key: keygen's NAME.sign.pub (repeatable)")
      ->type_name("FILE");
  add->callback([&console, f] { console.Then([&console, f] { return RunAdd(console, *f); }); });

  CLI::App* add_key = group->add_subcommand("add-key", "Give an identity another signing key (key rotation)");
  registry_flag(add_key);
  add_key->add_option("name", f->name, "Identity name")->required();
  add_key->add_option("--signing-key", f->signing_keys, "Signing public key file (repeatable)")
      ->required()
      ->type_name("FILE");
  add_key->callback([&console, f] { console.Then([&console, f] { return RunAddKey(console, *f); }); });

  CLI::App* list = group->add_subcommand("list", "List identities, their keys and revocations");
  registry_flag(list);
  list->callback([&console, f] {
    console.Then([&console, f] {
      Result<identity::Registry> reg = identity::Registry::Load(f->registry);
      if (!reg.ok()) return console.Fail(reg.status());
      return console.Done(RenderRegistry(*reg));
    });
  });

  CLI::App* revoke = group->add_subcommand(
      "revoke", "Revoke an identity (its CURVE key and signing keys), or one signing key with --key-id");
  registry_flag(revoke);
  revoke->add_option("name", f->name, "Identity name")->required();
  revoke->add_option("--key-id", f->key_id, "Only this signing key (16 hex digits, as `identity list` shows)");
  revoke->callback([&console, f] { console.Then([&console, f] { return RunRevoke(console, *f); }); });
}

}  // namespace regline::ctl
