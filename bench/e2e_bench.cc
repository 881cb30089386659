// e2e_bench: end-to-end throughput and latency through the real gateway.
//
// Starts regline-gateway (durability "full": every confirmation and delivery
// waits for an fdatasync of the store's log) on 127.0.0.1 in a fresh
// directory under /var/tmp and one regulator client in this process that
// submits 1 KiB directives to one platform. The platform side is either
// (--platform connector, the default) a real regline-connector with its own
// durable inbox (synchronous=FULL) and a sink that accepts at once, or
// (--platform raw) a session in this process that acknowledges each
// delivery as received without storing it. --security ed25519|sm2 puts
// CURVE on every connection and signs the directives; the gateway and the
// connector each verify every signature. --security plain,ed25519,sm2 (or
// all) runs each mode on a fresh gateway and connector, round after round
// (--repeat), and ends with a table of each mode beside plain.
//
// Latency: with raw, submit -> DELIVER read here; with the connector,
// submit -> sink (this process's wall clock at submission against the
// sink_ms the connector's inbox recorded when its sink took the message,
// millisecond resolution, same machine), both for every message; and, for
// a sample of about 2,000, submit -> "accepted" recorded at the gateway
// (the gateway's own record, which adds the acknowledgement's trip back
// and its commit; one console query each).
//
// Two runs: full speed (submissions pipelined up to --window outstanding),
// printing messages/s from first submit to last acknowledgement receipt and
// submit->delivery latency p50/p99/max; and a fixed offered rate
// (--rate, default 5000/s) for --seconds, printing the same latencies.
// Not a test: figures depend on the machine.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bench/proc_cpu.h"
#include "gateway/core/sqlite.h"
#include "gateway/crypto/curve_keys.h"
#include "gateway/crypto/key_files.h"
#include "gateway/identity/registry.h"
#include "gateway/identity/signature_check.h"
#include "gateway/protocol/frames.h"
#include "schemas/schema_samples.h"

extern char** environ;

namespace regline {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string gateway = REGLINE_GATEWAY_BINARY;
  std::string connector = REGLINE_CONNECTOR_BINARY;
  std::string platform = "connector";
  int64_t messages = 100'000;
  int window = 4096;
  // The platform's credit window. 0: the connector's own default (its
  // config file says nothing; 256, which also carries the most at full
  // speed: 17,200-18,100 msg/s against 15,300-15,500 at 4,096 on
  // 2026-11-30), and 4,096 for the raw platform, which stores nothing.
  int credit = 0;
  int rate = 5000;
  int seconds = 5;
  size_t payload = 1024;
  std::string connector_durability = "full";  // "normal": for comparison only
  std::string runs = "both";                  // "full", "rate" or "both"
  int repeat = 1;                             // rounds of every mode (the machine is noisy)
  bool keep = false;                          // leave the directory behind
  std::string samples;                        // a directory: each run's per-message figures, one file per run
  // "plain": development plaintext, unsigned. "ed25519" / "sm2": CURVE on
  // every socket, the regulator's directives signed with that algorithm
  // (the platform's with Ed25519), verified by the gateway.
  std::string security = "plain";
  std::vector<std::string> modes{"plain"};  // --security: each is run in turn
  struct Keys {
    crypto::CurveKeyPair server, samr, douyin;
    identity::SignatureClaim directive_signature;  // over the payload, made once before the clock starts
    identity::Registry registry;
    std::string douyin_signing_pem;  // the connector signs its acknowledgements with it
  };
  std::shared_ptr<Keys> keys;  // set when security != plain
  bool secure() const { return security != "plain"; }
};

[[noreturn]] void Usage(int rc) {
  std::fprintf(rc == 0 ? stdout : stderr,
               "usage: e2e_bench [--platform connector|raw] [--messages N] [--window N] [--credit N] [--rate N]\n"
               "                 [--seconds N] [--payload B] [--gateway PATH] [--connector PATH]\n"
               "                 [--connector-durability full|normal] [--runs full|rate|both]\n"
               "                 [--repeat N] [--security MODE[,MODE...]|all] [--keep] [--samples DIR]\n"
               "End-to-end messages/s and submit->delivery latency through a real regline-gateway.\n"
               "MODE: plain (development plaintext, unsigned), ed25519 or sm2 (CURVE and signed\n"
               "directives); several (\"all\" = plain,ed25519,sm2) run one after another, each on a\n"
               "fresh gateway and connector, interleaved per --repeat round, and a table compares\n"
               "each with plain.\n"
               "--credit N sets the platform's credit window (default: the connector's own default,\n"
               "4096 for the raw platform).\n"
               "--keep leaves each run's directory (stores, configs, logs) under /var/tmp for study.\n"
               "--samples DIR writes each run's per-message latencies, in submission order, to\n"
               "DIR/MODE-RUN-ROUND.tsv (plain-rate-1.tsv): when the slow ones came.\n");
  std::exit(rc);
}

