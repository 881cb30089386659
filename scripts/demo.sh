#!/usr/bin/env bash
# Installs what is missing, builds Regline (Release) and runs the demo: a
# gateway and two platform connectors on loopback, a regulator's directive,
# catalog version and tax request down, a platform's complaint statistics
# and attestation up, and each message's acknowledgement stages per platform.
# Everything it starts is stopped when it ends. See scripts/demo/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" \
  --target regline-gateway regline-connector reglinectl
exec bash scripts/demo/run.sh build/release
