// store_kill_test: nothing the store reported durable is lost, and nothing
// is stored twice, when the process writing it is SIGKILLed mid-commit.
//
// Each round starts regline_store_submitter (a real child process, see
// store_submitter.cc) on one database file, reads the ids it reports durable
// from a pipe, SIGKILLs it after a random 20-300 ms, drains the pipe (every
// line written before the kill is in it) and reopens the database here to
// check that:
//   (a) every id reported durable in any round is stored, exactly once;
//   (b) each message has its two delivery rows, both queued;
//   (c) each stored envelope is the one its id implies;
//   (d) SQLite's integrity_check says "ok";
//   (e) the audit chain verifies whole, with one "submitted" entry per
//       stored message (a kill never leaves an entry without its change, or
//       a change without its entry).
// Resubmissions of ids confirmed in earlier rounds must come back as
// duplicate receipts, never as second rows. After each round, (a) covers
// every id so far in one SQL scan and through Store::FindSeq for the round's
// own ids and a sample of earlier ones; (b) and (c) cover the new rows. After
// the last round everything is checked once more for every message.
//
// Environment: REGLINE_FAULT_ROUNDS (default 40) sets the number of rounds;
// REGLINE_FAULT_SEED repeats the lifetimes and resubmission picks of an
// earlier run (its seed is printed; kill timing relative to the child's
// commits still varies from run to run).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/audit_chain.h"
#include "gateway/core/clock.h"
#include "gateway/core/message_id.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "gateway/core/test_util.h"
#include "tests/fault/store_fault_workload.h"

extern char** environ;

namespace regline::fault {
namespace {

constexpr char kSender[] = "fault-sender";
constexpr int kDefaultRounds = 40;
// Fewer confirmations than this per round on average means the child barely
// ran, and the test would prove nothing.
constexpr size_t kMinConfirmedPerRound = 10;
constexpr size_t kResubmitSample = 32;  // earlier ids handed to each child
// After each round every id is checked in one SQL scan; this many earlier
// ids are also looked up through Store::FindSeq (all of them at the end).
constexpr size_t kEarlierLookups = 256;

// A positive integer from the environment, or `fallback` when unset.
Result<uint64_t> EnvNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  uint64_t n = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, n);
  if (ec != std::errc() || ptr != end || n == 0) {
    return InvalidArgument(std::string(name) + "='" + text + "' is not a positive integer");
  }
  return n;
}

// Owns one file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// What one run of the child reported before it died.
struct ChildRun {
  std::vector<uint64_t> confirmed;   // "C" lines: new messages reported durable
  std::vector<uint64_t> duplicates;  // "D" lines: resubmissions answered as duplicates
  std::vector<std::string> errors;   // "E" lines, and lines that do not parse
  int wait_status = 0;               // from waitpid
};

// Splits the child's report stream into lines and files each one.
class ReportParser {
 public:
  explicit ReportParser(ChildRun& run) : run_(run) {}

  void Feed(std::string_view bytes) {
    pending_ += bytes;
    size_t begin = 0;
    for (size_t nl; (nl = pending_.find('\n', begin)) != std::string::npos; begin = nl + 1) {
      Line(std::string_view(pending_).substr(begin, nl - begin));
    }
    pending_.erase(0, begin);
  }

  // At end of stream: a partial line would mean a report was torn.
  void Finish() {
    if (!pending_.empty()) run_.errors.push_back("torn report line: '" + pending_ + "'");
    pending_.clear();
  }

 private:
  void Line(std::string_view line) {
    uint64_t lo = 0;
    bool parsed = line.size() > 2 && line[1] == ' ' &&
                  std::from_chars(line.data() + 2, line.data() + line.size(), lo).ec == std::errc();
    if (parsed && line[0] == 'C') {
      run_.confirmed.push_back(lo);
    } else if (parsed && line[0] == 'D') {
      run_.duplicates.push_back(lo);
    } else {
      run_.errors.emplace_back(line);
    }
  }

  ChildRun& run_;
  std::string pending_;
};

// Reads what is available on `fd` into `parser`; false at end of stream.
bool ReadReports(int fd, ReportParser& parser) {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    parser.Feed(std::string_view(buf, static_cast<size_t>(n)));
    return true;
  }
}

