#include "gateway/crypto/curve_keys.h"

#include <openssl/crypto.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>

namespace regline::crypto {
namespace {

constexpr size_t kZ85KeySize = 40;
constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

Status RequireCurve() {
  if (zmq_has("curve") == 0) return {StatusCode::kUnimplemented, "this libzmq was built without CURVE"};
  return Status::Ok();
}

}  // namespace

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
