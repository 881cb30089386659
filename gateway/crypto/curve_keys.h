// CURVE key pairs for ZeroMQ sessions (the transport's encryption and
// client authentication), as the 40-character Z85 text that config files,
// --server-key and key files hold.
//
// Also the readers of the key files `reglinectl keygen` writes (NAME.curve.key:
// TOML with public_key and secret_key; NAME.curve.pub: TOML with
// public_key), shared by the gateway's and the connector's configs.
//
// Thin calls into libzmq; no state; any thread.
#pragma once

#include <string>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/crypto/key_files.h"

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

// Reads a CURVE key pair file (TOML: secret_key, and public_key, which may
// be left out) and checks that the halves belong together. With
// FileSecrecy::kOwnerOnly a file that group or others may read is refused
// (kPermissionDenied saying `chmod 600`). kNotFound for a missing file;
// kInvalidArgument naming the file (and line) for anything wrong in it;
// kUnimplemented without CURVE.
Result<CurveKeyPair> ReadCurveKeyFile(const std::string& path, FileSecrecy secrecy);

// Reads a CURVE public key file (TOML: public_key, as NAME.curve.pub). A
// key pair file is refused (kInvalidArgument: it holds a secret, and the
// public half is what goes here). Errors as ReadCurveKeyFile.
Result<std::string> ReadCurvePublicKeyFile(const std::string& path);

// True when `text` is 40 characters of the Z85 alphabet.
bool IsZ85Key(std::string_view text);

}  // namespace regline::crypto