// "plain,ed25519" -> {"plain", "ed25519"}; "all" -> all three; empty on a
// mode it does not know.
std::vector<std::string> ParseModes(const std::string& list) {
  if (list == "all") return {"plain", "ed25519", "sm2"};
  std::vector<std::string> modes;
  size_t start = 0;
  for (;;) {
    const size_t comma = list.find(',', start);
    std::string m = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (m != "plain" && m != "ed25519" && m != "sm2") return {};
    modes.push_back(m);
    if (comma == std::string::npos) return modes;
    start = comma + 1;
  }
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--help" || k == "-h") Usage(0);
    if (k == "--keep") {
      a.keep = true;
      continue;
    }
    if (i + 1 >= argc) Usage(2);
    std::string v = argv[++i];
    if (k == "--messages") a.messages = std::stoll(v);
    else if (k == "--runs") a.runs = v;
    else if (k == "--repeat") a.repeat = std::max(1, std::stoi(v));
    else if (k == "--window") a.window = std::stoi(v);
    else if (k == "--credit") a.credit = std::stoi(v);
    else if (k == "--rate") a.rate = std::stoi(v);
    else if (k == "--seconds") a.seconds = std::stoi(v);
    else if (k == "--payload") a.payload = std::stoul(v);
    else if (k == "--gateway") a.gateway = v;
    else if (k == "--connector") a.connector = v;
    else if (k == "--platform") a.platform = v;
    else if (k == "--connector-durability") a.connector_durability = v;
    else if (k == "--samples")
      a.samples = v;
    else if (k == "--security")
      a.modes = ParseModes(v);
    else Usage(2);
  }
  if (a.modes.empty()) Usage(2);
  a.security = a.modes.front();
  return a;
}

std::string Frame(const std::function<void(schema::Frame::Builder)>& fill) {
  capnp::MallocMessageBuilder m;
  fill(m.initRoot<schema::Frame>());
  return protocol::Encode(m);
}

std::string Hello(const std::string& identity, schema::Role role, uint32_t credit) {
  return Frame([&](schema::Frame::Builder f) {
    auto h = f.initHello();
    h.setProtocolVersion(schema::CURRENT_PROTOCOL_VERSION);
    h.setIdentity(identity);
    h.setRole(role);
    h.setInitialCredit(credit);
  });
}

// The sample directive (issued by SAMR, as the gateway checks), its
// rationale padded so that the payload is about `bytes` long.
std::string DirectivePayload(size_t bytes) {
  capnp::MallocMessageBuilder m;
  auto d = m.initRoot<schema::Directive>();
  schema::samples::BuildSuspendBroadcastDirectiveNow(d);
  size_t base = protocol::Encode(m).size();
  if (bytes > base) d.setRationale(std::string(bytes - base, 'd'));
  return protocol::Encode(m);
}

// Keys for --security ed25519|sm2: the gateway's, the regulator's and the
// platform's CURVE pairs, and the regulator's signing key, registered. The
// signature covers only the payload, which is the same for every message,
// so it is made once here: signing is the regulator's machine's work, not
// the gateway's, and is left out of the figures (crypto_bench has its cost).
std::shared_ptr<Args::Keys> MakeKeys(const std::string& mode, const std::string& payload) {
  auto k = std::make_shared<Args::Keys>();
  auto curve = [] {
    Result<crypto::CurveKeyPair> p = crypto::GenerateCurveKeyPair();
    if (!p.ok()) {
      std::fprintf(stderr, "e2e_bench: %s\n", p.status().ToString().c_str());
      std::exit(1);
    }
    return *p;
  };
  k->server = curve();
  k->samr = curve();
  k->douyin = curve();
  auto signing = [](crypto::SignatureAlgorithm alg) {
    Result<crypto::PrivateKey> key = crypto::PrivateKey::Generate(alg);
    if (!key.ok()) std::exit(1);
    return *key;
  };
  crypto::PrivateKey samr_key =
      signing(mode == "sm2" ? crypto::SignatureAlgorithm::kSm2Sm3 : crypto::SignatureAlgorithm::kEd25519);
  crypto::PrivateKey douyin_key = signing(crypto::SignatureAlgorithm::kEd25519);
  k->douyin_signing_pem = douyin_key.Pem();
  identity::Identity samr;
  samr.name = "samr-console";
  samr.role = identity::Role::kRegulator;
  samr.department = "SAMR";
  samr.curve_key = k->samr.public_z85;
  samr.signing_keys.emplace_back(samr_key.public_key());
  identity::Identity douyin;
  douyin.name = "douyin";
  douyin.role = identity::Role::kPlatform;
  douyin.curve_key = k->douyin.public_z85;
  douyin.signing_keys.emplace_back(douyin_key.public_key());
  if (!k->registry.Add(samr).ok() || !k->registry.Add(douyin).ok()) std::exit(1);
  identity::Signer signer("samr-console", samr_key);
  Result<identity::SignatureClaim> sig = signer.Sign(payload);
  if (!sig.ok()) std::exit(1);
  k->directive_signature = *sig;
  return k;
}

// CURVE client keys on `s` when the run is secure.
void Secure(const Args& a, zmq::socket_t& s, const crypto::CurveKeyPair& client) {
  if (!a.secure()) return;
  s.set(zmq::sockopt::curve_serverkey, a.keys->server.public_z85);
  s.set(zmq::sockopt::curve_publickey, client.public_z85);
  s.set(zmq::sockopt::curve_secretkey, client.secret_z85);
}

std::string SubmitFrame(const Args& a, uint64_t n, const std::string& payload) {
  capnp::MallocMessageBuilder em;
  auto e = em.initRoot<schema::Envelope>();
  protocol::ToWire(MessageId{0xbe7c, n}, e.initId());
  e.setSender("samr-console");
  e.initRecipients(1).set(0, "douyin");
  e.setKind(schema::MessageKind::DIRECTIVE);
  e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
  if (a.secure()) protocol::ToWire(a.keys->directive_signature, e.initSignature());
  std::string env = protocol::Encode(em);
  return Frame([&](schema::Frame::Builder f) {
    auto s = f.initSubmit();
    s.setRequestTag(n);
    s.setEnvelope(kj::arrayPtr(reinterpret_cast<const kj::byte*>(env.data()), env.size()));
  });
}

