// Small file-system helpers: an owning file descriptor, a whole write, and
// a write that is atomic and durable (temp file, fsync, rename, fsync of the
// directory). Used by the connector, the key files and the identity
// registry.
//
// UniqueFd is the one RAII wrapper for a POSIX file descriptor: move-only,
// closes on destruction. The functions are values in, Status out; any
// thread may call them.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace regline {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int release();
  // Closes the descriptor held (if any).
  void reset();

 private:
  int fd_ = -1;
};

// Status for a failed system call: kNoSpace for ENOSPC/EDQUOT, kIOError
// otherwise; the message names `what` and strerror(err).
Status ErrnoStatus(int err, std::string_view what);

// Writes all of `bytes` to `fd` (retrying short writes); a failure names
// `what` (e.g. "writing /path").
Status WriteAll(int fd, std::string_view bytes, std::string_view what);

// fsyncs the directory `directory`, so that a file created or renamed in it
// survives a crash.
Status SyncDirectory(const std::string& directory);

// Opens `path` (created with mode 0640 when absent) and takes an exclusive
// flock on it without waiting: the lock a daemon holds on its data
// directory while it runs (<data_dir>/gateway.lock), and that a tool takes
// to be sure no daemon does. kFailedPrecondition when another open file
// holds it; the lock ends when the returned descriptor is closed or the
// process dies, however it dies.
Result<UniqueFd> LockFileExclusively(const std::string& path);

// Writes `bytes` to `directory`/`name` so that a reader (or a crash) sees
// either no file or the whole file: writes `directory`/`temp_name`, fsyncs
// it, renames it over `name`, then fsyncs the directory so that the rename
// itself survives a crash. `directory_fd` is an open descriptor of the
// directory (for the final fsync). On failure the temp file is removed and
// nothing named `name` is changed.
Status WriteFileDurably(const std::string& directory, int directory_fd, const std::string& temp_name,
                        const std::string& name, std::string_view bytes, mode_t mode = 0640);

// The same for a one-off file, created with `mode`: opens the directory
// itself. Used for <data_dir>/connector.endpoint and the identity registry.
Status WriteFileDurably(const std::string& path, std::string_view bytes, mode_t mode = 0640);

}  // namespace regline
