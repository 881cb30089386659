// Test helpers for the webhook sink: certificates made with the openssl
// command line, and a real HTTPS server (cpp-httplib over OpenSSL) on
// 127.0.0.1 that records each request and checks its HMAC signature.
// Never used by the daemons.
#pragma once

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/connector_process.h"

namespace regline::testing {

// A certificate authority, a server certificate for 127.0.0.1 it issued,
// a client certificate it issued, and a second, unrelated authority.
struct TestPki {
  std::filesystem::path dir;
  std::filesystem::path ca() const { return dir / "ca.crt"; }
  std::filesystem::path other_ca() const { return dir / "other-ca.crt"; }
  std::filesystem::path server_cert() const { return dir / "server.crt"; }
  std::filesystem::path server_key() const { return dir / "server.key"; }
  std::filesystem::path client_cert() const { return dir / "client.crt"; }
  std::filesystem::path client_key() const { return dir / "client.key"; }

  // Runs the openssl commands; false (with `error` set) when one fails.
  bool Make(std::string& error) {
    std::filesystem::create_directories(dir);
    auto run = [&](std::vector<std::string> argv) {
      argv[0] = "/usr/bin/openssl";  // Debian's openssl package (scripts/setup.sh installs it)
      if (RunToCompletion(argv, dir / "openssl.log") == 0) return true;
      error = "openssl " + argv[1] + " failed: " + ReadFile(dir / "openssl.log");
      return false;
    };
    auto p = [&](const char* name) { return (dir / name).string(); };
    std::ofstream(dir / "server.ext") << "subjectAltName = IP:127.0.0.1, DNS:localhost\n";
    std::ofstream(dir / "client.ext") << "extendedKeyUsage = clientAuth\n";
    auto authority = [&](const char* key, const char* cert, const char* cn) {
      return run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", p(key), "-out", p(cert), "-days", "2", "-subj", std::string("/CN=") + cn});
    };
    auto issue = [&](const char* key, const char* csr, const char* cert, const char* ext, const char* cn) {
      return run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                  p(key), "-out", p(csr), "-subj", std::string("/CN=") + cn}) &&
             run({"openssl", "x509", "-req", "-in", p(csr), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
                  "-CAcreateserial", "-out", p(cert), "-days", "2", "-extfile", p(ext)});
    };
    return authority("ca.key", "ca.crt", "Regline Test CA") &&
           authority("other-ca.key", "other-ca.crt", "Unrelated CA") &&
           issue("server.key", "server.csr", "server.crt", "server.ext", "127.0.0.1") &&
           issue("client.key", "client.csr", "client.crt", "client.ext", "douyin-connector");
  }
};

// One request the server received.
struct ReceivedPost {
  std::string idempotency_key;
  std::string kind;
  int attempt = 0;
  std::string body;
  bool signature_ok = false;
  int status = 0;  // what the handler answered
  std::chrono::steady_clock::time_point at;
};

// An HTTPS server on 127.0.0.1. `respond` decides each answer (default:
// 200 with an empty body); every request is recorded first.
class WebhookTestServer {
 public:
  using Responder = std::function<void(const ReceivedPost& post, int nth_for_id, httplib::Response& res)>;

  WebhookTestServer(const TestPki& pki, std::string secret, bool require_client_cert = false)
      : secret_(std::move(secret)),
        server_(pki.server_cert().c_str(), pki.server_key().c_str(), require_client_cert ? pki.ca().c_str() : nullptr) {
    server_.Post("/regline", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
  }
  ~WebhookTestServer() { Stop(); }

  void Respond(Responder r) {
    std::lock_guard lock(mu_);
    respond_ = std::move(r);
  }

  // Listens on `port` (0: one the OS picks); true once listening.
  bool Start(int port = 0) {
    if (!server_.is_valid()) return false;
    port_ = port == 0 ? server_.bind_to_any_port("127.0.0.1") : (server_.bind_to_port("127.0.0.1", port) ? port : -1);
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return WaitFor([this] { return server_.is_running(); }, 5000);
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/regline"; }

  std::vector<ReceivedPost> Posts() const {
    std::lock_guard lock(mu_);
    return posts_;
  }
  // Requests for `id` answered 2xx.
  int Accepted(const std::string& id) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& p : posts_) n += p.idempotency_key == id && p.status >= 200 && p.status < 300;
    return n;
  }

 private:
  static std::string Hmac(const std::string& key, const std::string& text) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
         text.size(), mac, &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "v1=";
    for (unsigned i = 0; i < len; ++i) {
      out += kHex[mac[i] >> 4];
      out += kHex[mac[i] & 15];
    }
    return out;
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    ReceivedPost post;
    post.idempotency_key = req.get_header_value("Idempotency-Key");
    post.kind = req.get_header_value("X-Regline-Kind");
    post.attempt = std::atoi(req.get_header_value("X-Regline-Attempt").c_str());
    post.body = req.body;
    post.at = std::chrono::steady_clock::now();
    // The platform's check, as connectors/README.md describes it.
    post.signature_ok = req.get_header_value("X-Regline-Signature") ==
                        Hmac(secret_, req.get_header_value("X-Regline-Timestamp") + "." + req.body);
    Responder respond;
    int nth = 0;
    {
      std::lock_guard lock(mu_);
      respond = respond_;
      for (const auto& p : posts_) nth += p.idempotency_key == post.idempotency_key;
    }
    res.status = 200;
    if (respond) respond(post, nth + 1, res);
    post.status = res.status;
    std::lock_guard lock(mu_);
    posts_.push_back(std::move(post));
  }

  std::string secret_;
  httplib::SSLServer server_;
  int port_ = -1;
  std::thread thread_;
  mutable std::mutex mu_;
  Responder respond_;
  std::vector<ReceivedPost> posts_;
};

}  // namespace regline::testing
