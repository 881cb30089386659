// HttpApi: the connector's local HTTP API, for platform systems that speak
// HTTP rather than the session protocol (the ZeroMQ local endpoint stays).
// Served by cpp-httplib (Debian's libcpp-httplib-dev); plain HTTP, on
// loopback by default. The API is specified in connectors/README.md, "The
// local HTTP API":
//
//   POST /v1/submissions      an upstream report (complaintStatistics,
//                             complianceAttestation, taxAssistanceResponse)
//                             as JSON in the schema's JSON mapping; 202 with
//                             the message id once it is durable in the
//                             outbox (the link then sends it on).
//   POST /v1/acknowledgements a stage (accepted, completed, rejected) for a
//                             received message; 202 once recorded.
//   GET  /v1/messages         what the connector received, with where each
//                             stands (?after=DELIVERY_SEQ&limit=N).
//
// Every request needs "Authorization: Bearer TOKEN" (401 without one, 403
// with another). Bad input is 400 with a JSON body naming the field; a
// body over max_body_bytes is 413.
//
// Threads: cpp-httplib's listener thread and its worker pool; the inbox and
// outbox are safe from any thread. Stop() stops listening, lets requests
// in progress finish, and joins.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "connectors/inbox.h"
#include "connectors/link_health.h"
#include "connectors/outbox.h"
#include "gateway/core/clock.h"
#include "gateway/identity/signature_check.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace regline::connector {

struct HttpApiOptions {
  std::string host = "127.0.0.1";  // an IP address to listen on
  int port = 0;                    // 0: one the OS picks
  std::string token;               // the bearer token every request needs
  std::string identity;            // the platform: the sender of every submission
  size_t max_body_bytes = 1u << 20;
  std::string url_file;  // where the bound URL ("http://127.0.0.1:PORT") is written
  // Signs each submission (nullptr: unsigned, development mode). Must
  // outlive the API.
  const identity::Signer* signer = nullptr;
  // The gateway link's state, for GET /v1/health (nullptr: not reported).
  std::function<LinkHealth()> link_health;
};

class HttpApi {
 public:
  HttpApi(HttpApiOptions options, Inbox& inbox, Outbox& outbox, std::function<void()> on_upstream, const Clock& clock);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds, writes url_file and starts serving; kIOError when the address
  // cannot be bound or the file written.
  Status Start();
  void Stop();
  const std::string& url() const { return url_; }

 private:
  // Whether the request carries the token; answers 401 or 403 when not.
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;
  void Submit(const httplib::Request& req, httplib::Response& res);
  void Acknowledge(const httplib::Request& req, httplib::Response& res);
  void ListMessages(const httplib::Request& req, httplib::Response& res);
  // GET /v1/health: 200 while both stores take changes, 503 naming the one
  // fenced after a failed sync, or the inbox while the link waits for it to
  // take writes again (a full disk); says whether a session with the
  // gateway is up (connectors/README.md, "A failing disk").
  void Health(httplib::Response& res);

  const HttpApiOptions options_;
  Inbox& inbox_;
  Outbox& outbox_;
  std::function<void()> on_upstream_;
  const Clock& clock_;
  std::unique_ptr<httplib::Server> server_;
  std::string url_;
  std::thread thread_;
};

}  // namespace regline::connector