std::optional<protocol::DecodedFrame> Recv(zmq::socket_t& s, int timeout_ms) {
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return std::nullopt;
  zmq::message_t m;
  (void)s.recv(m, zmq::recv_flags::none);
  Result<protocol::DecodedFrame> f = protocol::DecodedFrame::Parse(m.to_string(), 1 << 26);
  if (!f.ok()) return std::nullopt;
  return std::move(f).value();
}

struct Gateway {
  pid_t pid = -1;
  std::string endpoint;
  ~Gateway() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
};

// Starts `binary -c config` with stderr appended to `log`, and waits (up to
// 5 s) for it to write its bound endpoint to `endpoint_file`.
bool Spawn(const std::string& binary, const std::filesystem::path& config, const std::filesystem::path& log,
           const std::filesystem::path& endpoint_file, Gateway& out) {
  std::string cfg = config.string();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("-c"), cfg.data(), nullptr};
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int rc = posix_spawn(&out.pid, binary.c_str(), &quiet, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&quiet);
  if (rc != 0) return false;
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(endpoint_file);
    if (in && std::getline(in, out.endpoint) && !out.endpoint.empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool StartGateway(const Args& a, const std::filesystem::path& dir, Gateway& g) {
  {
    std::ofstream cfg(dir / "gateway.toml");
    cfg << "[gateway]\nlisten = \"tcp://127.0.0.1:*\"\ndata_dir = \"" << (dir / "data").string()
        << "\"\ndisk_reserve_bytes = 0\n[delivery]\ndefault_quota = 100000000\n"
        << "[security]\n";
    if (a.secure()) {
      std::ofstream(dir / "server.curve.key") << "public_key = \"" << a.keys->server.public_z85
                                              << "\"\nsecret_key = \"" << a.keys->server.secret_z85 << "\"\n";
      cfg << "server_key_file = \"server.curve.key\"\n" << a.keys->registry.ToToml();
    } else {
      cfg << "insecure_plaintext_for_development = true\n"
          << "[[identity]]\nname = \"samr-console\"\nrole = \"regulator\"\ndepartment = \"SAMR\"\n"
          << "[[identity]]\nname = \"douyin\"\nrole = \"platform\"\n";
    }
  }
  return Spawn(a.gateway, dir / "gateway.toml", dir / "gateway.log", dir / "data" / "gateway.endpoint", g);
}

// CPU time (clock ticks) and context switches of each thread of a
// process, by thread name (threads of the same name summed).
struct ThreadUse {
  int64_t ticks = 0;
  int64_t switches = 0;
};
using ThreadCpu = std::map<std::string, ThreadUse>;

ThreadCpu ReadThreadCpu(pid_t pid) {
  ThreadCpu out;
  if (pid <= 0) return out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string name;
    if (!std::getline(std::ifstream(task.path() / "comm"), name)) continue;
    out[name].ticks += bench::CpuTicks(task.path() / "stat");
    out[name].switches += bench::ContextSwitches(task.path() / "status");
  }
  return out;
}

// CPU time of the whole process so far (all its threads), in microseconds.
double ProcessCpuUs() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

// What was used at one moment: the daemons by thread and the whole
// machine in clock ticks, and this process (the load: the regulator client,
// and the raw platform when there is one) in microseconds.
struct CpuSnapshot {
  ThreadCpu gateway, connector;
  double bench_us = 0;
  bench::MachineTicks machine;
};

CpuSnapshot ReadCpuSnapshot(pid_t gateway, pid_t connector) {
  return {ReadThreadCpu(gateway), ReadThreadCpu(connector), ProcessCpuUs(), bench::ReadMachineTicks()};
}

struct RunResult {
  // From just before the first submission to the last acknowledgement,
  // not counting the reading of the figures afterwards (the inbox's sink
  // times, and status queries that also keep the gateway busy).
  CpuSnapshot before, after;
  int64_t delivered = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // submit -> platform (raw: DELIVER read; connector: sink)
  std::vector<double> confirm_ms;  // submit -> CONFIRM read (the gateway's commit and answer)
  std::vector<double> ack_ms;      // connector: submit -> "accepted" recorded at the gateway
  std::vector<double> inbox_ms;    // connector: submit -> the link began storing it (inbox received_ms)
};

