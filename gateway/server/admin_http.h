// AdminHttp: the gateway's administrative HTTP endpoint (cpp-httplib, from
// Debian), on loopback by default ([admin] in the gateway configuration):
//
//   GET /healthz   200 "ok" while the process serves HTTP (no token)
//   GET /readyz    200 "ready" once the store is open and the listener
//                  bound and until shutdown begins, else 503 (no token)
//   GET /metrics   the Prometheus text exposition (metrics.h); needs
//                  "Authorization: Bearer TOKEN" (401 without, 403 with
//                  another)
//
// Threads: its own listener and worker threads; `ready` and `metrics` are
// called on them and must be thread-safe. Stop() joins.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "gateway/core/status.h"

namespace httplib {
class Server;
}

namespace regline::server {

struct AdminHttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;          // 0: one the OS picks
  std::string token;     // for /metrics
  std::string url_file;  // where the bound URL is written; empty: nowhere
};

class AdminHttp {
 public:
  AdminHttp(AdminHttpOptions options, std::function<bool()> ready, std::function<Result<std::string>()> metrics);
  ~AdminHttp();
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;

  // Binds, writes url_file and serves; kIOError when it cannot.
  Status Start();
  void Stop();
  const std::string& url() const { return url_; }

 private:
  const AdminHttpOptions options_;
  std::function<bool()> ready_;
  std::function<Result<std::string>()> metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::string url_;
  std::thread thread_;
};

}  // namespace regline::server
