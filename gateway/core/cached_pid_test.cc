// The executable's getpid (cached_pid.cc): the one every library binds to,
// and right in the parent and in a forked child.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

pid_t KernelPid() { return static_cast<pid_t>(syscall(SYS_getpid)); }

TEST(CachedPidTest, LibrariesBindToTheExecutablesGetpid) {
  // What a shared library's call to getpid resolves to: the first
  // definition in the global scope.
  void* bound = dlsym(RTLD_DEFAULT, "getpid");
  // libc's own, the one after the executable's.
  void* libc = dlsym(RTLD_NEXT, "getpid");
  ASSERT_NE(bound, nullptr);
  ASSERT_NE(libc, nullptr);
  EXPECT_NE(bound, libc) << "getpid resolves to libc's: the executable's is not exported";
  EXPECT_EQ(bound, reinterpret_cast<void*>(&getpid));
}

TEST(CachedPidTest, AnswersTheProcessId) {
  EXPECT_EQ(getpid(), KernelPid());
  EXPECT_EQ(getpid(), KernelPid());  // the second, from memory
}

TEST(CachedPidTest, AForkedChildGetsItsOwnId) {
  const pid_t parent = getpid();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const pid_t seen[2] = {getpid(), KernelPid()};
    const bool written = write(fds[1], seen, sizeof seen) == static_cast<ssize_t>(sizeof seen);
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  pid_t seen[2] = {0, 0};
  EXPECT_EQ(read(fds[0], seen, sizeof seen), static_cast<ssize_t>(sizeof seen));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(seen[1], child);
  EXPECT_EQ(seen[0], child) << "the child's getpid still gave the parent's id " << parent;
  EXPECT_EQ(getpid(), parent);
}

}  // namespace
