#include "gateway/identity/registry.h"

#include <sys/stat.h>
#include <zmq.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <sstream>

#include "gateway/core/files.h"
#include "gateway/core/toml_table.h"

namespace regline::identity {

namespace {

constexpr std::array<std::string_view, 7> kDepartments = {"CAC", "MPS", "MOFCOM", "MCT", "STA", "SAMR", "NRTA"};

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

bool IsCurveKey(std::string_view z85) {
  if (z85.size() != 40) return false;
  std::string text(z85);
  uint8_t decoded[32];
  return zmq_z85_decode(decoded, text.c_str()) != nullptr;
}

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

Result<SigningKey> ReadSigningKey(const std::string& file, const toml::table& t) {
  TomlTableReader r(file, t, "identity.signing_key.");
  std::string pem;
  std::string key_id;
  int64_t added_ms = 0, revoked_ms = 0;
  REGLINE_RETURN_IF_ERROR(r.Get("public_key", pem));
  REGLINE_RETURN_IF_ERROR(r.Get("key_id", key_id));
  REGLINE_RETURN_IF_ERROR(r.GetInt("added_ms", added_ms, 0, INT64_MAX));
  REGLINE_RETURN_IF_ERROR(r.GetInt("revoked_ms", revoked_ms, 0, INT64_MAX));
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (pem.empty()) return r.Missing("public_key");
  Result<crypto::PublicKey> key = crypto::PublicKey::FromPem(pem);
  if (!key.ok()) return r.Error(*t.get("public_key"), "public_key", key.status().message());
  SigningKey k(*key);
  k.added_ms = added_ms;
  k.revoked_ms = revoked_ms;
  if (!key_id.empty() && key_id != k.key_id) {
    return r.Error(*t.get("key_id"), "key_id",
                   "is '" + key_id + "' but the key's own id is '" + k.key_id + "' (ids are derived from the key)");
  }
  return k;
}

Result<Identity> ReadIdentity(const std::string& file, const toml::table& t) {
  TomlTableReader r(file, t, "identity.");
  Identity id;
  std::string role;
  REGLINE_RETURN_IF_ERROR(r.Get("name", id.name));
  REGLINE_RETURN_IF_ERROR(r.Get("role", role));
  REGLINE_RETURN_IF_ERROR(r.Get("department", id.department));
  REGLINE_RETURN_IF_ERROR(r.Get("curve_key", id.curve_key));
  REGLINE_RETURN_IF_ERROR(r.GetInt("added_ms", id.added_ms, 0, INT64_MAX));
  REGLINE_RETURN_IF_ERROR(r.GetInt("revoked_ms", id.revoked_ms, 0, INT64_MAX));
  r.MarkKnown("signing_key");
  REGLINE_RETURN_IF_ERROR(r.Finish());
  if (id.name.empty()) return r.Missing("name");
  Result<Role> parsed = ParseRole(role);
  if (!parsed.ok()) return t.get("role") ? r.Error(*t.get("role"), "role", parsed.status().message()) : r.Missing("role");
  id.role = *parsed;
  if (const toml::node* keys = t.get("signing_key")) {
    const toml::array* arr = keys->as_array();
    if (arr == nullptr) return r.Error(*keys, "signing_key", "must be an array of tables ([[identity.signing_key]])");
    for (const toml::node& n : *arr) {
      if (!n.is_table()) return r.Error(n, "signing_key", "each entry must be a table");
      Result<SigningKey> k = ReadSigningKey(file, *n.as_table());
      if (!k.ok()) return k.status();
      id.signing_keys.push_back(std::move(k).value());
    }
  }
  return id;
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kRegulator: return "regulator";
    case Role::kPlatform: return "platform";
    case Role::kMcnAgency: return "mcn-agency";
    case Role::kOperator: return "operator";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kRegulator, Role::kPlatform, Role::kMcnAgency, Role::kOperator}) {
    if (name == RoleName(r)) return r;
  }
  return InvalidArgument("must be regulator, platform, mcn-agency or operator, not '" + std::string(name) + "'");
}

bool IsDepartment(std::string_view code) {
  return std::find(kDepartments.begin(), kDepartments.end(), code) != kDepartments.end();
}

