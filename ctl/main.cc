// reglinectl: the console for the Regline gateway. See ctl/README.md.
#include <iostream>

#include "ctl/app.h"
#include "gateway/core/clock.h"

int main(int argc, char** argv) {
  regline::SystemClock clock;
  regline::ctl::Console console(std::cout, std::cerr, clock);
  std::vector<std::string> args(argv + 1, argv + argc);
  return regline::ctl::RunCommandLine(console, std::move(args), std::cout, std::cerr);
}
