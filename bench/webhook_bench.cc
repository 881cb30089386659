// webhook_bench: the connector's webhook sink against a local nginx.
//
// Makes a CA and a server certificate for 127.0.0.1 with the openssl
// command line, starts Debian's nginx (/usr/sbin/nginx, as a child process
// of this one) on 127.0.0.1 answering every POST with 204 over TLS
// (HTTP/2 offered through ALPN, or HTTP/1.1 keep-alive with --http1), and
// reading each request's body before it answers: a plain `return 204`
// (--early-204) answers first and, over HTTP/2, resets the stream when the
// body is not all in yet, which libcurl 7.88 reports as "Stream error in
// the HTTP/2 framing layer" and the worker retries. Then runs a real
// WebhookWorker (connectors/webhook_worker.h) against it from a durable
// connector inbox (Durability::kFull, every commit fsynced), all in
// a fresh directory under /var/tmp. Each message is a directive envelope
// whose payload is padded to --payload bytes (default 1 KiB); the JSON
// posted carries the payload twice (decoded, and inside envelopeBase64).
//
// Two runs, each on a fresh inbox:
//   full speed: --messages inserted up front, then the worker started;
//     messages/s from the start until the inbox holds none without a sink
//     outcome (polled every 20 ms on a connection of the bench's own);
//   offered rate: --rate messages/s inserted for --seconds in small
//     batches, the worker notified after each; latency per message is the
//     inbox's sink_ms - received_ms (both the connector's wall clock in
//     whole milliseconds: received_ms when the insert began, sink_ms when
//     the worker read nginx's answer, before its outcome commit).
// nginx's access log (buffered) gives the protocol each request used and
// the connections they came over; /proc gives the CPU time per message of
// the worker's thread and of nginx's workers.
//
// Not a test: figures depend on the machine. nginx is a bench-only
// dependency: apt-get install nginx-light.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/proc_cpu.h"
#include "connectors/inbox.h"
#include "connectors/message_json.h"
#include "connectors/test_envelopes.h"
#include "connectors/webhook_worker.h"
#include "gateway/core/clock.h"
#include "gateway/core/sqlite.h"
#include "gateway/core/test_util.h"
#include "gateway/protocol/frames.h"
#include "schemas/schema_samples.h"

extern char** environ;