std::string KeyIdOf(const crypto::PublicKey& key) {
  std::string fp = key.Fingerprint();  // "sha256:<64 hex>"
  return fp.substr(fp.find(':') + 1, 16);
}

const SigningKey* Identity::FindSigningKey(std::string_view key_id) const {
  for (const SigningKey& k : signing_keys)
    if (k.key_id == key_id) return &k;
  return nullptr;
}

Result<Registry> Registry::Load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound("identity registry " + path + " does not exist");
  try {
    toml::table root = toml::parse_file(path);
    TomlTableReader top(path, root, "");
    top.MarkKnown("identity");
    REGLINE_RETURN_IF_ERROR(top.Finish());
    return FromToml(path, root);
  } catch (const toml::parse_error& e) {
    std::string where = e.source().begin.line > 0 ? ":" + std::to_string(e.source().begin.line) : "";
    return InvalidArgument(path + where + ": " + std::string(e.description()));
  }
}

Result<Registry> Registry::FromToml(const std::string& file, const toml::table& root) {
  Registry reg;
  const toml::node* ids = root.get("identity");
  if (ids == nullptr) return reg;
  const toml::array* arr = ids->as_array();
  TomlTableReader top(file, root, "");
  if (arr == nullptr) return top.Error(*ids, "identity", "must be an array of tables ([[identity]])");
  for (const toml::node& n : *arr) {
    if (!n.is_table()) return top.Error(n, "identity", "each entry must be a table");
    Result<Identity> id = ReadIdentity(file, *n.as_table());
    if (!id.ok()) return id.status();
    if (Status added = reg.Add(std::move(id).value()); !added.ok()) {
      return InvalidArgument(file + ":" + std::to_string(n.source().begin.line) + ": identity: " + added.message());
    }
  }
  return reg;
}

Status Registry::Validate(const Identity& id) const {
  if (!IsValidName(id.name)) {
    return InvalidArgument("name '" + id.name + "' must be 1 to 64 letters, digits, '-', '_' or '.'");
  }
  if (id.role == Role::kRegulator && !IsDepartment(id.department)) {
    return InvalidArgument("regulator '" + id.name + "' needs a department: CAC, MPS, MOFCOM, MCT, STA, SAMR or NRTA" +
                           (id.department.empty() ? std::string() : ", not '" + id.department + "'"));
  }
  if (id.role != Role::kRegulator && !id.department.empty()) {
    return InvalidArgument("'" + id.name + "' is a " + std::string(RoleName(id.role)) +
                           "; only regulators have a department");
  }
  if (!id.curve_key.empty() && !IsCurveKey(id.curve_key)) {
    return InvalidArgument("curve_key of '" + id.name + "' is not a Z85 CURVE public key (40 characters)");
  }
  if (Find(id.name) != nullptr) return AlreadyExists("identity '" + id.name + "' is registered already");
  if (!id.curve_key.empty()) {
    if (const Identity* other = FindByCurveKey(id.curve_key)) {
      return AlreadyExists("CURVE key of '" + id.name + "' is already bound to '" + other->name + "'");
    }
  }
  for (size_t i = 0; i < id.signing_keys.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (id.signing_keys[i].key_id == id.signing_keys[j].key_id) {
        return AlreadyExists("signing key " + id.signing_keys[i].key_id + " of '" + id.name + "' is listed twice");
      }
    }
  }
  return Status::Ok();
}

const Identity* Registry::Find(std::string_view name) const {
  for (const Identity& i : identities_)
    if (i.name == name) return &i;
  return nullptr;
}

const Identity* Registry::FindByCurveKey(std::string_view z85) const {
  if (z85.empty()) return nullptr;
  for (const Identity& i : identities_)
    if (i.curve_key == z85) return &i;
  return nullptr;
}

Status Registry::Add(Identity id) {
  REGLINE_RETURN_IF_ERROR(Validate(id));
  identities_.push_back(std::move(id));
  return Status::Ok();
}

