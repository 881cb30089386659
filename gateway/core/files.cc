#include "gateway/core/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace regline {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = o.release();
  }
  return *this;
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status ErrnoStatus(int err, std::string_view what) {
  std::string message = std::string(what) + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status(StatusCode::kNoSpace, std::move(message));
  return IOError(std::move(message));
}

Status WriteAll(int fd, std::string_view bytes, std::string_view what) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, what);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& directory) {
  UniqueFd fd(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "opening directory " + directory);
  if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "fsync of directory " + directory);
  return Status::Ok();
}

Result<UniqueFd> LockFileExclusively(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) return ErrnoStatus(errno, "opening " + path);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return FailedPrecondition(path + " is locked by another process");
    return ErrnoStatus(errno, "locking " + path);
  }
  return Result<UniqueFd>(std::move(fd));
}

Status WriteFileDurably(const std::string& directory, int directory_fd, const std::string& temp_name,
                        const std::string& name, std::string_view bytes, mode_t mode) {
  const std::string temp = directory + "/" + temp_name;
  const std::string final_path = directory + "/" + name;
  UniqueFd fd(open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return ErrnoStatus(errno, "creating " + temp);
  Status s = WriteAll(fd.get(), bytes, "writing " + temp);
  if (s.ok() && fsync(fd.get()) != 0) s = ErrnoStatus(errno, "fsync of " + temp);
  if (s.ok()) {
    int rc = close(fd.release());
    if (rc != 0) s = ErrnoStatus(errno, "closing " + temp);
  }
  if (s.ok() && rename(temp.c_str(), final_path.c_str()) != 0) {
    s = ErrnoStatus(errno, "renaming " + temp + " to " + final_path);
  }
  if (!s.ok()) {
    unlink(temp.c_str());
    return s;
  }
  if (fsync(directory_fd) != 0) return ErrnoStatus(errno, "fsync of directory " + directory);
  return Status::Ok();
}

Status WriteFileDurably(const std::string& path, std::string_view bytes, mode_t mode) {
  std::filesystem::path p(path);
  std::string directory = p.has_parent_path() ? p.parent_path().string() : ".";
  UniqueFd dir(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoStatus(errno, "opening directory " + directory);
  std::string name = p.filename().string();
  return WriteFileDurably(directory, dir.get(), "." + name + ".tmp", name, bytes, mode);
}

}  // namespace regline
