#include "gateway/crypto/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "gateway/core/files.h"

namespace regline::crypto {
namespace {

constexpr off_t kMaxKeyFileSize = 1 << 20;

std::string Errno(int err) { return std::strerror(err); }

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string OctalMode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The file's contents, synced and closed; the message of a failure has no path.
Status FillAndClose(UniqueFd fd, std::string_view contents, mode_t mode) {
  // open(2) applied the umask; the caller asked for `mode` exactly.
  if (::fchmod(fd.get(), mode) != 0) return IOError("fchmod: " + Errno(errno));
  REGLINE_RETURN_IF_ERROR(WriteAll(fd.get(), contents, "write"));
  if (::fsync(fd.get()) != 0) return IOError("fsync: " + Errno(errno));
  if (::close(fd.release()) != 0) return IOError("close: " + Errno(errno));
  return Status::Ok();
}

}  // namespace

Status WriteNewFile(const std::string& path, std::string_view contents, mode_t mode) {
  // O_EXCL also refuses a symlink at `path`, dangling or not.
  UniqueFd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode & 07777));
  if (!fd.valid()) {
    int err = errno;
    if (err == EEXIST) return AlreadyExists(path + " already exists; not overwriting it");
    return IOError("creating " + path + ": " + Errno(err));
  }
  Status filled = FillAndClose(std::move(fd), contents, mode & 07777);
  if (!filled.ok()) {
    ::unlink(path.c_str());
    return IOError("writing " + path + ": " + filled.message() + " (removed it)");
  }
  return SyncDirectory(DirectoryOf(path)).WithContext("after writing " + path);
}

Result<std::string> ReadSmallFile(const std::string& path, FileSecrecy secrecy) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) return NotFound(path + ": no such file");
    if (err == EACCES) return PermissionDenied(path + ": " + Errno(err));
    return IOError("opening " + path + ": " + Errno(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return IOError("stat " + path + ": " + Errno(errno));
  if (!S_ISREG(st.st_mode)) return InvalidArgument(path + ": not a regular file");
  if (secrecy == FileSecrecy::kOwnerOnly && (st.st_mode & 077) != 0) {
    return PermissionDenied(path + ": mode " + OctalMode(st.st_mode) +
                            " lets group or others at this private key; run `chmod 600 " + path + "`");
  }
  if (st.st_size > kMaxKeyFileSize) {
    return InvalidArgument(path + ": " + std::to_string(st.st_size) + " bytes is too big for a key file");
  }
  std::string contents;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IOError("reading " + path + ": " + Errno(errno));
    if (n == 0) break;
    contents.append(buf, static_cast<size_t>(n));
    if (contents.size() > static_cast<size_t>(kMaxKeyFileSize))
      return InvalidArgument(path + ": too big for a key file");
  }
  return contents;
}

Result<std::string> ReadSecretFile(const std::string& path) {
  Result<std::string> secret = ReadSmallFile(path, FileSecrecy::kOwnerOnly);
  if (!secret.ok()) return secret.status();
  std::string_view text = *secret;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  if (text.size() < 16) {
    return InvalidArgument(path + " holds fewer than 16 bytes; use a long random secret (e.g. openssl rand -hex 32)");
  }
  return std::string(text);
}

}  // namespace regline::crypto
