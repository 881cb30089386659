// store_bench: durable submissions per second into the Store, with group
// commit and with one commit per submission.
//
// Each submission is a 1 KiB envelope (size set by --payload) to one
// recipient, made durable at Durability::kFull (an fsync of the WAL per
// commit; in group mode on the committer's sync thread, which syncs once for
// every batch committed meanwhile, docs/store.md). Group mode: --producers
// threads each keep --window submissions in flight through a
// GroupCommitter, as the gateway's sessions do. Single
// mode: one thread calls Store::Submit, one transaction and one fsync each.
// The store lives in --dir (default: a fresh directory under /var/tmp, on
// the real disk; a tmpfs would make fsync free and the figure meaningless).
//
// Prints one line per mode and the ratio. Not a test: figures depend on the
// machine and its disk.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "gateway/core/group_commit.h"

namespace regline {
namespace {

struct Args {
  std::string mode = "both";  // group, single or both
  int64_t messages = 200'000;
  int64_t single_messages = 2'000;
  size_t payload = 1024;
  int producers = 4;
  int window = 2'000;
  std::string dir;
  bool normal_sync = false;
};

void Usage(FILE* out) {
  std::fputs(
      "usage: store_bench [--mode group|single|both] [--messages N] [--single-messages N]\n"
      "                   [--payload BYTES] [--producers N] [--window N] [--dir DIR] [--normal-sync]\n"
      "Prints durable submissions per second into the Regline store.\n"
      "  --messages N         submissions in group mode (default 200000)\n"
      "  --single-messages N  submissions in one-by-one mode (default 2000)\n"
      "  --payload BYTES      envelope size (default 1024)\n"
      "  --producers N        submitting threads in group mode (default 4)\n"
      "  --window N           submissions each producer keeps in flight (default 2000)\n"
      "  --dir DIR            where to make the store (default: a new directory in /var/tmp)\n"
      "  --normal-sync        synchronous=NORMAL instead of FULL (not durable on power loss)\n",
      out);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "store_bench: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--help" || k == "-h") {
      Usage(stdout);
      std::exit(0);
    } else if (k == "--mode") {
      a.mode = next();
    } else if (k == "--messages") {
      a.messages = std::stoll(next());
    } else if (k == "--single-messages") {
      a.single_messages = std::stoll(next());
    } else if (k == "--payload") {
      a.payload = std::stoul(next());
    } else if (k == "--producers") {
      a.producers = std::stoi(next());
    } else if (k == "--window") {
      a.window = std::stoi(next());
    } else if (k == "--dir") {
      a.dir = next();
    } else if (k == "--normal-sync") {
      a.normal_sync = true;
    } else {
      std::fprintf(stderr, "store_bench: unknown option %s\n", k.c_str());
      Usage(stderr);
      std::exit(2);
    }
  }
  if (a.mode != "group" && a.mode != "single" && a.mode != "both") {
    std::fprintf(stderr, "store_bench: --mode must be group, single or both\n");
    std::exit(2);
  }
  return a;
}

Submission Make(int producer, int64_t n, const std::string& payload) {
  Submission s;
  s.sender = "bench-" + std::to_string(producer);
  s.id = MessageId{static_cast<uint64_t>(producer) + 1, static_cast<uint64_t>(n) + 1};
  s.kind = 1;
  s.recipients = {"platform-" + std::to_string(n % 8)};
  s.envelope = payload;
  return s;
}

std::unique_ptr<Store> OpenFresh(const Args& a, const std::filesystem::path& dir, const std::string& name,
                                 const Clock& clock) {
  StoreOptions o;
  o.path = (dir / name).string();
  o.durability = a.normal_sync ? Durability::kNormal : Durability::kFull;
  o.default_quota = int64_t{1} << 40;
  Result<std::unique_ptr<Store>> s = Store::Open(o, clock);
  if (!s.ok()) {
    std::fprintf(stderr, "store_bench: %s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(s).value();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

double RunGroup(const Args& a, const std::filesystem::path& dir, const Clock& clock) {
  GroupCommitter committer(OpenFresh(a, dir, "group.db", clock));
  const std::string payload(a.payload, 'p');
  const int64_t per_producer = a.messages / a.producers;
  std::atomic<int64_t> failed{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < a.producers; ++p) {
    producers.emplace_back([&, p] {
      // Each producer blocks (not spins: the writer needs the cores) while
      // its window is full, and waits at the end for all its answers.
      std::counting_semaphore<> window(a.window);
      for (int64_t i = 0; i < per_producer; ++i) {
        window.acquire();
        committer.Submit(Make(p, i, payload), [&](Result<SubmitReceipt> r) {
          if (!r.ok()) failed++;
          window.release();
        });
      }
      for (int i = 0; i < a.window; ++i) window.acquire();
    });
  }
  for (auto& t : producers) t.join();
  double secs = Seconds(start);
  GroupCommitStats st = committer.stats();
  int64_t total = per_producer * a.producers;
  double rate = total / secs;
  std::printf("group commit : %8lld durable submissions of %zu B in %.2f s = %9.0f /s  (%llu commits, avg batch %.0f, "
              "largest %llu, failed %lld)\n",
              static_cast<long long>(total), a.payload, secs, rate, static_cast<unsigned long long>(st.batches),
              static_cast<double>(st.submissions) / std::max<uint64_t>(st.batches, 1),
              static_cast<unsigned long long>(st.largest_batch), static_cast<long long>(failed.load()));
  return rate;
}

double RunSingle(const Args& a, const std::filesystem::path& dir, const Clock& clock) {
  std::unique_ptr<Store> store = OpenFresh(a, dir, "single.db", clock);
  const std::string payload(a.payload, 'p');
  int64_t failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < a.single_messages; ++i) {
    if (!store->Submit(Make(0, i, payload)).ok()) failed++;
  }
  double secs = Seconds(start);
  double rate = a.single_messages / secs;
  std::printf("one by one   : %8lld durable submissions of %zu B in %.2f s = %9.0f /s  (one commit each, failed %lld)\n",
              static_cast<long long>(a.single_messages), a.payload, secs, rate, static_cast<long long>(failed));
  return rate;
}

}  // namespace
}  // namespace regline

int main(int argc, char** argv) {
  using namespace regline;
  Args a = Parse(argc, argv);
  std::filesystem::path dir;
  bool made = false;
  if (a.dir.empty()) {
    std::string tmpl = "/var/tmp/regline-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("store_bench: mkdtemp");
      return 1;
    }
    dir = tmpl;
    made = true;
  } else {
    dir = a.dir;
  }
  SystemClock clock;
  std::printf("store_bench: %s, durability %s, %u hardware threads\n", dir.c_str(),
              a.normal_sync ? "normal (synchronous=NORMAL, no fsync per commit)"
                            : "full (an fsync of the log before each answer)",
              std::thread::hardware_concurrency());
  double group = 0, single = 0;
  if (a.mode != "single") group = RunGroup(a, dir, clock);
  if (a.mode != "group") single = RunSingle(a, dir, clock);
  if (group > 0 && single > 0) std::printf("group commit is %.1fx one-by-one\n", group / single);
  if (made) std::filesystem::remove_all(dir);
  return 0;
}
