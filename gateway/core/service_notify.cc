#include "gateway/core/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace regline {

namespace {

bool ReadNumber(const char* text, int64_t& out) {
  if (text == nullptr || *text == '\0') return false;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

bool NotifyServiceManager(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const size_t len = std::strlen(path);
  if (len >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // the abstract namespace
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  const ssize_t sent =
      sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), addr_len);
  close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

int64_t WatchdogPingIntervalMs() {
  int64_t usec = 0;
  if (!ReadNumber(std::getenv("WATCHDOG_USEC"), usec) || usec <= 0) return 0;
  int64_t pid = 0;
  if (ReadNumber(std::getenv("WATCHDOG_PID"), pid) && pid != static_cast<int64_t>(getpid())) return 0;
  return std::max<int64_t>(1, usec / 2000);
}

void NotifyStatusChange(std::string& shown, std::string line) {
  if (line == shown) return;
  shown = std::move(line);
  NotifyServiceManager(shown);
}

}  // namespace regline
