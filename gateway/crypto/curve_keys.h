// CURVE key pairs for ZeroMQ sessions (the transport's encryption and
// client authentication), as the 40-character Z85 text that config files,
// --server-key and key files hold.
//
// Thin calls into libzmq; no state; any thread.
#pragma once

#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline::crypto {

struct CurveKeyPair {
  std::string public_z85;  // 40 Z85 characters; give it to the peer
  std::string secret_z85;  // 40 Z85 characters; keep it in a 0600 file
};

// A new random key pair. kUnimplemented if this libzmq was built without
// CURVE; kInternal if libzmq fails otherwise.
Result<CurveKeyPair> GenerateCurveKeyPair();

// The public key of a Z85 secret key. kInvalidArgument if `secret_z85` is
// not 40 Z85 characters; kUnimplemented without CURVE.
Result<std::string> CurvePublicFromSecret(std::string_view secret_z85);

}  // namespace regline::crypto
