#include "gateway/server/admin_http.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <cstdio>
#include <fstream>

namespace regline::server {

AdminHttp::AdminHttp(AdminHttpOptions options, std::function<bool()> ready,
                     std::function<Result<std::string>()> metrics)
    : options_(std::move(options)),
      ready_(std::move(ready)),
      metrics_(std::move(metrics)),
      server_(std::make_unique<httplib::Server>()) {}

AdminHttp::~AdminHttp() { Stop(); }

Status AdminHttp::Start() {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = ready_();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", "text/plain; charset=utf-8");
  });
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string header = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (header.rfind(kBearer, 0) != 0) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer realm=\"regline-gateway\"");
      res.set_content("an Authorization: Bearer token is required\n", "text/plain; charset=utf-8");
      return;
    }
    const std::string_view given = std::string_view(header).substr(kBearer.size());
    if (given.size() != options_.token.size() ||
        CRYPTO_memcmp(given.data(), options_.token.data(), given.size()) != 0) {
      res.status = 403;
      res.set_content("the bearer token is not the gateway's [admin] token\n", "text/plain; charset=utf-8");
      return;
    }
    Result<std::string> text = metrics_();
    if (!text.ok()) {
      res.status = 503;
      res.set_content("metrics unavailable: " + text.status().ToString() + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_content(*text, "text/plain; version=0.0.4; charset=utf-8");
  });
  const int port = options_.port == 0 ? server_->bind_to_any_port(options_.host)
                                      : (server_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port <= 0) return IOError("[admin] cannot listen on " + options_.host + ":" + std::to_string(options_.port));
  url_ = "http://" + options_.host + ":" + std::to_string(port);
  if (!options_.url_file.empty()) {
    const std::string tmp = options_.url_file + ".tmp";
    std::ofstream out(tmp, std::ios::trunc);
    out << url_ << "\n";
    out.close();
    if (!out || std::rename(tmp.c_str(), options_.url_file.c_str()) != 0) {
      return IOError("[admin] cannot write " + options_.url_file);
    }
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void AdminHttp::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace regline::server
