// AdminHttp: the gateway's administrative HTTP endpoint (cpp-httplib, from
// Debian), on loopback by default ([admin] in the gateway configuration):
//
//   GET /healthz   200 "ok" while the process serves HTTP (no token)
//   GET /readyz    200 "ready" once the store is open and the listener
//                  bound and until shutdown begins, else 503 (no token)
//   GET /metrics   the Prometheus text exposition (metrics.h); needs
//                  "Authorization: Bearer TOKEN" (401 without, 403 with
//                  another)
//   /api/v1/...    the web console's JSON API (console_api.h,
//                  docs/console.md); the same token
//   GET /, /console/FILE
//                  the web console's page and files (no token: the page
//                  asks for it), built in or from console_dir
//
// Threads: its own listener and worker threads; `ready`, `metrics` and
// `api` are called on them and must be thread-safe. Stop() joins.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "gateway/core/status.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}

namespace regline::server {

struct AdminHttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;             // 0: one the OS picks
  std::string token;        // for /metrics and /api/v1
  std::string url_file;     // where the bound URL is written; empty: nowhere
  std::string console_dir;  // serve the console's files from here; empty: the built-in copy
};

// One call of the JSON API, as the transport hands it over: the path
// after "/api/v1" (e.g. "/messages") and the query parameters.
struct ApiRequest {
  std::string method;  // "GET", "POST"
  std::string path;
  std::map<std::string, std::string> params;
};

struct ApiResponse {
  int status = 200;
  std::string json;   // the body (application/json)
  std::string allow;  // a 405's Allow header: the methods the path takes ("GET")
};

class AdminHttp {
 public:
  AdminHttp(AdminHttpOptions options, std::function<bool()> ready, std::function<Result<std::string>()> metrics,
            std::function<ApiResponse(const ApiRequest&)> api);
  ~AdminHttp();
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;

  // Binds, writes url_file and serves; kIOError when it cannot.
  Status Start();
  void Stop();
  const std::string& url() const { return url_; }

 private:
  // Whether `req` carries the token; if not, fills `res` (401 or 403).
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;
  // The console file `name` into `res` (404 when there is none).
  void ServeConsoleFile(const std::string& name, httplib::Response& res) const;

  const AdminHttpOptions options_;
  std::function<bool()> ready_;
  std::function<Result<std::string>()> metrics_;
  std::function<ApiResponse(const ApiRequest&)> api_;
  std::unique_ptr<httplib::Server> server_;
  std::string url_;
  std::thread thread_;
};

}  // namespace regline::server
