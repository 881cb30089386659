#!/usr/bin/env bash
# Installs what is missing, builds Regline (Release) and runs its main job.
#
# At this stage of the project the main job is the durable store at full
# speed: the store benchmark submits 1 KiB messages through group commit
# (fsync per commit, synchronous=FULL) and one by one, and prints durable
# submissions per second. When the gateway daemon lands, this script starts
# the gateway, two platform connectors and a regulator's traffic instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" --target store_bench
./build/release/bench/store_bench "$@"