// Starts the submitter with its stdout on a new pipe, lets it run for
// `lifetime`, SIGKILLs it, reaps it and collects every report it wrote.
Result<ChildRun> RunAndKill(const std::vector<std::string>& args, std::chrono::milliseconds lifetime) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return IOError(std::string("pipe2: ") + std::strerror(errno));
  UniqueFd reports(fds[0]);
  UniqueFd child_end(fds[1]);

  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_end.get(), STDOUT_FILENO);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return IOError("spawning " + args[0] + ": " + std::strerror(rc));
  child_end.Reset();  // the child holds the only write end: EOF once it dies

  ChildRun run;
  ReportParser parser(run);
  const auto deadline = std::chrono::steady_clock::now() + lifetime;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{reports.get(), POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready > 0 && !ReadReports(reports.get(), parser)) break;  // died early; waitpid tells how
  }
  kill(pid, SIGKILL);
  while (waitpid(pid, &run.wait_status, 0) < 0 && errno == EINTR) {
  }
  while (ReadReports(reports.get(), parser)) {
  }
  parser.Finish();
  return run;
}

std::string DescribeWaitStatus(int status) {
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "wait status " + std::to_string(status);
}

// (a) and (b) through the Store's own API: each id of `lookups` is found;
// those of `with_deliveries` have both delivery rows, queued.
void CheckThroughStore(const std::string& path, const std::vector<uint64_t>& lookups,
                       const std::vector<uint64_t>& with_deliveries) {
  SystemClock clock;
  StoreOptions options;
  options.path = path;
  options.default_quota = int64_t{1} << 40;
  Result<std::unique_ptr<Store>> opened = Store::Open(options, clock);
  ASSERT_TRUE(opened.ok()) << "reopening after the kill: " << opened.status().ToString();
  Store& store = **opened;
  for (uint64_t lo : lookups) {
    Result<uint64_t> seq = store.FindSeq(kSender, FaultMessageId(lo));
    ASSERT_TRUE(seq.ok()) << "id " << lo << " was reported durable but is gone: " << seq.status().ToString();
  }
  for (uint64_t lo : with_deliveries) {
    Result<uint64_t> seq = store.FindSeq(kSender, FaultMessageId(lo));
    ASSERT_TRUE(seq.ok()) << "id " << lo << " was reported durable but is gone: " << seq.status().ToString();
    Result<std::vector<DeliveryStatus>> deliveries = store.Deliveries(*seq);
    ASSERT_TRUE(deliveries.ok()) << "id " << lo << ": " << deliveries.status().ToString();
    std::vector<std::string> recipients;
    for (const auto& d : *deliveries) {
      EXPECT_EQ(d.state, DeliveryState::kQueued) << "id " << lo << " to " << d.recipient;
      recipients.push_back(d.recipient);
    }
    ASSERT_EQ(recipients, FaultRecipients()) << "deliveries of id " << lo;
  }
}

Result<int64_t> QueryCount(Database& db, std::string_view sql) {
  Result<int64_t> n = db.QueryInt(sql);
  if (!n.ok()) return n.status().WithContext(sql);
  return n;
}

// (a) for every id at once: all of `confirmed` are among the stored ids.
void CheckAllPresent(Database& db, const std::set<uint64_t>& confirmed) {
  Result<Statement> ids = db.Prepare("SELECT message_id FROM messages WHERE sender = ?1");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ids->Bind(1, std::string_view(kSender));
  std::set<uint64_t> stored;
  for (;;) {
    Result<bool> more = ids->Step();
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    auto bytes = ids->ColumnBlob(0);
    Result<MessageId> id = MessageId::FromBytes(bytes.data(), bytes.size());
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    stored.insert(id->lo);
  }
  std::vector<uint64_t> lost;
  std::set_difference(confirmed.begin(), confirmed.end(), stored.begin(), stored.end(), std::back_inserter(lost));
  ASSERT_TRUE(lost.empty()) << lost.size() << " ids reported durable are gone, the first " << lost.front();
}

