#include "connectors/command_sink.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "connectors/message_json.h"

extern char** environ;

namespace regline::connector {
namespace {

constexpr size_t kKeepBytes = 64 * 1024;

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// posix_spawn's attribute and file-action objects, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

// Writes to a pipe whose reader may be gone without dying of SIGPIPE: the
// signal is blocked in this thread for the write and a pending one is
// consumed, so the daemon's and a test's dispositions are left alone.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t n = write(fd, data, size);
  int saved = errno;
  if (n < 0 && saved == EPIPE) {
    struct timespec zero {};
    while (sigtimedwait(&pipe_only, nullptr, &zero) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

void Drain(UniqueFd& fd, std::string& keep) {
  char buf[8192];
  ssize_t n = read(fd.get(), buf, sizeof buf);
  if (n > 0) {
    size_t room = kKeepBytes > keep.size() ? kKeepBytes - keep.size() : 0;
    keep.append(buf, std::min(room, static_cast<size_t>(n)));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    fd.reset();  // EOF or a broken pipe: done with it
  }
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  const char* space = " \t\r\f\v";
  size_t begin = line.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  size_t end = line.find_last_not_of(space);
  return line.substr(begin, end - begin + 1);
}

}  // namespace

Result<CommandRun> RunCommand(const std::vector<std::string>& argv, std::string_view input, int64_t timeout_ms) {
  if (argv.empty()) return InvalidArgument("no command given");
  Result<Pipe> in = MakePipe(), out = MakePipe(), err = MakePipe();
  if (!in.ok()) return in.status();
  if (!out.ok()) return out.status();
  if (!err.ok()) return err.status();

  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(setup.actions(), in->read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(setup.actions(), out->write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(setup.actions(), err->write.get(), STDERR_FILENO);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(setup.attr(), &none);
  posix_spawnattr_setsigdefault(setup.attr(), &defaults);
  posix_spawnattr_setpgroup(setup.attr(), 0);
  posix_spawnattr_setflags(setup.attr(), POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), setup.actions(), setup.attr(), args.data(), environ);
  if (rc != 0) return ErrnoStatus(rc, "starting " + argv[0]);
  in->read.reset();
  out->write.reset();
  err->write.reset();
  fcntl(in->write.get(), F_SETFL, O_NONBLOCK);

  CommandRun run;
  const int64_t deadline = SteadyMs() + timeout_ms;
  size_t written = 0;
  if (input.empty()) in->write.reset();
  while (out->read.valid() || err->read.valid()) {
    int64_t left = deadline - SteadyMs();
    if (left <= 0) {
      run.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    int n = 0;
    UniqueFd* owners[3];
    for (UniqueFd* fd : {&in->write, &out->read, &err->read}) {
      if (!fd->valid()) continue;
      fds[n] = {fd->get(), static_cast<short>(fd == &in->write ? POLLOUT : POLLIN), 0};
      owners[n++] = fd;
    }
    int ready = poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < n && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == &in->write) {
        ssize_t w = WriteNoSigpipe(in->write.get(), input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in->write.reset();
      } else {
        Drain(*owners[i], owners[i] == &out->read ? run.out : run.err);
      }
    }
  }
  in->write.reset();
  // Wait for the exit without reaping it, so that the process group id
  // stays the program's while whatever it left running is killed.
  for (;;) {
    siginfo_t info{};
    int w = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | (run.timed_out ? 0 : WNOHANG));
    if (w == 0 && info.si_pid == pid) break;
    if (w < 0 && errno != EINTR) return ErrnoStatus(errno, "waiting for " + argv[0]);
    if (run.timed_out) continue;
    if (SteadyMs() >= deadline) {
      run.timed_out = true;
      kill(-pid, SIGKILL);
      continue;
    }
    usleep(5000);
  }
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (run.timed_out) return run;
  if (WIFEXITED(status)) {
    run.exited = true;
    run.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.signal = WTERMSIG(status);
  }
  return run;
}

Result<SinkOutcome> InterpretRun(const CommandRun& run, const std::string& program, int64_t timeout_ms) {
  if (run.timed_out) {
    return Unavailable(program + " did not finish within " + std::to_string(timeout_ms) + " ms; killed, will retry");
  }
  if (!run.exited) return Unavailable(program + " was killed by signal " + std::to_string(run.signal) + "; will retry");
  if (run.exit_status != 0) {
    std::string reason = FirstLine(run.err);
    if (reason.empty()) reason = program + " exit status " + std::to_string(run.exit_status);
    return SinkOutcome{SinkVerdict::kRejected, reason};
  }
  std::string line = FirstLine(run.out);
  if (line == "completed") return SinkOutcome{SinkVerdict::kCompleted, ""};
  if (line == "rejected" || line.starts_with("rejected:")) {
    std::string reason = FirstLine(line.size() > 9 ? line.substr(9) : "");
    if (reason.empty()) reason = "rejected by " + program;
    return SinkOutcome{SinkVerdict::kRejected, reason};
  }
  return SinkOutcome{SinkVerdict::kAccepted, ""};
}

Result<SinkOutcome> CommandSink::Deliver(const InboxMessage& message) {
  Result<CommandRun> run = RunCommand(argv_, MessageJsonText(message), timeout_ms_);
  if (!run.ok()) return run.status();
  return InterpretRun(*run, argv_[0], timeout_ms_);
}

}  // namespace regline::connector
