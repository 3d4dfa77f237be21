#!/usr/bin/env bash
# Janus event ingestion benchmark (prints figures; not a test): the
# controller's CPU time per ingested Janus event, for a realistic mix POSTed
# to /internal/v1/janus-events as Janus's sampleevh does (grouped arrays).
# See tests/bench/janus_events/bench.mjs and tests/bench/README.md. Goal
# (issue 15): <= 50 µs of controller CPU per event.
#
# Usage: tests/bench/janus_events.sh
#   BENCH_EVH_EVENTS   events to post (100000)
#   BENCH_EVH_BATCH    events per post (100; sampleevh grouping)
#   BENCH_EVH_PARALLEL posts in flight (4)
#   BENCH_STACK_DIR    reuse/keep a stack dir (default: fresh temp dir, removed)
# Outside a network namespace the stack's default ports must be free.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
[ -x build/controller/telemed-controller ] || { echo "build first (scripts/test unit or make -C build)" >&2; exit 1; }
OWN_DIR=0
if [ -z "${BENCH_STACK_DIR:-}" ]; then
  BENCH_STACK_DIR=$(mktemp -d /tmp/telemed-bench-evh.XXXXXX)
  chmod 755 "$BENCH_STACK_DIR"
  OWN_DIR=1
fi
export TELEMED_STACK_DIR=$BENCH_STACK_DIR
export TELEMED_BUILD_DIR=$ROOT/build
# A queue large enough that nothing is dropped while the worker catches up
# (the figure is CPU per event, all of them processed).
export TELEMED_CONTROLLER_SET="janus_events_queue=1000000"
cleanup() {
  scripts/stackctl stop >/dev/null 2>&1 || true
  if [ "$OWN_DIR" = 1 ]; then rm -rf "$BENCH_STACK_DIR"; fi
}
trap cleanup EXIT
scripts/stackctl start >/dev/null
node tests/bench/janus_events/bench.mjs