// (a), (b), (c) and (d) through a plain SQLite connection. Each row with
// seq > `*checked_seq` has its envelope and delivery rows checked one by
// one, and `*checked_seq` moves past them; the rest is for the whole file.
void CheckThroughSql(const std::string& path, const std::set<uint64_t>& confirmed, int64_t* checked_seq) {
  Result<Database> opened = Database::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Database& db = *opened;

  Result<Statement> integrity = db.Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(integrity.ok()) << integrity.status().ToString();
  Result<bool> row = integrity->Step();
  ASSERT_TRUE(row.ok() && *row) << row.status().ToString();
  EXPECT_EQ(integrity->ColumnText(0), "ok");

  const struct {
    const char* what;
    const char* sql;
  } kZeroCounts[] = {
      {"ids stored more than once",
       "SELECT count(*) FROM (SELECT 1 FROM messages GROUP BY sender, message_id HAVING count(*) > 1)"},
      {"rows beyond the distinct ids",
       "SELECT (SELECT count(*) FROM messages) - "
       "(SELECT count(*) FROM (SELECT DISTINCT sender, message_id FROM messages))"},
      {"deliveries beyond two per message",
       "SELECT (SELECT count(*) FROM deliveries) - 2 * (SELECT count(*) FROM messages)"},
      {"deliveries without a message",
       "SELECT count(*) FROM deliveries WHERE message_seq NOT IN (SELECT seq FROM messages)"},
      {"messages and 'submitted' audit entries differing in number",
       "SELECT (SELECT count(*) FROM messages) - (SELECT count(*) FROM audit_log WHERE event = 'submitted')"},
  };
  for (const auto& check : kZeroCounts) {
    Result<int64_t> n = QueryCount(db, check.sql);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, 0) << check.what;
  }
  ASSERT_NO_FATAL_FAILURE(CheckAllPresent(db, confirmed));
  Result<AuditVerdict> chain = VerifyAuditChain(path);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_TRUE(chain->intact) << chain->problem;

  Result<Statement> scan = db.Prepare(
      "SELECT seq, sender, message_id, envelope, "
      "(SELECT count(*) FROM deliveries d WHERE d.message_seq = m.seq), "
      "(SELECT count(*) FROM deliveries d WHERE d.message_seq = m.seq AND d.state = 0) "
      "FROM messages m WHERE seq > ?1");
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  scan->Bind(1, *checked_seq);
  for (;;) {
    Result<bool> more = scan->Step();
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    int64_t seq = scan->ColumnInt64(0);
    auto id_bytes = scan->ColumnBlob(2);
    Result<MessageId> id = MessageId::FromBytes(id_bytes.data(), id_bytes.size());
    ASSERT_TRUE(id.ok()) << "seq " << seq << ": " << id.status().ToString();
    EXPECT_EQ(scan->ColumnText(1), kSender) << "seq " << seq;
    EXPECT_EQ(id->hi, kFaultIdHi) << "seq " << seq;
    auto envelope = scan->ColumnBlob(3);
    std::string_view stored(reinterpret_cast<const char*>(envelope.data()), envelope.size());
    ASSERT_TRUE(stored == FaultEnvelope(id->lo)) << "seq " << seq << " (id " << id->lo << ") has other bytes";
    EXPECT_EQ(scan->ColumnInt64(4), 2) << "deliveries of seq " << seq;
    EXPECT_EQ(scan->ColumnInt64(5), 2) << "queued deliveries of seq " << seq;
    *checked_seq = std::max(*checked_seq, seq);
  }
}

// Up to `n` ids picked at random from `confirmed`.
std::vector<uint64_t> SampleIds(const std::set<uint64_t>& confirmed, size_t n, std::mt19937& rng) {
  std::vector<uint64_t> picked;
  std::sample(confirmed.begin(), confirmed.end(), std::back_inserter(picked), n, rng);
  return picked;
}

// The submitter's command line for one round.
std::vector<std::string> SubmitterArgs(const std::string& db, uint64_t start, const std::vector<uint64_t>& resubmit) {
  std::vector<std::string> args = {REGLINE_STORE_SUBMITTER, "--db", db, "--sender", kSender,
                                   "--start", std::to_string(start)};
  if (!resubmit.empty()) {
    std::string list;
    for (uint64_t lo : resubmit) list += (list.empty() ? "" : ",") + std::to_string(lo);
    args.insert(args.end(), {"--resubmit", list});
  }
  return args;
}

