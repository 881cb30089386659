// CommandSink: the program's exit status and first line decide the
// outcome; a program that hangs is killed and retried, never rejected.
#include "connectors/command_sink.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "connectors/message_json.h"
#include "connectors/test_envelopes.h"
#include "gateway/core/test_util.h"

namespace regline::connector {
namespace {

class CommandSinkTest : public ::testing::Test {
 protected:
  // Writes an executable /bin/sh script with `body` and returns its path.
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir_.File(name);
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
    return path;
  }
  InboxMessage Directive() {
    MessageId id{0x0190a1b2c3d4e5f6, 1};
    return InboxMessage{5, 1, id, static_cast<int>(schema::MessageKind::DIRECTIVE), testing::DirectiveEnvelope(id), 0};
  }
  Result<SinkOutcome> Run(const std::string& body, int64_t timeout_ms = 10'000) {
    CommandSink sink({Script("handler.sh", body)}, timeout_ms);
    return sink.Deliver(Directive());
  }

  regline::testing::TempDir dir_;
};

struct Case {
  const char* name;
  const char* script;
  SinkVerdict verdict;
  const char* reason;
};

TEST_F(CommandSinkTest, ExitStatusAndFirstLineDecideTheOutcome) {
  const Case cases[] = {
      {"completed", "cat >/dev/null; echo completed; echo more", SinkVerdict::kCompleted, ""},
      {"completed with spaces", "cat >/dev/null; echo '  completed  '", SinkVerdict::kCompleted, ""},
      {"rejected with reason", "cat >/dev/null; echo 'rejected: no such live room'", SinkVerdict::kRejected,
       "no such live room"},
      {"rejected without reason", "cat >/dev/null; echo rejected", SinkVerdict::kRejected, ""},
      {"accepted", "cat >/dev/null; echo accepted", SinkVerdict::kAccepted, ""},
      {"nothing said", "cat >/dev/null", SinkVerdict::kAccepted, ""},
      {"anything else", "echo 'queued as ticket 77'", SinkVerdict::kAccepted, ""},
      {"stdin not read", "exit 0", SinkVerdict::kAccepted, ""},
      {"non-zero exit", "cat >/dev/null; echo 'subject unknown' >&2; echo second >&2; exit 3", SinkVerdict::kRejected,
       "subject unknown"},
  };
  for (const Case& c : cases) {
    Result<SinkOutcome> outcome = Run(c.script);
    ASSERT_TRUE(outcome.ok()) << c.name << ": " << outcome.status().ToString();
    EXPECT_EQ(outcome->verdict, c.verdict) << c.name;
    if (*c.reason != '\0') {
      EXPECT_EQ(outcome->reason, c.reason) << c.name;
    }
  }
}

TEST_F(CommandSinkTest, ARejectionWithoutWordsStillHasAReason) {
  Result<SinkOutcome> silent_exit = Run("exit 2");
  ASSERT_TRUE(silent_exit.ok());
  EXPECT_EQ(silent_exit->verdict, SinkVerdict::kRejected);
  EXPECT_NE(silent_exit->reason.find("exit status 2"), std::string::npos) << silent_exit->reason;
  Result<SinkOutcome> bare = Run("echo rejected");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->reason.empty());
}

TEST_F(CommandSinkTest, TheProgramReadsTheMessageJsonOnStdin) {
  std::string copy = dir_.File("stdin.json");
  ASSERT_TRUE(Run("cat > '" + copy + "'").ok());
  std::ifstream in(copy);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), MessageJsonText(Directive()));
}

TEST_F(CommandSinkTest, ArgumentsArePassedWithoutAShell) {
  std::string out = dir_.File("args");
  CommandSink sink({Script("args.sh", "cat >/dev/null; printf '%s|' \"$@\" > '" + out + "'"), "two words", "$HOME"},
                   10'000);
  ASSERT_TRUE(sink.Deliver(Directive()).ok());
  std::ifstream in(out);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "two words|$HOME|");
}

TEST_F(CommandSinkTest, AHangingProgramIsKilledAndRetriedNotRejected) {
  auto start = std::chrono::steady_clock::now();
  // The background sleep holds stdout open: the whole group must die.
  Result<SinkOutcome> outcome = Run("sleep 30 & sleep 30", 300);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(outcome.status().code(), StatusCode::kUnavailable) << outcome.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(CommandSinkTest, AProgramKilledByASignalIsRetried) {
  Result<SinkOutcome> outcome = Run("kill -9 $$");
  EXPECT_EQ(outcome.status().code(), StatusCode::kUnavailable) << outcome.status().ToString();
}

TEST_F(CommandSinkTest, AProgramThatCannotStartIsRetried) {
  CommandSink sink({dir_.File("no-such-program")}, 1000);
  Result<SinkOutcome> outcome = sink.Deliver(Directive());
  EXPECT_FALSE(outcome.ok());
  EXPECT_TRUE(IsRetryable(outcome.status().code())) << outcome.status().ToString();
}

TEST_F(CommandSinkTest, ALargeMessageToAProgramThatExitsAtOnceDoesNotKillTheCaller) {
  std::string big(4 << 20, 'x');
  Result<CommandRun> run = RunCommand({Script("quick.sh", "echo completed")}, big, 10'000);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(run->exited);
  EXPECT_EQ(run->exit_status, 0);
}

TEST_F(CommandSinkTest, OutputBeyondTheKeptPartIsReadAndDropped) {
  Result<CommandRun> run = RunCommand({Script("loud.sh", "head -c 1000000 /dev/zero | tr '\\0' y; echo")}, "", 10'000);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->exited);
  EXPECT_EQ(run->out.size(), 64u * 1024);
}

}  // namespace
}  // namespace regline::connector
