// Log: one event per line on stderr, in a form journald and grep both like:
//   <6>event=session_started identity=douyin session=3
// The "<N>" prefix is the syslog priority, which journald strips and keeps
// as the entry's priority; values with spaces are quoted. Thread-safe (one
// write(2) per line).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace regline {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

using LogField = std::pair<std::string_view, std::string>;

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// Events above the threshold (less severe) are dropped. The threshold
// starts as REGLINE_LOG_LEVEL from the environment (debug, info, warning or
// error; anything else, or unset, means info), so debug events cost
// nothing unless asked for. Hot paths test LogEnabled(kDebug) before
// building their fields.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
// "debug", "info", "warning", "error" -> the level; nullopt otherwise.
std::optional<LogLevel> ParseLogLevel(std::string_view name);

}  // namespace regline
