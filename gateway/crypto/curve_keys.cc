#include "gateway/crypto/curve_keys.h"

#include <openssl/crypto.h>
#include <toml++/toml.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>

#include "gateway/core/toml_table.h"

namespace regline::crypto {
namespace {

constexpr size_t kZ85KeySize = 40;
constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

Status RequireCurve() {
  if (zmq_has("curve") == 0) return {StatusCode::kUnimplemented, "this libzmq was built without CURVE"};
  return Status::Ok();
}

// The key file's text parsed as TOML, its keys read into `public_z85` and
// `secret_z85` (a key the caller does not want gets nullptr: unknown key).
Status ParseKeyFile(const std::string& path, const std::string& text, std::string* public_z85,
                    std::string* secret_z85) {
  try {
    toml::table root = toml::parse(text, path);
    TomlTableReader r(path, root, "");
    if (public_z85 != nullptr) REGLINE_RETURN_IF_ERROR(r.Get("public_key", *public_z85));
    if (secret_z85 != nullptr) REGLINE_RETURN_IF_ERROR(r.Get("secret_key", *secret_z85));
    if (secret_z85 == nullptr && r.Find("secret_key") != nullptr) {
      return r.Error(*r.Find("secret_key"), "secret_key",
                     "this file holds a secret key; give the public key file (NAME.curve.pub) instead");
    }
    REGLINE_RETURN_IF_ERROR(r.Finish());
    if (secret_z85 != nullptr && secret_z85->empty()) return r.Missing("secret_key");
    if (secret_z85 == nullptr && public_z85->empty()) return r.Missing("public_key");
  } catch (const toml::parse_error& e) {
    std::string where = e.source().begin.line > 0 ? ":" + std::to_string(e.source().begin.line) : "";
    return InvalidArgument("CURVE key file " + path + where + ": " + std::string(e.description()));
  }
  return Status::Ok();
}

}  // namespace

bool IsZ85Key(std::string_view text) {
  return text.size() == kZ85KeySize && text.find_first_not_of(kZ85Alphabet) == std::string_view::npos;
}

Result<CurveKeyPair> ReadCurveKeyFile(const std::string& path, FileSecrecy secrecy) {
  Result<std::string> text = ReadSmallFile(path, secrecy);
  if (!text.ok()) return text.status();
  CurveKeyPair pair;
  Status parsed = ParseKeyFile(path, *text, &pair.public_z85, &pair.secret_z85);
  OPENSSL_cleanse(text->data(), text->size());
  REGLINE_RETURN_IF_ERROR(parsed);
  Result<std::string> derived = CurvePublicFromSecret(pair.secret_z85);
  if (!derived.ok()) {
    if (derived.status().code() == StatusCode::kUnimplemented) return derived.status();
    return InvalidArgument(path + ": secret_key is not a Z85 CURVE secret key (40 characters)");
  }
  if (!pair.public_z85.empty() && pair.public_z85 != *derived) {
    return InvalidArgument(path + ": public_key does not belong to secret_key");
  }
  pair.public_z85 = *derived;
  return pair;
}

Result<std::string> ReadCurvePublicKeyFile(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path, FileSecrecy::kPublic);
  if (!text.ok()) return text.status();
  std::string public_z85;
  REGLINE_RETURN_IF_ERROR(ParseKeyFile(path, *text, &public_z85, nullptr));
  if (!IsZ85Key(public_z85)) return InvalidArgument(path + ": public_key is not 40 Z85 characters");
  return public_z85;
}

Result<CurveKeyPair> GenerateCurveKeyPair() {
  REGLINE_RETURN_IF_ERROR(RequireCurve());
  char public_z85[kZ85KeySize + 1] = {};
  char secret_z85[kZ85KeySize + 1] = {};
  if (zmq_curve_keypair(public_z85, secret_z85) != 0) {
    return Internal(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()));
  }
  CurveKeyPair pair{public_z85, secret_z85};
  OPENSSL_cleanse(secret_z85, sizeof secret_z85);
  return pair;
}

Result<std::string> CurvePublicFromSecret(std::string_view secret_z85) {
  REGLINE_RETURN_IF_ERROR(RequireCurve());
  if (secret_z85.size() != kZ85KeySize || secret_z85.find_first_not_of(kZ85Alphabet) != std::string_view::npos) {
    return InvalidArgument("a CURVE secret key is 40 Z85 characters");
  }
  char secret[kZ85KeySize + 1] = {};
  std::memcpy(secret, secret_z85.data(), kZ85KeySize);
  char public_z85[kZ85KeySize + 1] = {};
  int rc = zmq_curve_public(public_z85, secret);
  OPENSSL_cleanse(secret, sizeof secret);
  if (rc != 0) return InvalidArgument(std::string("not a CURVE secret key: ") + zmq_strerror(zmq_errno()));
  return std::string(public_z85);
}

}  // namespace regline::crypto