TEST(StoreKill, NothingReportedDurableIsLostOrStoredTwice) {
  Result<uint64_t> rounds_env = EnvNumber("REGLINE_FAULT_ROUNDS", kDefaultRounds);
  ASSERT_TRUE(rounds_env.ok()) << rounds_env.status().ToString();
  Result<uint64_t> seed_env = EnvNumber("REGLINE_FAULT_SEED", std::random_device{}());
  ASSERT_TRUE(seed_env.ok()) << seed_env.status().ToString();
  const int rounds = static_cast<int>(*rounds_env);
  const uint32_t seed = static_cast<uint32_t>(*seed_env);
  std::printf("[ StoreKill ] seed=%u rounds=%d (REGLINE_FAULT_SEED=%u repeats the choices)\n", seed, rounds,
              seed);
  SCOPED_TRACE("REGLINE_FAULT_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> lifetime_ms(20, 300);

  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string db = dir.File("store.db");
  std::set<uint64_t> confirmed;  // every id reported durable so far
  size_t duplicates = 0, earlier_duplicates = 0;
  int rounds_with_confirmations = 0;
  int64_t checked_seq = 0;
  double child_seconds = 0, check_seconds = 0;  // where the time went
  const auto started = std::chrono::steady_clock::now();

  for (int round = 0; round < rounds && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const uint64_t start = (static_cast<uint64_t>(round) << 32) + 1;  // fresh ids each round
    const std::vector<uint64_t> handed = SampleIds(confirmed, kResubmitSample, rng);
    const std::set<uint64_t> handed_set(handed.begin(), handed.end());
    std::vector<uint64_t> earlier_lookups = SampleIds(confirmed, kEarlierLookups, rng);
    const auto spawned = std::chrono::steady_clock::now();
    Result<ChildRun> run =
        RunAndKill(SubmitterArgs(db, start, handed), std::chrono::milliseconds(lifetime_ms(rng)));
    const auto reaped = std::chrono::steady_clock::now();
    child_seconds += std::chrono::duration<double>(reaped - spawned).count();
    ASSERT_TRUE(run.ok()) << run.status().ToString();

    ASSERT_TRUE(WIFSIGNALED(run->wait_status) && WTERMSIG(run->wait_status) == SIGKILL)
        << "the submitter was not killed by us: " << DescribeWaitStatus(run->wait_status);
    for (const auto& e : run->errors) ADD_FAILURE() << "submitter reported: " << e;
    for (uint64_t lo : run->confirmed) {
      EXPECT_TRUE(confirmed.insert(lo).second) << "id " << lo << " confirmed as new twice";
    }
    for (uint64_t lo : run->duplicates) {
      EXPECT_TRUE(confirmed.count(lo)) << "duplicate receipt for id " << lo << " that was never confirmed";
      earlier_duplicates += handed_set.count(lo);
    }
    duplicates += run->duplicates.size();
    if (!run->confirmed.empty()) ++rounds_with_confirmations;

    std::vector<uint64_t> lookups = run->duplicates;
    lookups.insert(lookups.end(), earlier_lookups.begin(), earlier_lookups.end());
    ASSERT_NO_FATAL_FAILURE(CheckThroughStore(db, lookups, run->confirmed));
    ASSERT_NO_FATAL_FAILURE(CheckThroughSql(db, confirmed, &checked_seq));
    check_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - reaped).count();
  }
  ASSERT_FALSE(HasFailure());

  // At the end, every message once more: deliveries and bytes of them all.
  std::vector<uint64_t> all(confirmed.begin(), confirmed.end());
  checked_seq = 0;
  ASSERT_NO_FATAL_FAILURE(CheckThroughStore(db, {}, all));
  ASSERT_NO_FATAL_FAILURE(CheckThroughSql(db, confirmed, &checked_seq));

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "[ StoreKill ] rounds=%d confirmed=%zu duplicates=%zu (of earlier rounds' ids: %zu) "
      "rounds_killed_while_committing=%d seconds=%.1f (children %.1f, per-round checks %.1f) seed=%u\n",
      rounds, confirmed.size(), duplicates, earlier_duplicates, rounds_with_confirmations, seconds, child_seconds,
      check_seconds, seed);
  EXPECT_GE(confirmed.size(), kMinConfirmedPerRound * static_cast<size_t>(rounds))
      << "too few submissions were confirmed for the test to mean anything";
  // The child submits without pause, so a child that had confirmed ids was
  // killed with more of them in flight.
  EXPECT_GE(rounds_with_confirmations, 1) << "no round was killed while the child was committing";
  EXPECT_GT(duplicates, 0u) << "no resubmission was answered as a duplicate";
}

}  // namespace
}  // namespace regline::fault
