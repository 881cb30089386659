// Test helper: headless Chromium driven through chromedriver's W3C
// WebDriver HTTP API (libcurl + nlohmann::json), for the web console's
// browser test. chromedriver runs as a child process on a loopback port
// picked here and is killed, by its pid, when the driver goes.
//
// Every call is bounded: each HTTP request by a timeout, each wait by its
// deadline. Failures are returned as Status (kUnavailable: chromedriver or
// the browser did not answer; kNotFound: no element matched).
#pragma once

#include <curl/curl.h>
#include <kj/encoding.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/core/test_util.h"

extern char** environ;

namespace regline::testing {

class WebDriver {
 public:
  using json = nlohmann::json;

  WebDriver() : curl_(curl_easy_init()) {}
  ~WebDriver() {
    if (!session_.empty()) (void)Call("DELETE", "/session/" + session_, json());
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 50 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;

  // Runs `chromedriver` (its log in `log_file`) and opens a session of
  // headless `browser` with a fresh profile in `profile_dir`.
  Status Start(const std::string& chromedriver, const std::string& browser, const std::string& profile_dir,
               const std::string& log_file) {
    if (!std::filesystem::exists(chromedriver)) return NotFound(chromedriver + " is not installed (scripts/setup.sh)");
    if (!std::filesystem::exists(browser)) return NotFound(browser + " is not installed (scripts/setup.sh)");
    for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) {
      const int port = FreeLoopbackPort();
      if (port <= 0) return IOError("no free port for chromedriver");
      std::string port_arg = "--port=" + std::to_string(port);
      std::string log_arg = "--log-path=" + log_file;
      std::vector<char*> argv = {const_cast<char*>(chromedriver.c_str()), port_arg.data(), log_arg.data(), nullptr};
      pid_t pid = -1;
      if (posix_spawn(&pid, chromedriver.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
        return IOError("cannot run " + chromedriver);
      }
      pid_ = pid;
      base_ = "http://127.0.0.1:" + std::to_string(port);
      if (WaitUntil(
              [&] {
                Result<json> s = Call("GET", "/status", json(), 2);
                return s.ok() && s->value("ready", false);
              },
              15'000)) {
        break;
      }
      // Not up (the port may have been taken meanwhile): try another.
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    if (pid_ <= 0) return Unavailable("chromedriver did not become ready; see " + log_file);
    json args =
        json::array({"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1400,1800", "--lang=zh-CN", "--user-data-dir=" + profile_dir});
    json caps = {{"capabilities",
                  {{"alwaysMatch",
                    {{"browserName", "chrome"},
                     {"pageLoadStrategy", "normal"},
                     {"timeouts", {{"pageLoad", 30'000}, {"script", 10'000}, {"implicit", 0}}},
                     {"goog:chromeOptions", {{"binary", browser}, {"args", args}}}}}}}};
    Result<json> session = Call("POST", "/session", caps, 60);
    if (!session.ok()) return session.status().WithContext("new WebDriver session");
    session_ = (*session)["sessionId"].get<std::string>();
    return Status::Ok();
  }

  Status Navigate(const std::string& url) { return Call("POST", Path("/url"), {{"url", url}}, 40).status(); }

  // The first element matching `css`; kNotFound when none does.
  Result<std::string> Find(const std::string& css) {
    Result<json> e = Call("POST", Path("/element"), {{"using", "css selector"}, {"value", css}});
    if (!e.ok()) return e.status();
    return (*e).begin().value().get<std::string>();
  }

  // How many elements match `css` now.
  Result<size_t> Count(const std::string& css) {
    Result<json> all = Call("POST", Path("/elements"), {{"using", "css selector"}, {"value", css}});
    if (!all.ok()) return all.status();
    return all->size();
  }

  Status Click(const std::string& element) {
    return Call("POST", Path("/element/" + element + "/click"), json::object()).status();
  }
  Status Type(const std::string& element, const std::string& text) {
    return Call("POST", Path("/element/" + element + "/value"), {{"text", text}}).status();
  }
  Result<std::string> Text(const std::string& element) {
    Result<json> t = Call("GET", Path("/element/" + element + "/text"), json());
    if (!t.ok()) return t.status();
    return t->get<std::string>();
  }
  // The element's attribute `name` ("" when absent).
  Result<std::string> Attribute(const std::string& element, const std::string& name) {
    Result<json> a = Call("GET", Path("/element/" + element + "/attribute/" + name), json());
    if (!a.ok()) return a.status();
    return a->is_string() ? a->get<std::string>() : std::string();
  }
  // Runs `script` (a function body; `arguments` holds `args`) in the page.
  Result<json> Script(const std::string& script, json args = json::array()) {
    return Call("POST", Path("/execute/sync"), {{"script", script}, {"args", std::move(args)}});
  }
  // A PNG of the window.
  Result<std::string> Screenshot() {
    Result<json> shot = Call("GET", Path("/screenshot"), json(), 30);
    if (!shot.ok()) return shot.status();
    const std::string base64 = shot->get<std::string>();
    kj::Array<kj::byte> png = kj::decodeBase64(kj::arrayPtr(base64.data(), base64.size()));
    return std::string(reinterpret_cast<const char*>(png.begin()), png.size());
  }

  // Polls `done` every 100 ms until it holds or `timeout_ms` passes.
  static bool WaitUntil(const std::function<bool()>& done, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (done()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

 private:
  std::string Path(const std::string& rest) const { return "/session/" + session_ + rest; }

  static size_t Collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  }

  // One WebDriver command: its "value", or the error it names.
  Result<json> Call(const std::string& method, const std::string& path, const json& body, long timeout_s = 20) {
    if (curl_ == nullptr) return Internal("curl_easy_init failed");
    std::string response;
    const std::string payload = body.is_null() ? std::string() : body.dump();
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, (base_ + path).c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &WebDriver::Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response);
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json; charset=utf-8");
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    if (method == "POST") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, payload.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
    }
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) return Unavailable(method + " " + path + ": " + curl_easy_strerror(rc));
    json answer = json::parse(response, nullptr, false);
    if (answer.is_discarded() || !answer.contains("value")) {
      return Unavailable(method + " " + path + ": not a WebDriver answer: " + response.substr(0, 200));
    }
    json& value = answer["value"];
    if (value.is_object() && value.contains("error")) {
      const std::string error = value["error"].get<std::string>();
      const std::string what = method + " " + path + ": " + error + ": " + value.value("message", "");
      if (error == "no such element") return NotFound(what);
      return Unavailable(what);
    }
    return std::move(value);
  }

  CURL* curl_;
  pid_t pid_ = -1;
  std::string base_;
  std::string session_;
};

}  // namespace regline::testing
