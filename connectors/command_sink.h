// CommandSink: runs a program per message with the message JSON on its
// stdin, for platform systems that are easiest to reach by a script.
//
// The program (argv[0], an absolute path; no shell) runs in its own process
// group with default signal dispositions and the connector's environment.
// Its answer:
//   exit 0, first line of stdout "completed"           -> completed
//   exit 0, first line of stdout "rejected: REASON"    -> rejected, REASON
//   exit 0, anything else (e.g. "accepted", nothing)   -> accepted
//   exit non-zero                                      -> rejected, with the
//                                                         first line of stderr
//                                                         (or "exit status N")
//   still running after timeout_ms                     -> the whole process
//        group is killed (SIGKILL); kUnavailable: retried later, not rejected
//   killed by a signal, or could not be started        -> kUnavailable /
//                                                         kIOError: retried
// Leading and trailing white space of the first line is ignored. Up to 64
// KiB of stdout and of stderr are kept; more is read and dropped. The
// program must close its stdout and stderr when it exits (a background
// child holding them open keeps the run going until the timeout).
//
// Used by one thread at a time; the run blocks that thread for at most
// timeout_ms plus the time to reap the killed process.
#pragma once

#include <string>
#include <vector>

#include "connectors/sink.h"

namespace regline::connector {

// What one run of the program did; exposed for tests and logs.
struct CommandRun {
  bool timed_out = false;
  bool exited = false;  // false: killed by a signal (or timed out)
  int exit_status = 0;
  int signal = 0;
  std::string out;  // the first 64 KiB of stdout
  std::string err;  // the first 64 KiB of stderr
};

// Runs `argv` with `input` on stdin, at most `timeout_ms`. kIOError when it
// cannot be started.
Result<CommandRun> RunCommand(const std::vector<std::string>& argv, std::string_view input, int64_t timeout_ms);

// Maps a finished run to the sink's outcome per the table above.
Result<SinkOutcome> InterpretRun(const CommandRun& run, const std::string& program, int64_t timeout_ms);

class CommandSink final : public Sink {
 public:
  CommandSink(std::vector<std::string> argv, int64_t timeout_ms) : argv_(std::move(argv)), timeout_ms_(timeout_ms) {}

  Result<SinkOutcome> Deliver(const InboxMessage& message) override;
  std::string_view name() const override { return "command"; }

 private:
  std::vector<std::string> argv_;
  int64_t timeout_ms_;
};

}  // namespace regline::connector
