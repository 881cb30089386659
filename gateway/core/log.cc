#include "gateway/core/log.h"

#include <unistd.h>

namespace regline {

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
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
