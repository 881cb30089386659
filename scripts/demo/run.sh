#!/usr/bin/env bash
# The Regline demo: a gateway and two platform connectors on loopback, a
# regulator's traffic down, the platforms' reports up, and every message's
# acknowledgement stages as they arrive. Everything runs in a temporary
# directory and is stopped (by the PIDs started here) when the script ends.
#
# Usage: scripts/demo/run.sh BUILD_DIR      (scripts/demo.sh builds and calls it)
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
gateway_bin="$build/gateway/regline-gateway"
connector_bin="$build/connectors/regline-connector"
ctl_bin="$build/ctl/reglinectl"
for b in "$gateway_bin" "$connector_bin" "$ctl_bin"; do
  [[ -x "$b" ]] || { echo "demo: $b is missing; build first (scripts/demo.sh does)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/regline-demo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
wait_for_file() {
  for _ in $(seq 1 500); do [[ -s "$1" ]] && return 0; sleep 0.02; done
  echo "demo: $1 did not appear" >&2; exit 1
}

step "Start the gateway (SQLite store, fsync per group commit) on a free port"
mkdir -p "$work/gateway"
cat > "$work/gateway/gateway.toml" <<TOML
[gateway]
listen = "tcp://127.0.0.1:*"
data_dir = "$work/gateway/data"
disk_reserve_bytes = 1048576
[security]
# The demo runs without CURVE keys; never do this outside development.
insecure_plaintext_for_development = true
[[identity]]
name = "samr-console"
role = "regulator"
department = "SAMR"
[[identity]]
name = "sta-console"
role = "regulator"
department = "STA"
[[identity]]
name = "douyin"
role = "platform"
[[identity]]
name = "kuaishou"
role = "platform"
TOML
"$gateway_bin" -c "$work/gateway/gateway.toml" 2>"$work/gateway/log" &
pids+=($!)
wait_for_file "$work/gateway/data/gateway.endpoint"
gw=$(cat "$work/gateway/data/gateway.endpoint")
echo "gateway listening on $gw (log: gateway/log)"

start_connector() {
  local platform=$1
  mkdir -p "$work/$platform"
  cat > "$work/$platform/connector.toml" <<TOML
[connector]
identity = "$platform"
data_dir = "$work/$platform/data"
[gateway]
endpoint = "$gw"
[sink]
type = "spool"
directory = "$work/$platform/spool"
[security]
# The demo gateway runs in development mode; so do its connectors.
insecure_plaintext_for_development = true
TOML
  "$connector_bin" -c "$work/$platform/connector.toml" 2>"$work/$platform/log" &
  pids+=($!)
  wait_for_file "$work/$platform/data/connector.endpoint"
  echo "connector for $platform: spool in $platform/spool, local endpoint $(cat "$work/$platform/data/connector.endpoint")"
}
step "Start two platform connectors (each with its own SQLite inbox and outbox)"
start_connector douyin
start_connector kuaishou

ctl() { "$ctl_bin" --gateway "$gw" "$@"; }
id_of() { sed -n 's/^message *\([0-9a-f]\{32\}\).*/\1/p'; }

step "SAMR suspends a live room on douyin (a Directive, urgent)"
directive=$(ctl --identity samr-console directive send --to douyin --action suspend-broadcast \
  --subject-kind live-room --subject-id 8812 --subject-name "小杨好物" --department SAMR --region 310000 \
  --article 18 --severity high --duration 7d --ack-within 10m --complete-within 4h \
  --rationale "Claimed a health food cures diabetes during the broadcast." --priority urgent | tee /dev/stderr | id_of)

step "SAMR publishes negative-catalog version 1 to all platforms"
catalog=$(ctl --identity samr-console catalog publish --version 1 --add-file "$here/catalog-v1-added.json" \
  --notes "first version" | tee /dev/stderr | id_of)

step "The tax office asks douyin for a marketer's income (TaxAssistanceRequest)"
tax=$(ctl --identity sta-console tax request --to douyin --region 330000 --subject-name 张某 --accounts acc-90210 \
  --period 2026-01-01..2026-06-30 --fields income,gmv,commission --article 57 --respond-within 15d \
  | tee /dev/stderr | id_of)

step "douyin's systems report through its connector: complaint statistics and an attestation"
echo "(confirmed as soon as they are durable in the connector's outbox; it forwards them to the gateway)"
local_douyin=$(cat "$work/douyin/data/connector.endpoint")
"$ctl_bin" --gateway "$local_douyin" --identity douyin report complaints --file "$here/complaints-2026-10.json" --to samr-console
"$ctl_bin" --gateway "$local_douyin" --identity douyin attest --file "$here/attestation-2026h2.json" --to samr-console

step "douyin's staff report the suspension done, through the connector (stage completed)"
"$ctl_bin" --gateway "$local_douyin" --identity douyin ack "$directive" --stage completed \
  --original-sender samr-console --delivery-seq 1 --actions-taken "room 8812 suspended for 7 days"

step "Acknowledgement stages as they arrive (the connectors accept on hand-over to their spool)"
settled() {  # every platform has at least accepted; the directive is completed
  ctl --identity samr-console status "$directive" | grep -q '^douyin  *completed' || return 1
  for m in "$catalog" "$tax"; do
    ! ctl --identity samr-console status "$m" | grep -qE '^[a-z-]+ +(queued|in_flight|delivered) ' || return 1
  done
}
for _ in $(seq 1 100); do settled && break; sleep 0.2; done
for m in "$directive" "$catalog" "$tax"; do
  echo; ctl --identity samr-console status "$m"
done

step "What reached the platforms' spools (one JSON file per message)"
for p in douyin kuaishou; do
  echo "$p:"; ls "$work/$p/spool" | sed 's/^/  /'
done
echo; echo "the directive as douyin's systems read it (the payload part of its spool file):"
sed -n '/"payload"/,$p' "$work/douyin/spool/"*"$directive"*.json | head -40

step "Queues at the gateway (the regulator's inbox holds the platform's reports)"
for _ in $(seq 1 100); do
  ctl --identity samr-console queues | grep -qE '^samr-console +2 ' && break
  sleep 0.2
done
ctl --identity samr-console queues

step "Done: stopping the gateway and the connectors"