// Wall-clock microseconds: the connector's inbox records when its sink
// took each message (sink_ms) on the same machine's wall clock.
int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool StartConnector(const Args& a, const std::filesystem::path& dir, const std::string& gateway, Gateway& c) {
  {
    std::ofstream cfg(dir / "connector.toml");
    cfg << "[connector]\nidentity = \"douyin\"\ndurability = \"" << a.connector_durability << "\"\ndata_dir = \""
        << (dir / "connector").string() << "\"\n[gateway]\nendpoint = \"" << gateway << "\"\n";
    if (a.credit > 0) cfg << "credit_window = " << a.credit << "\n";
    cfg << "[sink]\ntype = \"discard\"\n[security]\n";
    if (a.secure()) {
      // Its CURVE pair and signing key (0600, as the connector insists),
      // the gateway's public key and a copy of the registry.
      const Args::Keys& k = *a.keys;
      Status files = crypto::WriteNewFile((dir / "douyin.curve.key").string(),
                                          "public_key = \"" + k.douyin.public_z85 + "\"\nsecret_key = \"" +
                                              k.douyin.secret_z85 + "\"\n",
                                          0600);
      if (files.ok()) files = crypto::WriteNewFile((dir / "douyin.sign.key").string(), k.douyin_signing_pem, 0600);
      if (files.ok()) files = crypto::WriteNewFile((dir / "identities.toml").string(), k.registry.ToToml(), 0644);
      if (!files.ok()) {
        std::fprintf(stderr, "e2e_bench: %s\n", files.ToString().c_str());
        return false;
      }
      cfg << "key_file = \"douyin.curve.key\"\nserver_key = \"" << k.server.public_z85
          << "\"\nsigning_key = \"douyin.sign.key\"\nregistry = \"identities.toml\"\n";
    } else {
      cfg << "insecure_plaintext_for_development = true\n";
    }
  }
  return Spawn(a.connector, dir / "connector.toml", dir / "connector.log", dir / "connector" / "connector.endpoint",
               c);
}

struct Stage {
  schema::DeliveryState state = schema::DeliveryState::QUEUED;
  int64_t queued_ms = 0;
  int64_t accepted_ms = 0;
};

// douyin's line of a message's status, asked on the regulator's socket.
std::optional<Stage> StatusOf(zmq::socket_t& reg, uint64_t n) {
  reg.send(zmq::buffer(Frame([&](schema::Frame::Builder f) {
             auto q = f.initQuery();
             q.setRequestTag(n);
             protocol::ToWire(MessageId{0xbe7c, n}, q.initMessageStatus());
           })),
           zmq::send_flags::none);
  for (;;) {
    auto f = Recv(reg, 5000);
    if (!f) return std::nullopt;
    if (f->get().which() != schema::Frame::QUERY_RESULT) continue;
    for (auto r : f->get().getQueryResult().getMessageStatus().getRecipients()) {
      return Stage{r.getState(), r.getQueuedMs(), r.getAcceptedMs()};
    }
    return std::nullopt;
  }
}

// Acknowledges each delivery as received and grants the credit back,
// without storing anything: the gateway's side alone. Like the connector,
// it answers what it has read in one go: one ACKS frame (single ACKs for a
// gateway that takes none) and one CREDIT.
void RawPlatform(const Args& a, zmq::context_t& ctx, const std::string& endpoint, uint64_t first, int64_t count,
                 const std::vector<Clock::time_point>& sent, std::vector<double>& latency, std::atomic<int64_t>& acked,
                 std::atomic<bool>& ready) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  if (a.secure()) Secure(a, s, a.keys->douyin);
  s.connect(endpoint);
  const uint32_t credit = a.credit > 0 ? static_cast<uint32_t>(a.credit) : 4096;
  s.send(zmq::buffer(Hello("douyin", schema::Role::PLATFORM, credit)), zmq::send_flags::none);
  struct Due {
    uint64_t tag, number;
    MessageId id;
  };
  std::vector<Due> due;
  uint32_t per_frame = 1;  // Ready.maxAcksPerFrame, at least 1
  auto answer = [&] {
    for (size_t from = 0; from < due.size(); from += per_frame) {
      const size_t n = std::min<size_t>(per_frame, due.size() - from);
      auto fill = [&](schema::Ack::Builder ack, const Due& d) {
        ack.setRequestTag(d.tag);
        ack.setDeliverySeq(d.number);
        protocol::ToWire(d.id, ack.initMessageId());
        ack.setStage(schema::AckStage::RECEIVED);
      };
      s.send(zmq::buffer(Frame([&](schema::Frame::Builder fb) {
               if (per_frame == 1) {
                 fill(fb.initAck(), due[from]);
                 return;
               }
               auto list = fb.initAcks().initAcks(static_cast<unsigned>(n));
               for (unsigned i = 0; i < n; ++i) fill(list[i], due[from + i]);
             })),
             zmq::send_flags::none);
    }
    if (!due.empty()) {
      const auto grant = static_cast<uint32_t>(due.size());
      s.send(zmq::buffer(Frame([&](schema::Frame::Builder fb) { fb.initCredit().setGrant(grant); })),
             zmq::send_flags::none);
    }
    due.clear();
  };
  while (acked < count) {
    // Waits for a frame, then takes whatever else is already there.
    auto f = Recv(s, due.empty() ? 10000 : 0);
    if (!f) {
      if (!due.empty()) {
        answer();
        continue;
      }
      break;
    }
    auto r = f->get();
    if (r.which() == schema::Frame::READY) {
      per_frame = std::clamp<uint32_t>(r.getReady().getMaxAcksPerFrame(), 1, 256);
      ready = true;
    }
    if (r.which() == schema::Frame::ACK_RECEIPT) acked++;
    if (r.which() == schema::Frame::ACK_RECEIPTS) acked += r.getAckReceipts().getReceipts().size();
    if (r.which() != schema::Frame::DELIVER) continue;
    auto d = r.getDeliver();
    uint64_t n = protocol::FromWire(d.getMessageId()).lo;
    if (n >= first && n < first + static_cast<uint64_t>(count) && latency[n - first] < 0) {
      latency[n - first] = std::chrono::duration<double, std::milli>(Clock::now() - sent[n - first]).count();
    }
    due.push_back({n, d.getDeliverySeq(), protocol::FromWire(d.getMessageId())});
    if (due.size() >= 256) answer();
  }
}