namespace regline {
namespace {

using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using bench::CpuTicks;
using bench::TicksToUs;

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr const char* kOpenssl = "/usr/bin/openssl";

struct Args {
  int64_t messages = 50'000;
  int rate = 5000;
  int seconds = 5;
  size_t payload = 1024;
  std::vector<int> max_in_flight = {64};
  std::string runs = "both";  // "full", "rate" or "both"
  int repeat = 1;
  bool http1 = false;  // nginx listens without http2: HTTP/1.1 keep-alive
  int nginx_workers = 1;
  bool keep = false;       // leave the directory (certificates, config, logs)
  bool early_204 = false;  // nginx answers before reading the body
};

[[noreturn]] void Usage(int rc) {
  std::fprintf(
      rc == 0 ? stdout : stderr,
      "usage: webhook_bench [--messages N] [--rate N] [--seconds N] [--payload B]\n"
      "                     [--max-in-flight N[,N...]] [--runs full|rate|both] [--repeat N]\n"
      "                     [--http1] [--early-204] [--nginx-workers N] [--keep]\n"
      "Webhook sink throughput and latency: a real WebhookWorker posting from a durable connector\n"
      "inbox to a local nginx over HTTPS that answers 204 (needs: apt-get install nginx-light).\n"
      "  --messages N        full-speed run: messages inserted up front (default 50000)\n"
      "  --rate N            offered-rate run: messages/s inserted (default 5000)\n"
      "  --seconds N         offered-rate run: for this long (default 5)\n"
      "  --payload B         directive payload bytes (default 1024)\n"
      "  --max-in-flight L   the worker's max_in_flight; a comma list runs each (default 64, as the connector)\n"
      "  --runs R            full, rate or both (default both)\n"
      "  --repeat N          every run this many times (default 1)\n"
      "  --http1             nginx without http2 on its listen line (HTTP/1.1 keep-alive)\n"
      "  --early-204         nginx answers `return 204` without reading the body first (see docs)\n"
      "  --nginx-workers N   nginx worker_processes (default 1)\n"
      "  --keep              keep the directory under /var/tmp (config, logs, inboxes)\n");
  std::exit(rc);
}

std::vector<int> IntList(const std::string& v) {
  std::vector<int> out;
  std::stringstream in(v);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int n = std::stoi(item);
    if (n < 1) Usage(2);
    out.push_back(n);
  }
  if (out.empty()) Usage(2);
  return out;
}

Args Parse(int argc, char** argv) {
  Args a;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string k = argv[i];
      if (k == "--help" || k == "-h") Usage(0);
      if (k == "--http1") {
        a.http1 = true;
        continue;
      }
      if (k == "--keep") {
        a.keep = true;
        continue;
      }
      if (k == "--early-204") {
        a.early_204 = true;
        continue;
      }
      if (i + 1 >= argc) Usage(2);
      const std::string v = argv[++i];
      if (k == "--messages")
        a.messages = std::max<int64_t>(1, std::stoll(v));
      else if (k == "--rate")
        a.rate = std::max(1, std::stoi(v));
      else if (k == "--seconds")
        a.seconds = std::max(1, std::stoi(v));
      else if (k == "--payload")
        a.payload = std::stoul(v);
      else if (k == "--max-in-flight")
        a.max_in_flight = IntList(v);
      else if (k == "--runs" && (v == "full" || v == "rate" || v == "both"))
        a.runs = v;
      else if (k == "--repeat")
        a.repeat = std::max(1, std::stoi(v));
      else if (k == "--nginx-workers")
        a.nginx_workers = std::clamp(std::stoi(v), 1, 64);
      else
        Usage(2);
    }
  } catch (const std::exception&) {
    Usage(2);
  }
  return a;
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A CA (ca.crt) and a server certificate for IP 127.0.0.1 it issued
// (server.crt, server.key), EC P-256, made with the openssl command line.
bool MakeCertificates(const fs::path& dir) {
  const fs::path log = dir / "openssl.log";
  auto p = [&](const char* name) { return (dir / name).string(); };
  std::ofstream(dir / "server.ext") << "subjectAltName = IP:127.0.0.1\n";
  const std::vector<std::vector<std::string>> steps = {
      {kOpenssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=webhook_bench CA"},
      {kOpenssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       p("server.key"), "-out", p("server.csr"), "-subj", "/CN=127.0.0.1"},
      {kOpenssl, "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial",
       "-out", p("server.crt"), "-days", "2", "-extfile", p("server.ext")},
  };
  for (const auto& step : steps) {
    if (regline::testing::RunToCompletion(step, log) != 0) {  // the log holds the failing step's output
      std::fprintf(stderr, "webhook_bench: openssl %s failed:\n%s\n", step[1].c_str(), ReadAll(log).c_str());
      return false;
    }
  }
  return true;
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// The nginx this process started; stopped by its PID (also from a signal
// handler, so that an interrupted bench leaves no nginx behind).
std::atomic<pid_t> g_nginx_pid{-1};

void StopNginxOnSignal(int sig) {
  const pid_t pid = g_nginx_pid.exchange(-1);
  if (pid > 0) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

// CPU time of this process's threads named `name`.
int64_t ThreadCpuTicks(const std::string& name) {
  int64_t total = 0;
  std::error_code ec;
  for (const auto& t : fs::directory_iterator("/proc/self/task", ec)) {
    std::string comm;
    std::getline(std::ifstream(t.path() / "comm"), comm);
    if (comm == name) total += CpuTicks(t.path() / "stat");
  }
  return total;
}

class Nginx {
 public:
  ~Nginx() { Stop(); }

  // Writes the config and starts nginx on a free port; true once the port
  // accepts connections.
  bool Start(const Args& a, const fs::path& dir) {
    port_ = regline::testing::FreeLoopbackPort();
    if (port_ <= 0) {
      std::fprintf(stderr, "webhook_bench: no free port\n");
      return false;
    }
    access_log_ = dir / "access.log";
    fs::create_directories(dir / "nginx-temp");
    listen_ = "listen 127.0.0.1:" + std::to_string(port_) + (a.http1 ? " ssl;" : " ssl http2;");
    const fs::path conf = dir / "nginx.conf";
    {
      std::ofstream c(conf);
      c << "worker_processes " << a.nginx_workers << ";\n"
        << "error_log " << (dir / "error.log").string() << " warn;\n"
        << "pid " << (dir / "nginx.pid").string() << ";\n"
        << "events { worker_connections 1024; }\n"
        << "http {\n"
        << "  client_body_temp_path " << (dir / "nginx-temp" / "body").string() << ";\n"
        << "  proxy_temp_path " << (dir / "nginx-temp" / "proxy").string() << ";\n"
        << "  fastcgi_temp_path " << (dir / "nginx-temp" / "fastcgi").string() << ";\n"
        << "  uwsgi_temp_path " << (dir / "nginx-temp" / "uwsgi").string() << ";\n"
        << "  scgi_temp_path " << (dir / "nginx-temp" / "scgi").string()
        << ";\n"
        // One line per request: the protocol and the connection it used.
        << "  log_format bench '$server_protocol $connection $status $request_length';\n"
        << "  access_log " << access_log_.string() << " bench buffer=256k flush=100ms;\n"
        << "  keepalive_requests 1000000;\n"
        << "  keepalive_timeout 300s;\n"
        << "  client_body_buffer_size 64k;\n"
        << "  client_max_body_size 16m;\n"
        << "  server {\n"
        << "    " << listen_ << "\n"
        << "    ssl_certificate " << (dir / "server.crt").string() << ";\n"
        << "    ssl_certificate_key " << (dir / "server.key").string() << ";\n"
        << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        // No such directory: the static module's open() fails with ENOENT
        // (not logged with log_not_found off), never EACCES (logged).
        << "    root /nonexistent/webhook_bench;\n";
      if (a.early_204) {
        // Answers at once and discards the body (over HTTP/2: RST_STREAM
        // after the answer when the body is not all in yet).
        c << "    location / { return 204; }\n";
      } else {
        // The body is read in full first (the mirror module reads it for its
        // subrequest, answered 204 internally); then the static module finds
        // no file and the 404 becomes the 204 of @accepted.
        c << "    location / {\n"
          << "      mirror /mirror-sink;\n"
          << "      mirror_request_body on;\n"
          << "      log_not_found off;\n"
          << "      error_page 403 404 405 = @accepted;\n"
          << "    }\n"
          << "    location = /mirror-sink { internal; access_log off; return 204; }\n"
          << "    location @accepted { return 204; }\n";
      }
      c << "  }\n"
        << "}\n";
    }
    const std::string prefix = dir.string() + "/";
    const std::vector<std::string> argv = {kNginx, "-p", prefix, "-c", conf.string(), "-g", "daemon off;"};
    std::vector<char*> args;
    for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    const fs::path log = dir / "nginx.stderr";
    posix_spawn_file_actions_t io;
    posix_spawn_file_actions_init(&io);
    posix_spawn_file_actions_addopen(&io, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&io, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, kNginx, &io, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&io);
    if (rc != 0) {
      std::fprintf(stderr, "webhook_bench: cannot start %s: %s\n", kNginx, std::strerror(rc));
      return false;
    }
    pid_ = pid;
    g_nginx_pid = pid;
    for (int i = 0; i < 500; ++i) {
      if (Accepts(port_)) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        g_nginx_pid = -1;
        std::fprintf(stderr, "webhook_bench: nginx exited at start:\n%s%s\n", ReadAll(log).c_str(),
                     ReadAll(dir / "error.log").c_str());
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::fprintf(stderr, "webhook_bench: nginx does not accept connections on port %d\n", port_);
    return false;
  }

  // SIGQUIT (graceful: its workers finish and flush the log), SIGTERM
  // after two seconds, then reaped.
  void Stop() {
    if (pid_ <= 0) return;
    const pid_t pid = g_nginx_pid.exchange(-1);
    if (pid != pid_) {  // a signal handler has it already
      pid_ = -1;
      return;
    }
    kill(pid_, SIGQUIT);
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // CPU time of nginx's worker processes (the master's children).
  int64_t WorkerCpuTicks() const {
    if (pid_ <= 0) return 0;
    std::ifstream children("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children");
    int64_t total = 0;
    pid_t child = 0;
    while (children >> child) total += CpuTicks("/proc/" + std::to_string(child) + "/stat");
    return total;
  }

  int port() const { return port_; }
  const std::string& listen() const { return listen_; }
  const fs::path& access_log() const { return access_log_; }

 private:
  pid_t pid_ = -1;
  int port_ = -1;
  std::string listen_;
  fs::path access_log_;
};

// What nginx's access log says about the requests logged after `offset`.
struct AccessSummary {
  std::map<std::string, int64_t> protocols;  // "HTTP/2.0" -> requests
  std::map<std::string, int64_t> statuses;   // "204" -> requests
  size_t connections = 0;
  int64_t mean_request_bytes = 0;
};

AccessSummary Summarize(const fs::path& log, uintmax_t offset) {
  AccessSummary s;
  std::ifstream in(log);
  in.seekg(static_cast<std::streamoff>(offset));
  std::set<std::string> connections;
  std::string proto, conn, status;
  int64_t bytes = 0, total = 0, n = 0;
  while (in >> proto >> conn >> status >> bytes) {
    ++s.protocols[proto];
    ++s.statuses[status];
    connections.insert(conn);
    total += bytes;
    ++n;
  }
  s.connections = connections.size();
  s.mean_request_bytes = n > 0 ? total / n : 0;
  return s;
}

uintmax_t FileSize(const fs::path& p) {
  std::error_code ec;
  const uintmax_t n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

std::string DescribeAccess(const AccessSummary& s) {
  std::string out;
  for (const auto& [proto, n] : s.protocols) {
    out += (out.empty() ? "" : ", ") + proto + " " + std::to_string(n);
  }
  out += " requests over " + std::to_string(s.connections) + " connection(s); status";
  for (const auto& [status, n] : s.statuses) out += " " + status + " x" + std::to_string(n);
  out += "; mean request " + std::to_string(s.mean_request_bytes) + " B (headers + body)";
  return out;
}

// The directive envelope of message `n`: the sample directive, its
// rationale padded so that the payload is about `payload_bytes` long.
std::string DirectivePayload(size_t payload_bytes) {
  capnp::MallocMessageBuilder m;
  auto d = m.initRoot<schema::Directive>();
  schema::samples::BuildSuspendBroadcastDirectiveNow(d);
  const size_t base = protocol::Encode(m).size();
  if (payload_bytes > base) d.setRationale(std::string(payload_bytes - base, 'r'));
  return protocol::Encode(m);
}

connector::Delivery MakeDelivery(uint64_t n, const std::string& payload) {
  connector::Delivery d;
  d.delivery_seq = n;
  d.attempt = 1;
  d.id = MessageId{0xb0b, n};
  d.kind = static_cast<int>(schema::MessageKind::DIRECTIVE);
  d.envelope = connector::testing::MakeEnvelope("samr-console", d.id, {"douyin"}, schema::MessageKind::DIRECTIVE,
                                                payload, schema::Priority::HIGH);
  return d;
}

// Inserts deliveries [first, first + count) in one transaction.
bool InsertRange(connector::Inbox& inbox, uint64_t first, int64_t count, const std::string& payload) {
  std::vector<connector::Delivery> batch;
  batch.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) batch.push_back(MakeDelivery(first + static_cast<uint64_t>(i), payload));
  Result<std::vector<bool>> r = inbox.Insert(batch);
  if (!r.ok()) {
    std::fprintf(stderr, "webhook_bench: inbox insert failed: %s\n", r.status().ToString().c_str());
    return false;
  }
  return true;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

struct RunContext {
  const Args& args;
  const fs::path& dir;
  const Nginx& nginx;
  const std::string& payload;
  SystemClock clock;
  int run_no = 0;
};

// One worker over a fresh inbox; the run's body in between.
class Setup {
 public:
  Setup(RunContext& ctx, int max_in_flight) : ctx_(ctx) {
    path_ = ctx.dir / ("inbox-" + std::to_string(++ctx.run_no) + ".db");
    connector::InboxOptions o;
    o.path = path_.string();
    o.durability = Durability::kFull;
    Result<std::unique_ptr<connector::Inbox>> inbox = connector::Inbox::Open(o, ctx.clock);
    if (!inbox.ok()) {
      std::fprintf(stderr, "webhook_bench: cannot open the inbox: %s\n", inbox.status().ToString().c_str());
      return;
    }
    inbox_ = std::move(inbox).value();
    connector::WebhookOptions w;
    w.url = "https://127.0.0.1:" + std::to_string(ctx.nginx.port()) + "/regline";
    w.secret = std::string(32, 's');
    w.ca_file = (ctx.dir / "ca.crt").string();
    w.max_in_flight = max_in_flight;
    connector::SinkWorkerOptions sw;
    sw.clock = &ctx.clock;
    Result<std::unique_ptr<connector::WebhookWorker>> worker =
        connector::WebhookWorker::Create(*inbox_, w, sw, [this] { outcome_commits_.fetch_add(1); });
    if (!worker.ok()) {
      std::fprintf(stderr, "webhook_bench: %s\n", worker.status().ToString().c_str());
      return;
    }
    worker_ = std::move(worker).value();
    log_offset_ = FileSize(ctx.nginx.access_log());
    nginx_ticks_ = ctx.nginx.WorkerCpuTicks();
  }
  ~Setup() {
    if (worker_) worker_->Stop();
    worker_.reset();
    awaiting_.reset();
    reader_.reset();
    inbox_.reset();
    if (!ctx_.args.keep) {
      for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
    }
  }
  bool ok() const { return worker_ != nullptr; }
  connector::Inbox& inbox() { return *inbox_; }
  connector::WebhookWorker& worker() { return *worker_; }
  const fs::path& path() const { return path_; }
  int64_t outcome_commits() const { return outcome_commits_.load(); }

  // The first delivery number still without a sink outcome (0: none is;
  // -1: cannot tell), read on a read-only connection of our own through
  // the sink queue's partial index: min() there is one index lookup,
  // where counting the rows left would scan the index (tens of thousands
  // of entries 50 times a second, CPU taken from the worker).
  int64_t FirstAwaitingSink() {
    if (!awaiting_) {
      Result<Database> db = Database::OpenReadOnly(path_.string());
      if (!db.ok()) return -1;
      reader_ = std::move(db).value();
      Result<Statement> st = reader_->Prepare("SELECT coalesce(min(delivery_seq), 0) FROM inbox WHERE sink_state = 0");
      if (!st.ok()) return -1;
      awaiting_ = std::move(st).value();
    }
    awaiting_->Reset();
    Result<bool> row = awaiting_->Step();
    const int64_t n = row.ok() && *row ? awaiting_->ColumnInt64(0) : -1;
    awaiting_->Reset();
    return n;
  }

  // Waits until no message lacks a sink outcome; false after 30 s
  // without progress or 120 s in all. `done_at` is when that was seen.
  bool WaitDrained(SteadyClock::time_point& done_at) {
    int64_t last_first = -1;
    const auto started = SteadyClock::now();
    auto last_progress = started;
    for (;;) {
      const int64_t first = FirstAwaitingSink();
      if (first == 0) {
        done_at = SteadyClock::now();
        return true;
      }
      if (first > 0 && first != last_first) {
        last_first = first;
        last_progress = SteadyClock::now();
      }
      if (SteadyClock::now() - started > std::chrono::seconds(120)) {
        std::fprintf(stderr, "webhook_bench: not drained after 120 s, delivery %lld still awaiting the sink\n",
                     static_cast<long long>(last_first));
        return false;
      }
      if (SteadyClock::now() - last_progress > std::chrono::seconds(30)) {
        std::fprintf(stderr, "webhook_bench: no progress for 30 s, delivery %lld still awaiting the sink\n",
                     static_cast<long long>(last_first));
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // While the worker's threads still run (they are new for each run): CPU per
  // message of the worker's thread and of nginx's workers.
  std::string CpuPerMessage(int64_t n) {
    const double requests = TicksToUs(ThreadCpuTicks("webhook")) / static_cast<double>(n);
    const double render = TicksToUs(ThreadCpuTicks("webhook-render")) / static_cast<double>(n);
    const double record = TicksToUs(ThreadCpuTicks("webhook-record")) / static_cast<double>(n);
    const double nginx = TicksToUs(ctx_.nginx.WorkerCpuTicks() - nginx_ticks_) / static_cast<double>(n);
    char line[200];
    std::snprintf(line, sizeof line,
                  "CPU per message: worker %.0f us (request thread %.0f, render %.0f, record %.0f), nginx %.0f us",
                  requests + render + record, requests, render, record, nginx);
    return line;
  }

  // After the worker stopped: what nginx logged for this run (its buffer
  // is flushed every 100 ms).
  std::string Access() {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return DescribeAccess(Summarize(ctx_.nginx.access_log(), log_offset_));
  }

 private:
  RunContext& ctx_;
  fs::path path_;
  std::unique_ptr<connector::Inbox> inbox_;
  std::unique_ptr<connector::WebhookWorker> worker_;
  std::atomic<int64_t> outcome_commits_{0};
  uintmax_t log_offset_ = 0;
  int64_t nginx_ticks_ = 0;
  std::optional<Database> reader_;
  std::optional<Statement> awaiting_;  // before reader_ goes
};

std::string Protocol(const Args& a) { return a.http1 ? "HTTP/1.1 offered" : "HTTP/2 offered"; }

// Every message should have been accepted (sink_state 1: a 2xx without a
// JSON outcome); anything else is printed.
void CheckOutcomes(const fs::path& inbox, int64_t expected) {
  std::map<int64_t, int64_t> states;
  int64_t rows = 0;
  Result<Database> db = Database::OpenReadOnly(inbox.string());
  if (db.ok()) {
    Result<Statement> st = db->Prepare("SELECT sink_state, count(*) FROM inbox GROUP BY sink_state");
    if (st.ok()) {
      for (;;) {
        Result<bool> row = st->Step();
        if (!row.ok() || !*row) break;
        states[st->ColumnInt64(0)] = st->ColumnInt64(1);
        rows += st->ColumnInt64(1);
      }
    }
  }
  if (rows == expected && states.size() == 1 && states.begin()->first == 1) return;
  std::printf("  WARNING: expected %lld rows, all accepted (sink_state 1); found", static_cast<long long>(expected));
  for (const auto& [state, n] : states)
    std::printf(" state %lld x%lld", static_cast<long long>(state), static_cast<long long>(n));
  std::printf("\n");
}

bool FullSpeed(RunContext& ctx, int max_in_flight) {
  Setup s(ctx, max_in_flight);
  if (!s.ok()) return false;
  const int64_t n = ctx.args.messages;
  for (int64_t done = 0; done < n; done += 1000) {
    if (!InsertRange(s.inbox(), static_cast<uint64_t>(done) + 1, std::min<int64_t>(1000, n - done), ctx.payload)) {
      return false;
    }
  }
  const auto start = SteadyClock::now();
  s.worker().Start();
  SteadyClock::time_point end;
  const bool drained = s.WaitDrained(end);
  const std::string cpu = s.CpuPerMessage(n);
  s.worker().Stop();
  if (!drained) return false;
  const double secs = std::chrono::duration<double>(end - start).count();
  std::printf("webhook full speed: %lld messages in %.2f s = %.0f msg/s (max_in_flight %d, %s)\n",
              static_cast<long long>(n), secs, static_cast<double>(n) / secs, max_in_flight,
              Protocol(ctx.args).c_str());
  std::printf("  %s; %lld outcome commits (%.1f messages each)\n  nginx: %s\n", cpu.c_str(),
              static_cast<long long>(s.outcome_commits()),
              s.outcome_commits() > 0 ? static_cast<double>(n) / static_cast<double>(s.outcome_commits()) : 0.0,
              s.Access().c_str());
  CheckOutcomes(s.path(), n);
  return true;
}

bool OfferedRate(RunContext& ctx, int max_in_flight) {
  Setup s(ctx, max_in_flight);
  if (!s.ok()) return false;
  const int64_t n = int64_t{ctx.args.rate} * ctx.args.seconds;
  s.worker().Start();
  const auto start = SteadyClock::now();
  int64_t inserted = 0, batches = 0;
  while (inserted < n) {
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    const int64_t due = std::min<int64_t>(n, static_cast<int64_t>(elapsed * ctx.args.rate));
    if (due > inserted) {
      const int64_t count = std::min<int64_t>(due - inserted, 500);
      if (!InsertRange(s.inbox(), static_cast<uint64_t>(inserted) + 1, count, ctx.payload)) return false;
      s.worker().Notify();
      inserted += count;
      ++batches;
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
  const auto inserted_at = SteadyClock::now();
  SteadyClock::time_point end;
  const bool drained = s.WaitDrained(end);
  const std::string cpu = s.CpuPerMessage(n);
  s.worker().Stop();
  if (!drained) return false;
  const double insert_secs = std::chrono::duration<double>(inserted_at - start).count();
  const double secs = std::chrono::duration<double>(end - start).count();

  // Per message: sink_ms - received_ms, read straight from the inbox file.
  std::vector<double> latency;
  latency.reserve(static_cast<size_t>(n));
  Result<Database> db = Database::OpenReadOnly(s.path().string());
  if (db.ok()) {
    Result<Statement> st = db->Prepare("SELECT sink_ms - received_ms FROM inbox WHERE sink_ms > 0");
    if (st.ok()) {
      for (;;) {
        Result<bool> row = st->Step();
        if (!row.ok() || !*row) break;
        latency.push_back(static_cast<double>(st->ColumnInt64(0)));
      }
    }
  }
  std::sort(latency.begin(), latency.end());
  std::printf(
      "webhook offered rate: %lld messages offered at %d/s: inserted in %.2f s (%.0f/s, %lld batches), all posted "
      "and recorded after %.2f s = %.0f msg/s (max_in_flight %d, %s)\n",
      static_cast<long long>(n), ctx.args.rate, insert_secs, static_cast<double>(n) / insert_secs,
      static_cast<long long>(batches), secs, static_cast<double>(n) / secs, max_in_flight, Protocol(ctx.args).c_str());
  std::printf(
      "  received->sink (sink_ms - received_ms, whole ms): p50 %.0f ms  p99 %.0f ms  max %.0f ms  (%zu messages)\n",
      Percentile(latency, 0.50), Percentile(latency, 0.99), latency.empty() ? 0 : latency.back(), latency.size());
  std::printf("  %s; %lld outcome commits (%.1f messages each)\n  nginx: %s\n", cpu.c_str(),
              static_cast<long long>(s.outcome_commits()),
              s.outcome_commits() > 0 ? static_cast<double>(n) / static_cast<double>(s.outcome_commits()) : 0.0,
              s.Access().c_str());
  CheckOutcomes(s.path(), n);
  return true;
}

}  // namespace
}  // namespace regline

int main(int argc, char** argv) {
  using namespace regline;
  const Args a = Parse(argc, argv);
  if (access(kNginx, X_OK) != 0) {
    std::fprintf(stderr, "webhook_bench: nginx is not installed (apt-get install nginx-light)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, StopNginxOnSignal);
  std::string tmpl = "/var/tmp/regline-webhook-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("webhook_bench: mkdtemp");
    return 1;
  }
  const fs::path dir = tmpl;
  int rc = 0;
  {
    Nginx nginx;
    if (!MakeCertificates(dir) || !nginx.Start(a, dir)) {
      rc = 1;
    } else {
      const std::string payload = DirectivePayload(a.payload);
      RunContext ctx{a, dir, nginx, payload, {}, 0};
      connector::InboxMessage sample;
      sample.delivery_seq = 1;
      sample.attempt = 1;
      connector::Delivery d = MakeDelivery(1, payload);
      sample.id = d.id;
      sample.kind = d.kind;
      sample.envelope = d.envelope;
      sample.received_ms = ctx.clock.NowMs();
      std::printf(
          "webhook_bench: nginx %s (`%s`, worker_processes %d, 204 %s), durable inbox (synchronous=FULL), "
          "%zu B payload, %zu B envelope, %zu B JSON body, %u hardware threads\n",
          (dir / "nginx.conf").c_str(), nginx.listen().c_str(), a.nginx_workers,
          a.early_204 ? "at once (`return 204`, body discarded)" : "after reading the body", payload.size(),
          d.envelope.size(), connector::MessageJsonCompact(sample).size(), std::thread::hardware_concurrency());
      {
        // What the worker pays per message to build the body (message_json.h).
        const auto t0 = SteadyClock::now();
        size_t bytes = 0;
        for (int i = 0; i < 1000; ++i) bytes += connector::MessageJsonCompact(sample).size();
        const double us = std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count() / 1000;
        const auto t1 = SteadyClock::now();
        for (int i = 0; i < 1000; ++i) bytes += connector::MessageJson(sample).dump().size();
        const double dom_us = std::chrono::duration<double, std::micro>(SteadyClock::now() - t1).count() / 1000;
        std::printf(
            "message JSON: MessageJsonCompact (as the worker builds each body) %.0f us per message (%zu B); "
            "MessageJson + dump %.0f us\n",
            us, bytes / 2000, dom_us);
      }
      std::fflush(stdout);
      for (int k = 0; k < a.repeat && rc == 0; ++k) {
        for (int m : a.max_in_flight) {
          if (a.runs != "rate" && !FullSpeed(ctx, m)) rc = 1;
          if (rc == 0 && a.runs != "full" && !OfferedRate(ctx, m)) rc = 1;
          std::fflush(stdout);
          if (rc != 0) break;
        }
      }
    }
    nginx.Stop();
  }
  if (a.keep || rc != 0) {
    std::printf("webhook_bench: kept %s\n", dir.c_str());
  } else {
    fs::remove_all(dir);
  }
  return rc;
}
