#include "gateway/core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace regline {
namespace {

int LevelFromEnvironment() {
  const char* name = std::getenv("REGLINE_LOG_LEVEL");
  std::optional<LogLevel> level = name != nullptr ? ParseLogLevel(name) : std::nullopt;
  return static_cast<int>(level.value_or(LogLevel::kInfo));
}

std::atomic<int>& Threshold() {
  static std::atomic<int> threshold{LevelFromEnvironment()};
  return threshold;
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

void SetLogLevel(LogLevel level) { Threshold().store(static_cast<int>(level), std::memory_order_relaxed); }

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) <= Threshold().load(std::memory_order_relaxed);
}

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">event=";
  line += event;
  for (const auto& [key, value] : fields) {
    line += ' ';
    line += key;
    line += '=';
    bool quote = value.empty() || value.find_first_of(" \"=") != std::string::npos;
    if (!quote) {
      line += value;
      continue;
    }
    line += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') line += '\\';
      line += c == '\n' ? ' ' : c;
    }
    line += '"';
  }
  line += '\n';
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;  // nowhere to report a failed log write
}

}  // namespace regline
