// The web console's static files (gateway/console/), compiled into the
// gateway at build time (a .cc that CMake generates from the directory),
// so that a packaged gateway serves the console with nothing beside it.
// [admin] console_dir serves a directory instead (admin_http.h).
#pragma once

#include <span>
#include <string_view>

namespace regline::server {

struct ConsoleAsset {
  std::string_view name;   // the file's name in gateway/console/, e.g. "console.js"
  std::string_view bytes;  // its contents
};

// Every file of gateway/console/ as it was when the gateway was built.
std::span<const ConsoleAsset> EmbeddedConsoleAssets();

}  // namespace regline::server
