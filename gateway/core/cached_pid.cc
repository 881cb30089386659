// getpid() answered from memory, for the whole process.
//
// libzmq calls getpid() every time it looks at a socket's or its I/O
// thread's mailbox, to notice a fork: about one call per message in the
// gateway's loop and in the connector's link, and as many again in each
// ZeroMQ I/O thread. glibc stopped caching the process id in 2.25, so each
// call is a system call, and on the PVM guests of docs/performance.md a
// system call costs about 1 µs. (SQLite's unix VFS calls it at each open.)
//
// Defined here, in the executable, this getpid takes the place of libc's
// for every shared library: the dynamic linker looks in the executable
// first, and the linker exports the symbol (see the CMake target
// regline_cached_pid). The id changes only in the child of a fork(), and
// the pthread_atfork() handler below sets it there before fork() returns.
// A child made by posix_spawn() runs none of this process's code before its
// exec, and vfork() is not used.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace {

std::atomic<pid_t> cached_pid{0};

pid_t AskKernel() { return static_cast<pid_t>(syscall(SYS_getpid)); }

// Registers the fork handler before main(). A getpid() that comes even
// earlier (another library's constructor) asks the kernel and keeps the
// answer; it cannot be wrong, since nothing forks that early.
struct AtFork {
  AtFork() {
    pthread_atfork(nullptr, nullptr, [] { cached_pid.store(AskKernel(), std::memory_order_relaxed); });
  }
} at_fork;

}  // namespace

extern "C" pid_t getpid() noexcept {
  pid_t pid = cached_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = AskKernel();
    cached_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}
