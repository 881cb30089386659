// The service manager's notification protocol (sd_notify(3)), spoken
// directly: when systemd starts a Type=notify unit it sets NOTIFY_SOCKET
// (a datagram socket path, or "@name" in the abstract namespace) and, with
// WatchdogSec=, WATCHDOG_USEC (and WATCHDOG_PID). The daemons send
// READY=1 once serving, STATUS=... lines as they change, WATCHDOG=1 at half the watchdog
// interval from their main loop (a hung loop stops them, and systemd
// restarts the service), and STOPPING=1 when they begin to shut down.
//
// Without NOTIFY_SOCKET every call is a no-op, so the daemons behave the
// same when run by hand. Thread-safe (each call opens its own socket).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace regline {

// Sends `state` (newline-separated VARIABLE=value lines) to NOTIFY_SOCKET.
// False when there is no socket or the send failed (never fatal: the
// caller logs it at most).
bool NotifyServiceManager(std::string_view state);

// How often to send WATCHDOG=1: half of WATCHDOG_USEC, in ms; 0 when the
// service manager expects no pings (no WATCHDOG_USEC, or WATCHDOG_PID names
// another process).
int64_t WatchdogPingIntervalMs();

// How often the daemons look whether their STATUS= line has changed (a
// fence, the connector's wait for room, the gateway's session count) and
// send it when it has, so that `systemctl status` follows within a second
// whether or not the unit has a watchdog.
inline constexpr int64_t kStatusCheckMs = 1000;

// Sends `line` (a "STATUS=..." line) unless it is `shown`, the line sent
// last; `shown` then holds `line`.
void NotifyStatusChange(std::string& shown, std::string line);

}  // namespace regline
