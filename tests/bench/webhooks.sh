#!/usr/bin/env bash
# Webhook delivery benchmark (prints figures; not a test): throughput and
# commit -> delivered lag of the outbox dispatcher to a local receiver, and
# the time to drain a backlog after a 10 s receiver outage. See
# tests/bench/webhooks/bench.mjs and tests/bench/README.md. Goals (issue 15):
# >= 2,000 events/s, p99 commit -> delivered <= 200 ms.
#
# Usage: tests/bench/webhooks.sh
#   BENCH_WH_RATE   steady and outage phases' insert rate, events/s (500)
#   BENCH_WH_SET    extra controller settings, ';'-separated (e.g. webhook_workers=2)
#   BENCH_STACK_DIR reuse/keep a stack dir (default: fresh temp dir, removed)
# Outside a network namespace the stack's default ports must be free.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
[ -x build/controller/telemed-controller ] || { echo "build first (scripts/test unit or make -C build)" >&2; exit 1; }
OWN_DIR=0
if [ -z "${BENCH_STACK_DIR:-}" ]; then
  BENCH_STACK_DIR=$(mktemp -d /tmp/telemed-bench-webhooks.XXXXXX)
  chmod 755 "$BENCH_STACK_DIR"
  OWN_DIR=1
fi
export TELEMED_STACK_DIR=$BENCH_STACK_DIR
export TELEMED_BUILD_DIR=$ROOT/build
cleanup() {
  scripts/stackctl stop >/dev/null 2>&1 || true
  if [ "$OWN_DIR" = 1 ]; then rm -rf "$BENCH_STACK_DIR"; fi
}
trap cleanup EXIT
scripts/stackctl start >/dev/null
node tests/bench/webhooks/bench.mjs