Status Registry::AddSigningKey(std::string_view name, crypto::PublicKey key, int64_t now_ms) {
  auto it = std::find_if(identities_.begin(), identities_.end(), [&](const Identity& i) { return i.name == name; });
  if (it == identities_.end()) return NotFound("no identity '" + std::string(name) + "'");
  SigningKey k(std::move(key));
  k.added_ms = now_ms;
  if (it->FindSigningKey(k.key_id) != nullptr) {
    return AlreadyExists("'" + it->name + "' has signing key " + k.key_id + " already");
  }
  it->signing_keys.push_back(std::move(k));
  return Status::Ok();
}

Status Registry::Revoke(std::string_view name, int64_t now_ms) {
  auto it = std::find_if(identities_.begin(), identities_.end(), [&](const Identity& i) { return i.name == name; });
  if (it == identities_.end()) return NotFound("no identity '" + std::string(name) + "'");
  if (it->revoked()) return Status(StatusCode::kFailedPrecondition, "'" + it->name + "' is revoked already");
  it->revoked_ms = now_ms;
  for (SigningKey& k : it->signing_keys)
    if (!k.revoked()) k.revoked_ms = now_ms;
  return Status::Ok();
}

Status Registry::RevokeSigningKey(std::string_view name, std::string_view key_id, int64_t now_ms) {
  auto it = std::find_if(identities_.begin(), identities_.end(), [&](const Identity& i) { return i.name == name; });
  if (it == identities_.end()) return NotFound("no identity '" + std::string(name) + "'");
  for (SigningKey& k : it->signing_keys) {
    if (k.key_id != key_id) continue;
    if (k.revoked()) return Status(StatusCode::kFailedPrecondition, "signing key " + k.key_id + " is revoked already");
    k.revoked_ms = now_ms;
    return Status::Ok();
  }
  return NotFound("'" + it->name + "' has no signing key " + std::string(key_id));
}

std::string Registry::ToToml() const {
  std::ostringstream out;
  out << "# Regline identity registry: who may connect to the gateway, in which role, with\n"
         "# which CURVE key, and which keys sign for them. Written by `reglinectl identity`;\n"
         "# hand edits are fine (the gateway reloads the file when it changes), comments are\n"
         "# not kept. Format: docs/security.md.\n";
  for (const Identity& id : identities_) {
    out << "\n[[identity]]\nname = " << Quoted(id.name) << "\nrole = " << Quoted(RoleName(id.role)) << "\n";
    if (!id.department.empty()) out << "department = " << Quoted(id.department) << "\n";
    if (!id.curve_key.empty()) out << "curve_key = " << Quoted(id.curve_key) << "\n";
    if (id.added_ms != 0) out << "added_ms = " << id.added_ms << "\n";
    if (id.revoked_ms != 0) out << "revoked_ms = " << id.revoked_ms << "\n";
    for (const SigningKey& k : id.signing_keys) {
      out << "\n[[identity.signing_key]]\nkey_id = " << Quoted(k.key_id) << "  # "
          << crypto::SignatureAlgorithmName(k.key.algorithm()) << "\n";
      if (k.added_ms != 0) out << "added_ms = " << k.added_ms << "\n";
      if (k.revoked_ms != 0) out << "revoked_ms = " << k.revoked_ms << "\n";
      // PEM is base64 and dashes: a literal multi-line string holds it as is.
      out << "public_key = '''\n" << k.key.Pem() << "'''\n";
    }
  }
  return out.str();
}

Status Registry::Save(const std::string& path) const {
  // Public keys only: readable by all, like the config it complements.
  return WriteFileDurably(path, ToToml(), 0644).WithContext("saving the identity registry");
}

RegistryFile::RegistryFile(std::string path) : path_(std::move(path)), stamp_(StampOf(path_)) {}

RegistryFile::Stamp RegistryFile::StampOf(const std::string& path) {
  struct stat st {};
  Stamp s;
  if (stat(path.c_str(), &st) == 0) {
    s.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    s.size = st.st_size;
    s.inode = st.st_ino;
  }
  return s;
}

std::optional<Result<Registry>> RegistryFile::Poll() {
  Stamp now = StampOf(path_);
  if (now == stamp_) return std::nullopt;
  stamp_ = now;
  return Registry::Load(path_);
}

}  // namespace regline::identity
