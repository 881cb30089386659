#include "gateway/server/admin_http.h"

#include "gateway/core/http_serving.h"

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
    const BearerCheck check = CheckBearer(req, options_.token);
    if (check == BearerCheck::kMissing) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer realm=\"regline-gateway\"");
      res.set_content("an Authorization: Bearer token is required\n", "text/plain; charset=utf-8");
      return;
    }
    if (check == BearerCheck::kWrong) {
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
  Result<std::string> url = BindAndPublish(*server_, options_.host, options_.port, options_.url_file, "[admin]");
  if (!url.ok()) return url.status();
  url_ = std::move(url).value();
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void AdminHttp::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace regline::server
