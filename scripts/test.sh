#!/usr/bin/env bash
# Installs what is missing, builds Regline twice (Release, and Debug with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test in
# both; then builds the frame fuzzer with clang (only that target) and runs
# it a fixed number of times (tests/fuzz). Exits non-zero on the first
# failure. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
for preset in release asan; do
  echo "== ${preset}: configure, build, test"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
done

echo "== fuzz: configure (clang), build frame_fuzzer only, run it from tests/fuzz/corpus"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target frame_fuzzer -j "$jobs"
ctest --preset fuzz --verbose
