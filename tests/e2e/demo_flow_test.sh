#!/usr/bin/env bash
# Runs the README's demo (scripts/demo/run.sh) against the built binaries and
# checks what it shows: every message's acknowledgement stages per platform,
# the spools, and the platform's reports waiting for the regulator. The demo
# is the first thing a newcomer runs; this keeps it honest.
#
# Usage: demo_flow_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=${1:?source dir}; build=${2:?build dir}
out=$(bash "$src/scripts/demo/run.sh" "$build" 2>&1)
rc=$?
fail=0
check() {  # check DESCRIPTION EXTENDED-REGEX
  if grep -qE "$2" <<<"$out"; then echo "ok: $1"; else echo "FAILED: $1 (no line matching /$2/)"; fail=1; fi
}
[[ $rc -eq 0 ]] || { echo "FAILED: the demo exited $rc"; fail=1; }
check "directive sent to douyin" '^kind +directive$'
check "catalog version sent to both platforms" '^recipients +douyin, kuaishou$'
check "tax request sent" '^kind +tax-assistance-request$'
check "complaint statistics confirmed by the connector" '^kind +complaint-statistics$'
check "attestation confirmed by the connector" '^kind +compliance-attestation$'
check "douyin's staff completed the directive" '^stage +completed$'
check "directive completed at douyin, with every stage's time" '^douyin +completed +1 +1 +[0-9T:+-]+ +[0-9T:+-]+ +[0-9T:+-]+ +- '
check "catalog accepted at douyin" '^douyin +accepted +1 +2 '
check "catalog accepted at kuaishou" '^kuaishou +accepted +1 +1 '
check "tax request accepted at douyin" '^douyin +accepted +1 +3 '
check "three spool files at douyin" '^  0{19}3-[0-9a-f]{32}\.json$'
check "one spool file at kuaishou" '^  0{19}1-[0-9a-f]{32}\.json$'
check "the directive's payload rendered in the spool" '"action": "suspendBroadcast"'
check "two reports waiting for samr-console" '^samr-console +2 +0 +0 '
if [[ $fail -ne 0 ]]; then
  echo "---- demo output ----"; echo "$out"
  exit 1
fi
echo "demo flow: all checks passed"
