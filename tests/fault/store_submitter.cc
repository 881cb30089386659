// regline_store_submitter: the child process of store_kill_test, which
// SIGKILLs it at a random moment and then checks the store it was writing.
//
// Usage:
//   regline_store_submitter --db PATH --sender NAME --start N
//                           [--threads T] [--window W] [--resubmit LO,LO,...]
//
// It opens the Store at PATH (Durability::kFull, a quota that never
// refuses), hands it to a GroupCommitter and, from T threads (default 4),
// submits fault::FaultSubmission(NAME, lo) until it is killed: thread t
// submits lo = N + k*T + t for k = 0, 1, 2, ... Each thread keeps at most W
// (default 64) submissions in flight, so a batch holds up to about T*W.
// Every 8th submission of a thread is instead a resubmission of an id that
// is known to be durable: one confirmed earlier in this run, or one from
// --resubmit (ids the test saw confirmed in earlier runs). The store must
// answer those with a duplicate receipt and store nothing new.
//
// Reports go to stdout (fd 1), one line per answered submission. Each line
// is sent with one write(2) of fewer than PIPE_BUF bytes, so lines never
// interleave on a pipe, and only from the submission's callback, that is
// after the batch holding it has committed (and fsynced):
//   "C <lo>\n"            a new message is durable
//   "D <lo>\n"            a resubmission came back as a duplicate receipt
//   "E <lo> <status>\n"   anything else: a failure or a wrong receipt
// Diagnostics go to stderr. Once running it never exits on its own; exit
// code 2 means bad arguments or a store that would not open.
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <semaphore>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/core/clock.h"
#include "gateway/core/group_commit.h"
#include "gateway/core/status.h"
#include "gateway/core/store.h"
#include "tests/fault/store_fault_workload.h"

namespace regline::fault {
namespace {

struct SubmitterArgs {
  std::string db;
  std::string sender;
  uint64_t start = 0;
  int threads = 4;
  int window = 64;
  std::vector<uint64_t> resubmit;  // ids confirmed in earlier runs
};

std::optional<uint64_t> ParseNumber(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

Result<std::vector<uint64_t>> ParseNumberList(std::string_view text) {
  std::vector<uint64_t> numbers;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::optional<uint64_t> n = ParseNumber(text.substr(0, comma));
    if (!n) return InvalidArgument("bad number in list '" + std::string(text) + "'");
    numbers.push_back(*n);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return numbers;
}

Result<SubmitterArgs> ParseArgs(int argc, char** argv) {
  SubmitterArgs args;
  bool have_start = false;
  for (int i = 1; i < argc; i += 2) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return InvalidArgument("flag " + std::string(flag) + " has no value");
    std::string_view value = argv[i + 1];
    std::optional<uint64_t> number = ParseNumber(value);
    if (flag == "--db") {
      args.db = value;
    } else if (flag == "--sender") {
      args.sender = value;
    } else if (flag == "--start" && number && *number > 0) {
      args.start = *number;
      have_start = true;
    } else if (flag == "--threads" && number && *number > 0 && *number <= 64) {
      args.threads = static_cast<int>(*number);
    } else if (flag == "--window" && number && *number > 0 && *number <= 4096) {
      args.window = static_cast<int>(*number);
    } else if (flag == "--resubmit") {
      Result<std::vector<uint64_t>> ids = ParseNumberList(value);
      if (!ids.ok()) return ids.status();
      args.resubmit = std::move(ids).value();
    } else {
      return InvalidArgument("unknown flag or bad value: " + std::string(flag) + " " + std::string(value));
    }
  }
  if (args.db.empty() || args.sender.empty() || !have_start) {
    return InvalidArgument("--db, --sender and --start (> 0) are required");
  }
  return args;
}

// Writes one report line with a single write(2). A short line to a pipe is
// atomic, so concurrent reports never interleave.
void Report(char tag, uint64_t lo, std::string_view detail = {}) {
  char line[256];
  int n = std::snprintf(line, sizeof line, "%c %llu", tag, static_cast<unsigned long long>(lo));
  std::string text(line, static_cast<size_t>(n));
  if (!detail.empty()) {
    text += ' ';
    text += detail.substr(0, 300);
  }
  for (char& c : text)
    if (c == '\n') c = ' ';
  text += '\n';
  while (write(STDOUT_FILENO, text.data(), text.size()) < 0 && errno == EINTR) {
  }
}

// Ids known to be durable, which the submitters draw resubmissions from.
class ConfirmedIds {
 public:
  explicit ConfirmedIds(std::vector<uint64_t> earlier) : ids_(std::move(earlier)) {}

