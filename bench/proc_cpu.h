// CPU time of processes and threads, read from /proc, for the benchmarks'
// per-thread figures.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace regline::bench {

// CPU time (user + system, clock ticks) in a /proc/<pid>/stat or
// /proc/<pid>/task/<tid>/stat file; 0 when it cannot be read.
inline int64_t CpuTicks(const std::filesystem::path& stat) {
  std::ifstream in(stat);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos || close + 2 > text.size()) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  int64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
  }
  return utime + stime;
}

// Context switches (voluntary and involuntary) in a /proc/<pid>/status or
// /proc/<pid>/task/<tid>/status file; 0 when it cannot be read. A thread
// that waits and is woken counts one voluntary switch per wait, so the
// figure counts the hops work takes between threads, and the waits for
// the disk.
inline int64_t ContextSwitches(const std::filesystem::path& status) {
  std::ifstream in(status);
  std::string line;
  int64_t total = 0;
  while (std::getline(in, line)) {
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) {
      total += std::stoll(line.substr(line.find(':') + 1));
    }
  }
  return total;
}

// The machine's CPU time since boot from the first line of /proc/stat, in
// clock ticks summed over every CPU: busy (user, nice, system, irq,
// softirq, steal) and all (busy plus idle and iowait).
struct MachineTicks {
  int64_t busy = 0;
  int64_t all = 0;
};
inline MachineTicks ReadMachineTicks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return {};
  const int64_t busy = user + nice + system + irq + softirq + steal;
  return {busy, busy + idle + iowait};
}

inline double TicksToUs(int64_t ticks) {
  return static_cast<double>(ticks) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace regline::bench
