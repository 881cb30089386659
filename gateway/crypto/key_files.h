// Key files on disk: creating one without ever overwriting or exposing it,
// and reading one back, refusing secrets that others could read.
//
// Plain POSIX calls on the paths given; no state. Any thread may call
// these; two callers creating the same path race safely (one gets
// kAlreadyExists).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline::crypto {

// Creates `path` holding exactly `contents`, with permission bits exactly
// `mode` whatever the umask, and fsyncs the file and its directory before
// returning, so a crash afterwards cannot lose it. kAlreadyExists if
// something exists at `path` (it is never overwritten or followed, even a
// dangling symlink); kIOError otherwise (the directory is missing or not
// writable, the disk is full...). On failure after the file was created,
// the partial file is removed. Every message names `path`.
Status WriteNewFile(const std::string& path, std::string_view contents, mode_t mode);

enum class FileSecrecy {
  kPublic,     // anyone may read it
  kOwnerOnly,  // a secret: refused if group or others have any permission
};

// The contents of the regular file at `path` (at most 1 MiB: key files are
// small). kNotFound if it does not exist; kPermissionDenied if it may not be
// read, or (kOwnerOnly) if its mode lets group or others at it, naming the
// mode and the `chmod 600` that fixes it; kInvalidArgument if it is not a
// regular file or is too big; kIOError if reading fails. Every message
// names `path`.
Result<std::string> ReadSmallFile(const std::string& path, FileSecrecy secrecy);

// A shared secret (an HMAC key, a bearer token) from a kOwnerOnly file: its
// contents without trailing whitespace. ReadSmallFile's errors, and
// kInvalidArgument naming `path` when fewer than 16 bytes remain.
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace regline::crypto
