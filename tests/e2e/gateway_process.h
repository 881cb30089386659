// Test helpers: a real regline-gateway process on 127.0.0.1 with a port the
// OS picks, and a raw DEALER peer that speaks frames byte for byte. Used by
// the end-to-end suites; never by the daemons.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "gateway/protocol/client.h"
#include "gateway/protocol/frames.h"

extern char** environ;

namespace regline::testing {

// Polls `done` every 20 ms for up to `timeout_ms`; true once it holds.
inline bool WaitFor(const std::function<bool()>& done, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// The identities every end-to-end test config registers.
inline constexpr const char* kTestIdentities = R"toml(
[[identity]]
name = "samr-console"
role = "regulator"
department = "SAMR"

[[identity]]
name = "douyin"
role = "platform"

[[identity]]
name = "kuaishou"
role = "platform"

[[identity]]
name = "example-mcn"
role = "mcn-agency"
)toml";

// The environment for posix_spawn: `extra` ("NAME=value") first, then this
// process's own (getenv takes the first of a name); null-terminated. The
// pointers are into `extra` and environ.
inline std::vector<char*> SpawnEnvironment(std::vector<std::string>& extra) {
  std::vector<char*> env;
  for (std::string& e : extra) env.push_back(e.data());
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  env.push_back(nullptr);
  return env;
}

// The variables that load the fault injector built from fail_sync_shim.c
// (at `shim`) into a daemon: every fdatasync of a SQLite log fails with EIO
// while `trigger` exists. The ASan build's runtime would refuse a library
// loaded ahead of it unless told not to check.
inline std::vector<std::string> FailSyncEnv(const std::string& shim, const std::filesystem::path& trigger) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  return {"LD_PRELOAD=" + shim, "REGLINE_TEST_FAIL_SYNC=" + trigger.string(),
          std::string("ASAN_OPTIONS=") + (asan != nullptr ? std::string(asan) + ":" : "") + "verify_asan_link_order=0"};
}

class GatewayProcess {
 public:
  // Writes <dir>/gateway.toml (with extra lines for its [gateway] and
  // [delivery] tables); Start() runs the binary on it.
  // `security` is the body of the [security] table (development plaintext
  // unless given); `identities` the inline [[identity]] tables (none when
  // the security table names a registry file).
  GatewayProcess(std::string binary, std::filesystem::path dir, std::string gateway_extra = "",
                 std::string delivery_extra = "",
                 std::string security = "insecure_plaintext_for_development = true\n",
                 std::string identities = kTestIdentities)
      : binary_(std::move(binary)), dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);  // the config is written into it
    std::ofstream cfg(dir_ / "gateway.toml");
    cfg << "[gateway]\nlisten = \"tcp://127.0.0.1:*\"\ndata_dir = \"" << (dir_ / "data").string()
        << "\"\nheartbeat_interval_ms = 1000\ndisk_reserve_bytes = 1048576\n"
        << gateway_extra << "\n[delivery]\nlease_ms = 5000\n"
        << delivery_extra << "\n[security]\n"
        << security << "\n"
        << identities;
  }
  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  // Environment variables ("NAME=value") for the next Start(), ahead of
  // this process's own (they win where both set a name).
  void SetEnv(std::vector<std::string> env) { extra_env_ = std::move(env); }
  ~GatewayProcess() { Kill(SIGKILL); }

  // Starts the process; true once it has written a fresh endpoint file.
  bool Start() {
    std::filesystem::remove(dir_ / "data" / "gateway.endpoint");
    std::string config = (dir_ / "gateway.toml").string();
    std::string log = (dir_ / "gateway.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> argv = {binary_.data(), const_cast<char*>("-c"), config.data(), nullptr};
    std::vector<char*> env = SpawnEnvironment(extra_env_);
    int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    for (int i = 0; i < 1000; ++i) {  // up to 10 s on a loaded machine
      std::ifstream in(dir_ / "data" / "gateway.endpoint");
      std::string line;
      if (in && std::getline(in, line) && !line.empty()) {
        endpoint_ = line;
        return true;
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // A session with this gateway as `name` (plaintext, as the default
  // [security] table runs it); nullptr, with the failure and the gateway's
  // log reported, when it cannot connect. Needs regline_client.
  std::unique_ptr<protocol::Client> Connect(zmq::context_t& ctx, const std::string& name, schema::Role role,
                                            uint32_t credit = 0) {
    protocol::ClientOptions o;
    o.endpoint = endpoint_;
    o.identity = name;
    o.role = role;
    o.initial_credit = credit;
    Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx, o);
    EXPECT_TRUE(c.ok()) << name << ": " << c.status().ToString() << "\n" << Log();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // Sends `sig` and reaps; returns the wait status (-1 when not running).
  int Kill(int sig) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  // Sends `sig` without waiting (SIGHUP: reload the policy).
  void Signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }

  const std::string& endpoint() const { return endpoint_; }
  std::string Log() const {
    std::ifstream in(dir_ / "gateway.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string binary_;
  std::filesystem::path dir_;
  std::vector<std::string> extra_env_;
  pid_t pid_ = -1;
  std::string endpoint_;
};

// A DEALER connected to the gateway that sends and receives whole frames.
class RawPeer {
 public:
  RawPeer(zmq::context_t& ctx, const std::string& endpoint) : socket_(ctx, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }

  void SendBytes(const std::string& bytes) { socket_.send(zmq::buffer(bytes), zmq::send_flags::none); }

  // The next frame within `timeout_ms`, skipping heartbeats.
  std::optional<protocol::DecodedFrame> Next(int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t msg;
      (void)socket_.recv(msg, zmq::recv_flags::none);
      Result<protocol::DecodedFrame> f = protocol::DecodedFrame::Parse(msg.to_string(), 1 << 26);
      if (!f.ok()) return std::nullopt;
      if (f->get().which() == schema::Frame::HEARTBEAT) continue;
      return std::move(f).value();
    }
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

}  // namespace regline::testing
