// What the two cpp-httplib servers share (the gateway's admin endpoint,
// admin_http.h, and the connector's local API, http_api.h): binding to
// HOST:PORT with the bound URL published in a file, and checking the
// bearer token. Header-only: included only by targets that link
// cpp-httplib. Any thread.
#pragma once

#include <httplib.h>
#include <openssl/crypto.h>

#include <string>
#include <string_view>

#include "gateway/core/files.h"
#include "gateway/core/status.h"

namespace regline {

enum class BearerCheck { kOk, kMissing, kWrong };

// Whether `req` carries "Authorization: Bearer <token>" (compared in
// constant time), none, or another token.
inline BearerCheck CheckBearer(const httplib::Request& req, std::string_view token) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.rfind(kBearer, 0) != 0) return BearerCheck::kMissing;
  const std::string_view given = std::string_view(header).substr(kBearer.size());
  if (given.size() != token.size() || CRYPTO_memcmp(given.data(), token.data(), given.size()) != 0) {
    return BearerCheck::kWrong;
  }
  return BearerCheck::kOk;
}

// Binds `server` to host:port (port 0: one the OS picks) and, when
// `url_file` is set, writes the bound "http://HOST:PORT" there durably.
// The URL; kIOError naming `what` (e.g. "[admin]") when either fails.
inline Result<std::string> BindAndPublish(httplib::Server& server, const std::string& host, int port,
                                          const std::string& url_file, std::string_view what) {
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return IOError(std::string(what) + ": cannot listen on " + host + ":" + std::to_string(port));
  const std::string url =
      "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(bound);
  if (!url_file.empty()) {
    if (Status s = WriteFileDurably(url_file, url + "\n"); !s.ok()) return s.WithContext(std::string(what));
  }
  return url;
}

}  // namespace regline
