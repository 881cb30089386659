#!/usr/bin/env bash
# Installs, with apt-get, whatever Regline needs to build and test that this
# machine does not have yet. Idempotent: when everything is present it only
# runs dpkg queries and returns in well under a second.
#
# Usage: scripts/setup.sh            (as root, or with sudo available)
set -euo pipefail

# Build toolchain (dpkg-dev: dpkg-shlibdeps, which computes the .deb's
# Depends), then the libraries the code links, then what tests use (clang
# and its runtime libraries, with libFuzzer, for tests/fuzz; headless
# Chromium, its WebDriver and a CJK font for the web console's browser test).
packages=(
  build-essential cmake ninja-build pkg-config dpkg-dev
  libzmq3-dev cppzmq-dev libsodium-dev
  capnproto libcapnp-dev
  libsqlite3-dev sqlite3
  libssl-dev openssl
  libcurl4-openssl-dev libcpp-httplib-dev
  systemd
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  chromium chromium-driver fonts-wqy-microhei
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
