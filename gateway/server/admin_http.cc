#include "gateway/server/admin_http.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "gateway/core/http_serving.h"
#include "gateway/server/console_assets.h"

namespace regline::server {
namespace {

constexpr const char* kText = "text/plain; charset=utf-8";

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

// A console file name: letters, digits, '-', '_' and one '.', nothing that
// could leave the directory.
bool PlainFileName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return name.find("..") == std::string::npos;
}

}  // namespace

AdminHttp::AdminHttp(AdminHttpOptions options, std::function<bool()> ready,
                     std::function<Result<std::string>()> metrics, std::function<ApiResponse(const ApiRequest&)> api)
    : options_(std::move(options)),
      ready_(std::move(ready)),
      metrics_(std::move(metrics)),
      api_(std::move(api)),
      server_(std::make_unique<httplib::Server>()) {}

AdminHttp::~AdminHttp() { Stop(); }

bool AdminHttp::Authorized(const httplib::Request& req, httplib::Response& res) const {
  const BearerCheck check = CheckBearer(req, options_.token);
  if (check == BearerCheck::kMissing) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"regline-gateway\"");
    res.set_content("an Authorization: Bearer token is required\n", kText);
    return false;
  }
  if (check == BearerCheck::kWrong) {
    res.status = 403;
    res.set_content("the bearer token is not the gateway's [admin] token\n", kText);
    return false;
  }
  return true;
}

void AdminHttp::ServeConsoleFile(const std::string& name, httplib::Response& res) const {
  res.set_header("Cache-Control", "no-cache");
  if (PlainFileName(name)) {
    if (!options_.console_dir.empty()) {
      std::ifstream in(options_.console_dir + "/" + name, std::ios::binary);
      if (in) {
        std::ostringstream bytes;
        bytes << in.rdbuf();
        res.set_content(bytes.str(), std::string(ContentTypeOf(name)));
        return;
      }
    } else {
      for (const ConsoleAsset& a : EmbeddedConsoleAssets()) {
        if (a.name == name) {
          res.set_content(std::string(a.bytes), std::string(ContentTypeOf(name)));
          return;
        }
      }
    }
  }
  res.status = 404;
  res.set_content("no console file '" + name + "'\n", kText);
}

Status AdminHttp::Start() {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", kText); });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = ready_();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", kText);
  });
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    Result<std::string> text = metrics_();
    if (!text.ok()) {
      res.status = 503;
      res.set_content("metrics unavailable: " + text.status().ToString() + "\n", kText);
      return;
    }
    res.set_content(*text, "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/console/"); });
  server_->Get("/console/",
               [this](const httplib::Request&, httplib::Response& res) { ServeConsoleFile("index.html", res); });
  server_->Get(R"(/console/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    ServeConsoleFile(req.matches[1].str(), res);
  });
  auto api = [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    ApiRequest call{req.method, req.matches[1].str(), {}};
    for (const auto& [k, v] : req.params) call.params[k] = v;
    ApiResponse answer = api_(call);
    res.status = answer.status;
    res.set_header("Cache-Control", "no-store");
    if (!answer.allow.empty()) res.set_header("Allow", answer.allow);
    res.set_content(answer.json, "application/json; charset=utf-8");
  };
  server_->Get(R"(/api/v1(/.*))", api);
  server_->Post(R"(/api/v1(/.*))", api);
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
