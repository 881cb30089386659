#include "gateway/crypto/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace regline::crypto {
namespace {

constexpr off_t kMaxKeyFileSize = 1 << 20;

// Owns one file descriptor; closes it unless Close() already did.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // close(2)'s result: a late write error shows up here.
  int Close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

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

Status WriteAll(int fd, std::string_view contents) {
  while (!contents.empty()) {
    ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IOError(Errno(errno));
    contents.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) return IOError("syncing directory " + dir + ": " + Errno(errno));
  return Status::Ok();
}

// The file's contents, synced and closed; the message of a failure has no path.
Status FillAndClose(FileDescriptor fd, std::string_view contents, mode_t mode) {
  // open(2) applied the umask; the caller asked for `mode` exactly.
  if (::fchmod(fd.get(), mode) != 0) return IOError("fchmod: " + Errno(errno));
  REGLINE_RETURN_IF_ERROR(WriteAll(fd.get(), contents));
  if (::fsync(fd.get()) != 0) return IOError("fsync: " + Errno(errno));
  if (fd.Close() != 0) return IOError("close: " + Errno(errno));
  return Status::Ok();
}

}  // namespace

Status WriteNewFile(const std::string& path, std::string_view contents, mode_t mode) {
  // O_EXCL also refuses a symlink at `path`, dangling or not.
  FileDescriptor fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode & 07777));
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
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
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

}  // namespace regline::crypto
