// Test helper: runs reglinectl's command line in process, on a fake clock,
// and keeps what it printed; and reads a file whole. Used by ctl's unit
// tests (keygen, identity, agreement); never by reglinectl itself.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/app.h"
#include "gateway/core/clock.h"

namespace regline::ctl::cli_test {

inline constexpr int64_t kCtlTestNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

struct CtlRun {
  int exit_code = -1;
  std::string out, err;
};

// `args` as after "reglinectl", at `now_ms`.
inline CtlRun RunCtl(std::vector<std::string> args, int64_t now_ms = kCtlTestNow) {
  FakeClock clock(now_ms);
  std::ostringstream out, err;
  CtlRun run;
  {
    Console console(out, err, clock);
    run.exit_code = RunCommandLine(console, std::move(args), out, err);
  }
  run.out = out.str();
  run.err = err.str();
  return run;
}

// The file's bytes ("" when it cannot be read).
inline std::string FileContents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace regline::ctl::cli_test
