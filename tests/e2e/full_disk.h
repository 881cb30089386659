// Test-only: a small tmpfs for full-disk tests, and a file that fills it.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace regline::testing {

// A tmpfs of `size` ("8m") mounted on `dir` (created), unmounted when this
// goes. Declare it before the process that uses the directory, so that the
// process is stopped first. Mounting needs root, as scripts/test.sh and CI
// have; mounted() is false (and error() says why) otherwise.
class TmpfsMount {
 public:
  TmpfsMount(const std::filesystem::path& dir, const std::string& size) : path_(dir.string()) {
    std::filesystem::create_directories(dir);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  // Remounts with a new size (room comes back, or goes); false, with
  // error() saying why, when it cannot.
  bool Resize(const std::string& size) {
    if (!mounted_) return false;
    if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0) return true;
    error_ = std::strerror(errno);
    return false;
  }
  std::string error() const {
    return "this test mounts a tmpfs on " + path_ + " and must run as root (as scripts/test.sh and CI do): " + error_;
  }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Fills the file system holding `dir` with one file, `dir`/filler, until a
// write fails (no space); returns the file's path.
inline std::filesystem::path FillFileSystem(const std::filesystem::path& dir) {
  const std::filesystem::path filler = dir / "filler";
  int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return filler;
  const std::string chunk(64 * 1024, 'f');
  while (::write(fd, chunk.data(), chunk.size()) > 0) {
  }
  ::close(fd);
  return filler;
}

}  // namespace regline::testing