// --samples: one line per message of a run, in submission order, to see
// when the slow ones came (a p99 made of a few stalls looks different from
// one made of a slow machine): the submission's time from the run's first
// (ms), submit -> platform (the sink, or the raw platform's DELIVER) and
// submit -> inbox (ms; "-" where there is none). The file is named by
// security mode, run and round: plain-rate-1.tsv.
void WriteSamples(const Args& a, uint64_t first, int rate, const std::vector<Clock::time_point>& sent,
                  const std::vector<double>& latency, const std::vector<double>& inbox) {
  std::error_code ec;
  std::filesystem::create_directories(a.samples, ec);
  // Each round's ids start at round * 10^10 (main).
  const std::string name =
      a.security + (rate > 0 ? "-rate-" : "-full-") + std::to_string(first / 10'000'000'000ULL + 1) + ".tsv";
  const std::filesystem::path path = std::filesystem::path(a.samples) / name;
  std::ofstream out(path);
  out << "# submit_ms\tto_platform_ms\tto_inbox_ms\n";
  auto ms = [](double v) {
    char buf[32] = "-";
    if (v >= 0) std::snprintf(buf, sizeof buf, "%.3f", v);
    return std::string(buf);
  };
  for (size_t i = 0; i < sent.size(); ++i) {
    out << ms(std::chrono::duration<double, std::milli>(sent[i] - sent.front()).count()) << '\t' << ms(latency[i])
        << '\t' << ms(inbox[i]) << '\n';
  }
  if (!out) std::fprintf(stderr, "e2e_bench: could not write %s\n", path.c_str());
}

// Submits `count` messages (ids from `first`), paced at `rate` per second
// when rate > 0, and waits until the platform has them all.
RunResult Run(const Args& a, zmq::context_t& ctx, const std::string& endpoint, const std::filesystem::path& dir,
              uint64_t first, int64_t count, int rate, pid_t gateway_pid, pid_t connector_pid) {
  const bool raw = a.platform == "raw";
  std::vector<Clock::time_point> sent(static_cast<size_t>(count));
  std::vector<int64_t> sent_wall_us(static_cast<size_t>(count));
  std::vector<double> latency(static_cast<size_t>(count), -1);
  std::atomic<int64_t> acked{0};
  std::atomic<bool> platform_ready{!raw};
  std::thread platform;
  if (raw) {
    platform = std::thread([&] { RawPlatform(a, ctx, endpoint, first, count, sent, latency, acked, platform_ready); });
  }
  while (!platform_ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  zmq::socket_t reg(ctx, zmq::socket_type::dealer);
  reg.set(zmq::sockopt::linger, 0);
  if (a.secure()) Secure(a, reg, a.keys->samr);
  reg.connect(endpoint);
  reg.send(zmq::buffer(Hello("samr-console", schema::Role::REGULATOR, 0)), zmq::send_flags::none);
  Recv(reg, 5000);
  const std::string payload = DirectivePayload(a.payload);
  RunResult r;
  r.before = ReadCpuSnapshot(gateway_pid, connector_pid);
  auto start = Clock::now();
  int64_t confirmed = 0, submitted = 0, refused = 0;
  while (confirmed + refused < count) {
    while (submitted < count && submitted - confirmed - refused < a.window) {
      if (rate > 0) {
        auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * submitted / rate));
        if (Clock::now() < due) break;
      }
      sent[static_cast<size_t>(submitted)] = Clock::now();
      sent_wall_us[static_cast<size_t>(submitted)] = WallUs();
      reg.send(zmq::buffer(SubmitFrame(a, first + static_cast<uint64_t>(submitted), payload)), zmq::send_flags::none);
      submitted++;
    }
    auto f = Recv(reg, rate > 0 ? 1 : 1000);
    if (!f) continue;
    if (f->get().which() == schema::Frame::CONFIRM) {
      confirmed++;
      const uint64_t tag = f->get().getConfirm().getRequestTag();
      if (tag >= first && tag < first + static_cast<uint64_t>(count) && (tag - first) % 8 == 0) {
        r.confirm_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent[tag - first]).count());
      }
    }
    if (f->get().which() == schema::Frame::ERROR) refused++;
  }
  if (raw) {
    platform.join();
    r.delivered = acked;
  } else {
    // The connector works in delivery order: the last message accepted
    // means all are. Then the gateway's record gives each one's latency.
    const uint64_t last = first + static_cast<uint64_t>(count) - 1;
    for (;;) {
      std::optional<Stage> st = StatusOf(reg, last);
      if (st && st->state == schema::DeliveryState::ACCEPTED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    r.delivered = count;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.after = ReadCpuSnapshot(gateway_pid, connector_pid);
  std::vector<double> to_inbox(static_cast<size_t>(count), -1);
  if (!raw) {
    // Submit -> sink: the inbox's sink_ms (millisecond wall clock, taken as
    // the middle of its millisecond) against this process's wall clock at
    // submission. Submit -> accepted: the gateway's own record.
    Result<Database> inbox = Database::Open((dir / "connector" / "inbox.db").string());
    std::optional<Statement> sink_ms;
    if (inbox.ok()) {
      Result<Statement> st = inbox->Prepare("SELECT sink_ms, received_ms FROM inbox WHERE message_id = ?1");
      if (st.ok()) sink_ms.emplace(std::move(st).value());
    }
    // Every message's sink time is read (a local file, cheap), so that p99
    // rests on a hundredth of all of them; the gateway's record of the
    // acknowledgement costs a console query per message, so only about
    // 2,000 of those are asked for.
    const int64_t step = std::max<int64_t>(1, count / 2000);
    for (int64_t i = 0; i < count; ++i) {
      const uint64_t n = first + static_cast<uint64_t>(i);
      if (i % step == 0) {
        std::optional<Stage> st = StatusOf(reg, n);
        if (st && st->accepted_ms > 0) r.ack_ms.push_back(static_cast<double>(st->accepted_ms - st->queued_ms));
      }
      if (sink_ms) {
        auto key = MessageId{0xbe7c, n}.ToBytes();
        sink_ms->Reset();
        sink_ms->BindBlob(1, key.data(), key.size());
        Result<bool> row = sink_ms->Step();
        if (row.ok() && *row && sink_ms->ColumnInt64(0) > 0) {
          const double us = static_cast<double>(sink_ms->ColumnInt64(0)) * 1000.0 + 500.0 -
                            static_cast<double>(sent_wall_us[static_cast<size_t>(i)]);
          latency[static_cast<size_t>(i)] = std::max(0.0, us / 1000.0);
          const double in_us = static_cast<double>(sink_ms->ColumnInt64(1)) * 1000.0 + 500.0 -
                               static_cast<double>(sent_wall_us[static_cast<size_t>(i)]);
          to_inbox[static_cast<size_t>(i)] = std::max(0.0, in_us / 1000.0);
        }
        sink_ms->Reset();
      }
    }
    if (!sink_ms) std::printf("  (cannot read the connector's inbox: no submit->sink figures)\n");
  }
  if (!a.samples.empty()) WriteSamples(a, first, rate, sent, latency, to_inbox);
  for (double l : latency)
    if (l >= 0) r.latency_ms.push_back(l);
  for (double l : to_inbox)
    if (l >= 0) r.inbox_ms.push_back(l);
  std::sort(r.latency_ms.begin(), r.latency_ms.end());
  std::sort(r.ack_ms.begin(), r.ack_ms.end());
  std::sort(r.inbox_ms.begin(), r.inbox_ms.end());
  std::sort(r.confirm_ms.begin(), r.confirm_ms.end());
  if (refused > 0) std::printf("  (%lld submissions refused)\n", static_cast<long long>(refused));
  return r;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

// "gateway 55.1 us (regline-writer 35.0, ...)": what a process used
// between two readings, per message, its busiest threads first: CPU in
// microseconds (`field` ThreadUse::ticks) or context switches.
std::string PerMessage(const char* who, const ThreadCpu& before, const ThreadCpu& after, int64_t messages,
                       int64_t ThreadUse::*field) {
  const bool cpu = field == &ThreadUse::ticks;
  std::vector<std::pair<int64_t, std::string>> threads;
  int64_t total = 0;
  for (const auto& [name, use] : after) {
    auto was = before.find(name);
    const int64_t used = use.*field - (was == before.end() ? 0 : was->second.*field);
    total += used;
    if (used > 0) threads.push_back({used, name});
  }
  std::sort(threads.rbegin(), threads.rend());
  auto per = [&](int64_t n) {
    return (cpu ? bench::TicksToUs(n) : static_cast<double>(n)) / static_cast<double>(std::max<int64_t>(messages, 1));
  };
  const int digits = cpu ? 1 : 2;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %.*f%s (", who, digits, per(total), cpu ? " us" : "");
  std::string out = buf;
  for (size_t i = 0; i < threads.size() && i < 5; ++i) {
    std::snprintf(buf, sizeof buf, "%s%s %.*f", i ? ", " : "", threads[i].second.c_str(), digits,
                  per(threads[i].first));
    out += buf;
  }
  return out + ")";
}

// What a system call, a 4 KiB write to the page cache, a sync and a
// wake-up of another thread cost on this machine. Both daemons make
// several system calls, wake-ups and syncs per message, and their cost
// differs between VMs of one kind (a system call about 1 µs, a sync 65-145
// µs of CPU on the PVM guests of 2026-12-01, docs/performance.md), so the
// figures say as much about the machine as the throughput does. Takes
// about a second, before anything else runs.
void PrintMachine() {
  constexpr int kCalls = 200'000, kWrites = 50'000, kSyncs = 400, kWakeRounds = 20'000;
  auto start = Clock::now();
  for (int i = 0; i < kCalls; ++i) (void)syscall(SYS_getpid);
  const double call_ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kCalls;
  double write_ns = 0, sync_cpu_us = 0;
  std::vector<double> sync_ms;
  char path[] = "/var/tmp/regline-e2e-probe-XXXXXX";
  if (int fd = mkstemp(path); fd >= 0) {
    unlink(path);
    std::vector<char> page(4096, 'x');
    start = Clock::now();
    for (int i = 0; i < kWrites; ++i) (void)!pwrite(fd, page.data(), page.size(), (i % 256) * 4096);
    write_ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kWrites;
    // A page overwritten and synced, as a commit to a log that has started
    // over does, each after a pause of 0.2 ms (a daemon at 5,000 msg/s is
    // seldom busy when it syncs): the CPU this takes (the write-back, the
    // disk's doorbell, the interrupt, waking from the pause) and how long
    // the sync waits.
    (void)fdatasync(fd);
    const double cpu0 = ProcessCpuUs();
    for (int i = 0; i < kSyncs; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      (void)!pwrite(fd, page.data(), page.size(), (i % 256) * 4096);
      const auto t = Clock::now();
      (void)fdatasync(fd);
      sync_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    }
    sync_cpu_us = (ProcessCpuUs() - cpu0) / kSyncs;
    std::sort(sync_ms.begin(), sync_ms.end());
    close(fd);
  }
  // Two threads hand a token back and forth through eventfds: each round
  // is two wake-ups, each likely of a thread on the other core.
  double wake_cpu_us = 0, wake_wall_us = 0;
  const int there = eventfd(0, EFD_CLOEXEC), back = eventfd(0, EFD_CLOEXEC);
  if (there >= 0 && back >= 0) {
    std::thread peer([&] {
      uint64_t v;
      for (int i = 0; i < kWakeRounds; ++i) {
        (void)!read(there, &v, sizeof v);
        (void)!write(back, &v, sizeof v);
      }
    });
    const double cpu0 = ProcessCpuUs();
    start = Clock::now();
    uint64_t v = 1;
    for (int i = 0; i < kWakeRounds; ++i) {
      (void)!write(there, &v, sizeof v);
      (void)!read(back, &v, sizeof v);
    }
    wake_wall_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kWakeRounds / 2;
    wake_cpu_us = (ProcessCpuUs() - cpu0) / kWakeRounds / 2;
    peer.join();
  }
  if (there >= 0) close(there);
  if (back >= 0) close(back);
  std::printf("machine: a system call (getpid) takes %.2f us, a 4 KiB pwrite to the page cache %.2f us\n",
              call_ns / 1000, write_ns / 1000);
  std::printf(
      "machine: a 4 KiB write and fdatasync after a pause: p50 %.2f ms, p99 %.2f ms, %.0f us of CPU; "
      "a thread woken by another %.1f us apart, %.1f us of CPU\n",
      Percentile(sync_ms, 0.50), Percentile(sync_ms, 0.99), sync_cpu_us, wake_wall_us, wake_cpu_us);
}

void Print(const char* name, const RunResult& r, bool raw) {
  std::printf("%-14s %8lld messages in %6.2f s = %8.0f msg/s\n", name, static_cast<long long>(r.delivered), r.seconds,
              r.delivered / r.seconds);
  std::printf("%-14s submit->%-8s p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  (%zu sampled)\n", "",
              raw ? "deliver" : "sink", Percentile(r.latency_ms, 0.50), Percentile(r.latency_ms, 0.99),
              r.latency_ms.empty() ? 0 : r.latency_ms.back(), r.latency_ms.size());
  if (!r.confirm_ms.empty()) {
    std::printf("%-14s submit->confirm (the gateway's commit) p50 %.2f ms  p99 %.2f ms\n", "",
                Percentile(r.confirm_ms, 0.50), Percentile(r.confirm_ms, 0.99));
  }
  if (!raw && !r.inbox_ms.empty()) {
    std::printf("%-14s of which submit->inbox (the link starts storing it): p50 %.2f ms  p99 %.2f ms\n", "",
                Percentile(r.inbox_ms, 0.50), Percentile(r.inbox_ms, 0.99));
  }
  if (!raw) {
    std::printf("%-14s submit->accepted ack recorded at the gateway: p50 %.0f ms  p99 %.0f ms  max %.0f ms\n", "",
                Percentile(r.ack_ms, 0.50), Percentile(r.ack_ms, 0.99), r.ack_ms.empty() ? 0 : r.ack_ms.back());
  }
}

}  // namespace
}  // namespace regline

namespace regline {
namespace {

struct ModeRun {
  bool ok = false;
  double full_msgs_per_s = 0;  // 0: no full-speed run
  RunResult rate;              // empty: no rate run
};

// One gateway (and connector) for `a.security`, in a fresh directory; the
// runs --runs asks for, printed as they finish.
ModeRun RunMode(Args a, uint64_t base) {
  ModeRun out;
  if (a.secure()) a.keys = MakeKeys(a.security, DirectivePayload(a.payload));
  std::string tmpl = "/var/tmp/regline-e2e-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return out;
  std::filesystem::path dir = tmpl;
  {
    Gateway g;
    if (!StartGateway(a, dir, g)) {
      std::fprintf(stderr, "e2e_bench: the gateway did not start (%s)\n", a.gateway.c_str());
    } else {
      std::printf("e2e_bench: gateway %s, durability full, %zu B payloads, %u hardware threads, security %s\n",
                  g.endpoint.c_str(), a.payload, std::thread::hardware_concurrency(),
                  a.secure() ? ("CURVE + " + a.security + " signatures verified by the gateway" +
                                (a.platform == "raw" ? std::string() : std::string(" and the connector")))
                                   .c_str()
                             : "plain (development plaintext, unsigned)");
      Gateway connector;
      if (a.platform != "raw" && !StartConnector(a, dir, g.endpoint, connector)) {
        std::fprintf(stderr, "e2e_bench: the connector did not start (%s)\n", a.connector.c_str());
      } else {
        std::printf("platform: %s, credit window %s\n",
                    a.platform == "raw" ? "raw session in this process (acknowledges received, stores nothing)"
                    : a.connector_durability == "full"
                        ? "regline-connector, durable inbox (synchronous=FULL), discard sink"
                        : "regline-connector, inbox at synchronous=NORMAL (comparison only), "
                          "discard sink",
                    a.credit > 0          ? std::to_string(a.credit).c_str()
                    : a.platform == "raw" ? "4096"
                                          : "the connector's default");
        zmq::context_t ctx;
        const bool raw = a.platform == "raw";
        // Each run also prints the daemons' CPU per message, by thread,
        // read from /proc before and after it: it says which thread a
        // change made cheaper. At a fixed rate it repeats within a few per
        // cent; at full speed it moves with the batch sizes (a fifth
        // between runs of one binary on the 2026-12-01 VM). Then the
        // context switches per message, by thread (on VMs where a wake-up
        // is dear they explain most of the CPU at a fixed rate), and the
        // whole machine's busy share.
        auto run = [&](const char* name, uint64_t first, int64_t count, int rate) {
          RunResult r = Run(a, ctx, g.endpoint, dir, first, count, rate, g.pid, connector.pid);
          const ThreadCpu &gw0 = r.before.gateway, &gw1 = r.after.gateway;
          const ThreadCpu &cn0 = r.before.connector, &cn1 = r.after.connector;
          Print(name, r, raw);
          for (int64_t ThreadUse::*field : {&ThreadUse::ticks, &ThreadUse::switches}) {
            const std::string label =
                std::string(15, ' ') + (field == &ThreadUse::ticks ? "CPU" : "switches") + " per message: ";
            std::printf("%s%s", label.c_str(), PerMessage("gateway", gw0, gw1, r.delivered, field).c_str());
            if (!raw) {
              std::printf(",\n%s%s", std::string(label.size(), ' ').c_str(),
                          PerMessage("connector", cn0, cn1, r.delivered, field).c_str());
            }
            std::printf("\n");
          }
          // The whole machine: this process (the load), the kernel's
          // threads and interrupts, and anything else running share the
          // same cores.
          const int64_t busy = r.after.machine.busy - r.before.machine.busy;
          const int64_t all = r.after.machine.all - r.before.machine.all;
          if (all > 0 && r.delivered > 0) {
            const double n = static_cast<double>(r.delivered);
            std::printf("%-14s machine: %.0f %% of %ld cores busy, %.1f us of CPU per message in all (%s %.1f)\n", "",
                        100.0 * static_cast<double>(busy) / static_cast<double>(all), sysconf(_SC_NPROCESSORS_ONLN),
                        bench::TicksToUs(busy) / n,
                        raw ? "this bench's client and raw platform" : "this bench's client",
                        (r.after.bench_us - r.before.bench_us) / n);
          }
          return r;
        };
        if (a.runs != "rate") {
          RunResult r = run("full speed", base + 1, a.messages, 0);
          out.full_msgs_per_s = r.seconds > 0 ? static_cast<double>(r.delivered) / r.seconds : 0;
        }
        if (a.runs != "full") out.rate = run("offered rate", base + 1'000'000'000, int64_t{a.rate} * a.seconds, a.rate);
        out.ok = true;
      }
    }
  }
  if (a.keep) {
    std::printf("kept %s\n", dir.c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
  return out;
}

// The modes side by side: full-speed msg/s per round and its share of
// plain's (same round), and the rate run's latency.
void PrintComparison(const Args& a, const std::vector<std::vector<ModeRun>>& rounds) {
  const size_t plain = static_cast<size_t>(std::find(a.modes.begin(), a.modes.end(), "plain") - a.modes.begin());
  std::printf("\n%-8s", "security");
  if (a.runs != "rate") std::printf("  full speed msg/s per round (%% of plain in that round)");
  if (a.runs != "full")
    std::printf("  |  %d/s submit->%s p50/p99 ms", a.rate, a.platform == "raw" ? "deliver" : "sink");
  std::printf("\n");
  for (size_t m = 0; m < a.modes.size(); ++m) {
    std::printf("%-8s", a.modes[m].c_str());
    for (const auto& round : rounds) {
      const ModeRun& r = round[m];
      if (a.runs != "rate") {
        std::printf("  %8.0f", r.full_msgs_per_s);
        if (plain < a.modes.size() && m != plain && round[plain].full_msgs_per_s > 0) {
          std::printf(" (%3.0f %%)", 100.0 * r.full_msgs_per_s / round[plain].full_msgs_per_s);
        }
      }
      if (a.runs != "full") {
        std::printf("  |  %.2f / %.2f", Percentile(r.rate.latency_ms, 0.50), Percentile(r.rate.latency_ms, 0.99));
      }
    }
    std::printf("\n");
  }
}

}  // namespace
}  // namespace regline

int main(int argc, char** argv) {
  using namespace regline;
  signal(SIGPIPE, SIG_IGN);
  Args a = Parse(argc, argv);
  PrintMachine();
  std::vector<std::vector<ModeRun>> rounds;
  // Each round runs every mode once; each repetition uses ids of its own.
  for (int k = 0; k < a.repeat; ++k) {
    std::vector<ModeRun> round;
    for (const std::string& mode : a.modes) {
      Args one = a;
      one.security = mode;
      ModeRun r = RunMode(one, static_cast<uint64_t>(k) * 10'000'000'000ULL);
      if (!r.ok) return 1;
      round.push_back(std::move(r));
    }
    rounds.push_back(std::move(round));
  }
  if (a.modes.size() > 1) PrintComparison(a, rounds);
  return 0;
}
