// Test helpers for the connector's end-to-end suites: a real
// regline-connector process (spool sink by default) beside a real
// regline-gateway (gateway_process.h), both on 127.0.0.1 with ports the OS
// picks, plus waiting and spool-reading helpers. Never used by the daemons.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/core/test_util.h"
#include "tests/e2e/gateway_process.h"

namespace regline::testing {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The message files in a spool directory (names not starting with a dot),
// sorted, i.e. in delivery order.
inline std::vector<std::string> SpoolFiles(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!name.empty() && name[0] != '.' && name.ends_with(".json")) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Rewrites the gateway's config so that a restart listens on the endpoint
// it has now (tcp://127.0.0.1:* would pick a new port).
inline void PinGatewayEndpoint(const std::filesystem::path& gateway_dir, const std::string& endpoint) {
  std::string text = ReadFile(gateway_dir / "gateway.toml");
  const std::string any = "listen = \"tcp://127.0.0.1:*\"";
  text.replace(text.find(any), any.size(), "listen = \"" + endpoint + "\"");
  std::ofstream(gateway_dir / "gateway.toml", std::ios::trunc) << text;
}

inline std::string SpoolSinkToml(const std::filesystem::path& spool) {
  return "type = \"spool\"\ndirectory = \"" + spool.string() + "\"\nretry_min_ms = 100\nretry_max_ms = 1000\n";
}

// A plain client session as `identity` in `role` on `endpoint` (a
// gateway's, or a connector's local one), granting `credit`; nullptr, with
// the test failed, when it cannot connect.
inline std::unique_ptr<protocol::Client> TestClient(zmq::context_t& ctx, const std::string& endpoint,
                                                    const std::string& identity, schema::Role role,
                                                    uint32_t credit = 0) {
  protocol::ClientOptions o;
  o.endpoint = endpoint;
  o.identity = identity;
  o.role = role;
  o.initial_credit = credit;
  o.timeout_ms = 10'000;
  o.client_name = "regline-e2e-test";
  Result<std::unique_ptr<protocol::Client>> c = protocol::Client::Connect(ctx, o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

// A platform tool ("douyin") on a connector's local endpoint (plain,
// loopback).
inline std::unique_ptr<protocol::Client> PlatformTool(zmq::context_t& ctx, const std::string& endpoint) {
  return TestClient(ctx, endpoint, "douyin", schema::Role::PLATFORM);
}

class ConnectorProcess {
 public:
  // Writes <dir>/connector.toml for identity "douyin" with the given
  // [sink] table body (a spool in <dir>/spool by default) and [security]
  // table body (development plaintext by default; relative paths in it
  // count from <dir>).
  ConnectorProcess(std::string binary, std::filesystem::path dir, const std::string& gateway_endpoint,
                   std::string sink_toml = "",
                   const std::string& security_toml = "insecure_plaintext_for_development = true\n")
      : binary_(std::move(binary)), dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    if (sink_toml.empty()) sink_toml = SpoolSinkToml(spool_dir());
    std::ofstream cfg(config_path());
    cfg << "[connector]\nidentity = \"douyin\"\ndata_dir = \"" << data_dir().string()
        << "\"\nlocal_endpoint = \"tcp://127.0.0.1:*\"\n"
        << "[gateway]\nendpoint = \"" << gateway_endpoint
        << "\"\ncredit_window = 64\nrequest_timeout_ms = 2000\nheartbeat_interval_ms = 1000\n"
        << "reconnect_min_ms = 50\nreconnect_max_ms = 500\n"
        << "[sink]\n"
        << sink_toml << "\n[security]\n"
        << security_toml;
  }
  ~ConnectorProcess() { Kill(SIGKILL); }
  ConnectorProcess(const ConnectorProcess&) = delete;
  ConnectorProcess& operator=(const ConnectorProcess&) = delete;

  std::filesystem::path config_path() const { return dir_ / "connector.toml"; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::filesystem::path spool_dir() const { return dir_ / "spool"; }

  // Variables ("NAME=value") added to the environment of every later
  // Start(), ahead of this process's own.
  void SetEnv(std::vector<std::string> env) { extra_env_ = std::move(env); }

  // Starts the process; true once it has written a fresh endpoint file.
  bool Start() {
    std::filesystem::remove(data_dir() / "connector.endpoint");
    std::string config = config_path().string();
    std::string log = (dir_ / "connector.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> argv = {binary_.data(), const_cast<char*>("-c"), config.data(), nullptr};
    std::vector<char*> env = SpawnEnvironment(extra_env_);
    int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in(data_dir() / "connector.endpoint");
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

  // Still running; reaps it when it has exited.
  bool Running() {
    if (pid_ <= 0) return false;
    if (waitpid(pid_, nullptr, WNOHANG) == 0) return true;
    pid_ = -1;
    return false;
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

  // The local endpoint (for the platform's tools).
  const std::string& endpoint() const { return endpoint_; }
  std::string Log() const { return ReadFile(dir_ / "connector.log"); }
  // Times `event=NAME` appears in the log.
  int LogCount(const std::string& event) const {
    const std::string log = Log();
    const std::string key = "event=" + event;
    int n = 0;
    for (size_t at = log.find(key); at != std::string::npos; at = log.find(key, at + 1)) {
      char next = at + key.size() < log.size() ? log[at + key.size()] : '\n';
      if (next == ' ' || next == '\n') ++n;
    }
    return n;
  }

 private:
  std::string binary_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::string endpoint_;
  std::vector<std::string> extra_env_;
};

}  // namespace regline::testing