  void Add(uint64_t lo) {
    std::lock_guard lock(mu_);
    ids_.push_back(lo);
  }

  std::optional<uint64_t> Pick(std::mt19937_64& rng) {
    std::lock_guard lock(mu_);
    if (ids_.empty()) return std::nullopt;
    return ids_[std::uniform_int_distribution<size_t>(0, ids_.size() - 1)(rng)];
  }

 private:
  std::mutex mu_;              // guards ids_
  std::vector<uint64_t> ids_;
};

// Answers one submission: reports it and frees its slot in the window.
void Answer(uint64_t lo, bool resubmission, const Result<SubmitReceipt>& r, ConfirmedIds& confirmed) {
  if (!r.ok()) {
    Report('E', lo, r.status().ToString());
  } else if (r->duplicate != resubmission) {
    Report('E', lo, resubmission ? "resubmission was stored as a new message" : "new id got a duplicate receipt");
  } else if (resubmission) {
    Report('D', lo);
  } else {
    Report('C', lo);
    confirmed.Add(lo);
  }
}

// One submitting thread: lo = start + k*threads + t, with a resubmission of
// a durable id in place of every 8th submission. Never returns.
[[noreturn]] void SubmitForever(const SubmitterArgs& args, int t, GroupCommitter& committer,
                                ConfirmedIds& confirmed) {
  std::counting_semaphore<> window(args.window);
  std::mt19937_64 rng(args.start * 131 + static_cast<uint64_t>(t));
  uint64_t k = 0;
  for (uint64_t n = 1;; ++n) {
    window.acquire();
    std::optional<uint64_t> old = n % 8 == 0 ? confirmed.Pick(rng) : std::nullopt;
    uint64_t lo = old ? *old : args.start + k++ * static_cast<uint64_t>(args.threads) + static_cast<uint64_t>(t);
    bool resubmission = old.has_value();
    committer.Submit(FaultSubmission(args.sender, lo),
                     [lo, resubmission, &confirmed, &window](Result<SubmitReceipt> r) {
                       Answer(lo, resubmission, r, confirmed);
                       window.release();
                     });
  }
}

int Main(int argc, char** argv) {
  Result<SubmitterArgs> args = ParseArgs(argc, argv);
  if (!args.ok()) {
    std::fprintf(stderr, "regline_store_submitter: %s\n", args.status().ToString().c_str());
    return 2;
  }
  SystemClock clock;
  StoreOptions options;
  options.path = args->db;
  options.durability = Durability::kFull;
  options.default_quota = int64_t{1} << 40;
  Result<std::unique_ptr<Store>> store = Store::Open(options, clock);
  if (!store.ok()) {
    std::fprintf(stderr, "regline_store_submitter: opening %s: %s\n", args->db.c_str(),
                 store.status().ToString().c_str());
    return 2;
  }
  GroupCommitter committer(std::move(store).value());
  ConfirmedIds confirmed(args->resubmit);
  std::vector<std::thread> submitters;
  for (int t = 0; t < args->threads; ++t) {
    submitters.emplace_back([&, t] { SubmitForever(*args, t, committer, confirmed); });
  }
  for (auto& s : submitters) s.join();  // never: the test SIGKILLs us
  return 0;
}

}  // namespace
}  // namespace regline::fault

int main(int argc, char** argv) { return regline::fault::Main(argc, argv); }
