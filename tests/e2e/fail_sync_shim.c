// A fault injector for end-to-end tests, loaded into a real daemon with
// LD_PRELOAD: while the file named by REGLINE_TEST_FAIL_SYNC exists, every
// fdatasync of a SQLite write-ahead log (a path ending in "-wal") fails
// with EIO, as a disk that cannot write would. Everything else goes to
// the C library's fdatasync.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int IsLog(int fd) {
  char link[64];
  char path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 4) return 0;
  path[n] = '\0';
  return strcmp(path + n - 4, "-wal") == 0;
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  const char* trigger = getenv("REGLINE_TEST_FAIL_SYNC");
  if (trigger != NULL && access(trigger, F_OK) == 0 && IsLog(fd)) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}
