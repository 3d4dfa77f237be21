#!/usr/bin/env bash
# Chat benchmark (prints figures; not a test): chat messages through
# janus.plugin.telemed into Postgres (docs/DESIGN.md "The chat path"), with
# 10 rooms x 4 participants on the Janus WebSocket API
# (tests/bench/chat/chat_load.mjs):
#   capacity     messages/s acked (stored in Postgres) with every participant
#                keeping BENCH_CHAT_WINDOW requests in flight, the plugin's
#                rate limit raised for this phase only;
#   target load  BENCH_CHAT_RATE msg/s (500) spread over the 40 participants:
#                p50/p99 send -> ack and send -> delivered. Goal: p99 ack <= 20 ms.
#
# Usage (root, after a build: scripts/test unit, scripts/run, or make in ./build):
#   tests/bench/chat.sh
# Environment: BENCH_CHAT_SECONDS (10) per phase, BENCH_CHAT_RATE (500),
#   BENCH_CHAT_WINDOW (4), TELEMED_BUILD_DIR (./build), BENCH_KEEP=1 keeps the
#   stack folder and logs.
# It runs in a private network namespace (scripts/lib/netns.sh) with its own
# stack (scripts/stackctl), and stops everything by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

if [[ "${1:-}" == __inner ]]; then
    work="$2"
    export TELEMED_STACK_DIR="$work/stack"
    # Capacity is measured past the per-participant limit (20/s, burst 40):
    # 40 participants x 20/s would cap it at 800 msg/s.
    export TELEMED_PLUGIN_CHAT_SET="chat_rate_per_s=1000 chat_burst=10000 chat_queue_per_room=4096"
    stop_stack() { "$ROOT/scripts/stackctl" stop >/dev/null 2>&1 || true; }
    trap stop_stack EXIT
    "$ROOT/scripts/stackctl" start >/dev/null \
        || { echo "stack start failed (logs: $TELEMED_STACK_DIR/logs)" >&2; exit 1; }
    timeout --kill-after=10 $(( 120 + 3 * ${BENCH_CHAT_SECONDS:-10} )) \
        node tests/bench/chat/chat_load.mjs --seconds "${BENCH_CHAT_SECONDS:-10}" \
        --rate "${BENCH_CHAT_RATE:-500}" --window "${BENCH_CHAT_WINDOW:-4}" | tee "$work/chat.out"
    exit "${PIPESTATUS[0]}"
fi

(( EUID == 0 )) || { echo "chat.sh: needs root (network namespace)" >&2; exit 1; }
for c in node janus ip psql; do
    command -v "$c" >/dev/null || { echo "chat.sh: '$c' missing: run scripts/setup-deps" >&2; exit 1; }
done
BUILD_DIR="${TELEMED_BUILD_DIR:-$ROOT/build}"
export TELEMED_BUILD_DIR="$BUILD_DIR"
[[ -f "${TELEMED_PLUGIN_SO:-$BUILD_DIR/plugin/.libs/libjanus_telemed.so}" && \
   -x "${TELEMED_CONTROLLER_BIN:-$BUILD_DIR/controller/telemed-controller}" ]] \
    || { echo "chat.sh: build first (make in $BUILD_DIR, or scripts/run / scripts/test unit)" >&2; exit 1; }
[[ -d node_modules/ws ]] || { echo "== npm ci" >&2; timeout 600 npm ci --no-audit --no-fund >&2; }

work=$(mktemp -d /tmp/telemed-bench-chat.XXXXXX)
chmod 755 "$work"
# shellcheck source=../../scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
    netns_delete
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "kept: $work (stack logs: $work/stack/logs)" >&2
    else rm -rf "$work"; fi
}
trap finish EXIT
netns_create
rc=0
netns_exec "$0" __inner "$work" || rc=$?
echo
echo "===================== SUMMARY (tests/bench/chat.sh; $(nproc) cores) ====================="
[[ -s "$work/chat.out" ]] && grep -v '^RESULT' "$work/chat.out"
(( rc == 0 )) || echo "the benchmark failed (exit $rc)" >&2
exit "$rc"
