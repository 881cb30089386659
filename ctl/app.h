// The reglinectl command line: global options and every subcommand, wired
// to a Console. main() and the in-process CLI tests share it.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "ctl/console.h"

namespace regline::ctl {

// Adds the global options (bound to console.options()), --version, the
// exit-code footer and all subcommands to `app`.
void ConfigureApp(CLI::App& app, Console& console);

// Parses `args` (without the program name) and runs the chosen command;
// returns the exit code. --help and --version print to `out` and return 0;
// parse errors print to `err` and return kExitUsage.
int RunCommandLine(Console& console, std::vector<std::string> args, std::ostream& out, std::ostream& err);

}  // namespace regline::ctl
