#!/usr/bin/env bash
# Soak benchmarks (print figures; not tests): long runs that look for leaks
# and drift rather than peak speed (issue 17).
#
#   rest   tests/bench/soak/rest_soak.mjs: the controller's REST API at a fixed
#          open-loop rate (500 requests/s: create, add participant, get, patch,
#          end) for 10 minutes; p50/p99 per route from the scheduled send time,
#          errors by status, and every 10 s the controller's and Postgres's
#          memory, the controller's open descriptors, Redis used_memory
#   churn  tests/bench/soak/churn_soak.mjs: 50 participants (werift
#          PeerConnections) joining, sending a short media burst and leaving
#          through janus.plugin.telemed continuously for 10 minutes; Janus's
#          memory and the plugin's admin `stats` sampled, and at the end no
#          handle or Janus session left behind
#
# Usage (root, Debian 12, after a build: scripts/test unit, scripts/run, or
# make in ./build):
#   tests/bench/soak.sh [rest|churn|all]     (all: rest, then churn)
# Each phase gets its own fresh private stack (scripts/stackctl) in a private
# network namespace (scripts/lib/netns.sh: Janus does not gather ICE
# candidates on loopback); `npm ci` runs when node_modules is missing or older
# than package-lock.json. Prints a SUMMARY block; stops everything by PID.
#
# Environment:
#   BENCH_SOAK_SECONDS   rest duration (600)      BENCH_SOAK_RATE   requests/s (500)
#   BENCH_SOAK_CONNS     client connections (128) BENCH_SOAK_WARMUP_S  (60)
#   BENCH_CHURN_SECONDS  churn duration (600)     BENCH_CHURN_PARTICIPANTS (50)
#   BENCH_CHURN_BURST_S  media per round (3)      BENCH_CHURN_ROOM_ROUNDS  rounds per session (5)
#   BENCH_CHURN_WARMUP_S (60)                     BENCH_SOAK_SAMPLE_S / BENCH_CHURN_SAMPLE_S (10)
#   TELEMED_BUILD_DIR    binaries measured (./build); or TELEMED_PLUGIN_SO / TELEMED_CONTROLLER_BIN
#   BENCH_KEEP=1         keep the stack folders and logs (printed at the end)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

# ------------------------------------------------------------ inner phase
# `soak.sh __inner WHAT WORK` runs inside the namespace: per phase a stack,
# node, the stack stopped.
if [[ "${1:-}" == __inner ]]; then
    what="$2" work="$3"
    ulimit -n 65536 2>/dev/null || true
    # shellcheck disable=SC2317  # called by the EXIT trap
    stop_stack() {
        if [[ -n "${TELEMED_STACK_DIR:-}" ]]; then "$ROOT/scripts/stackctl" stop >/dev/null 2>&1 || true; fi
    }
    trap stop_stack EXIT
    run_phase() {   # run_phase NAME SECONDS SCRIPT
        local name="$1" seconds="$2" script="$3" rc=0
        export TELEMED_STACK_DIR="$work/stack-$name"
        "$ROOT/scripts/stackctl" start >/dev/null \
            || { echo "stack start failed (logs: $TELEMED_STACK_DIR/logs)" >&2; return 1; }
        echo "== $name ($(uptime | sed 's/.*load/load/'))" >&2
        timeout --kill-after=10 $(( seconds + 600 )) node "$script" | tee "$work/$name.out" || rc=$?
        echo "load at the end: $(uptime | sed 's/.*load average: //')" >>"$work/$name.out"
        "$ROOT/scripts/stackctl" stop >/dev/null 2>&1 || true
        return "$rc"
    }
    rc=0
    if [[ "$what" == all || "$what" == rest ]]; then
        run_phase rest "${BENCH_SOAK_SECONDS:-600}" tests/bench/soak/rest_soak.mjs || rc=1
    fi
    if [[ "$what" == all || "$what" == churn ]]; then
        run_phase churn "${BENCH_CHURN_SECONDS:-600}" tests/bench/soak/churn_soak.mjs || rc=1
    fi
    exit "$rc"
fi

# ------------------------------------------------------------ outer phase
what="${1:-all}"
case "$what" in all|rest|churn) ;; *) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac
(( EUID == 0 )) || { echo "soak.sh: needs root (network namespace)" >&2; exit 1; }
for c in node npm janus ffmpeg ip jq curl; do
    command -v "$c" >/dev/null || { echo "soak.sh: '$c' missing: run scripts/setup-deps" >&2; exit 1; }
done
for v in BENCH_SOAK_SECONDS BENCH_CHURN_SECONDS; do
    [[ -z "${!v:-}" || "${!v}" =~ ^[0-9]+$ ]] || { echo "soak.sh: $v must be a number of seconds" >&2; exit 2; }
done
BUILD_DIR="${TELEMED_BUILD_DIR:-$ROOT/build}"
export TELEMED_BUILD_DIR="$BUILD_DIR"
[[ -f "${TELEMED_PLUGIN_SO:-$BUILD_DIR/plugin/.libs/libjanus_telemed.so}" && \
   -x "${TELEMED_CONTROLLER_BIN:-$BUILD_DIR/controller/telemed-controller}" ]] \
    || { echo "soak.sh: build first (make in $BUILD_DIR, or scripts/run / scripts/test unit)" >&2; exit 1; }

if [[ ! -d node_modules/werift || ! -d node_modules/ws || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "== npm ci" >&2
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 600 npm ci --no-audit --no-fund >&2
fi

work=$(mktemp -d /tmp/telemed-bench-soak.XXXXXX)
chmod 755 "$work"
# shellcheck source=../../scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
    netns_delete
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "kept: $work (stack logs: $work/stack-*/logs)" >&2
    else rm -rf "$work"; fi
}
trap finish EXIT
netns_create

rc=0
netns_exec "$0" __inner "$what" "$work" || rc=$?

echo
echo "===================== SUMMARY (tests/bench/soak.sh $what; $(nproc) cores) ====================="
echo "janus $(janus --version 2>/dev/null | awk '/version/ {print $NF; exit}'), node $(node --version)," \
     "werift $(jq -r .version node_modules/werift/package.json 2>/dev/null), plugin ${TELEMED_PLUGIN_SO:-$BUILD_DIR/plugin/.libs/libjanus_telemed.so}"
for f in rest churn; do
    [[ -s "$work/$f.out" ]] && grep -v '^RESULT' "$work/$f.out" | sed '/^$/d'
done
echo "(RESULT lines above are the same figures, machine-readable)"
(( rc == 0 )) || echo "some soak step failed (exit $rc): see the messages above" >&2
exit "$rc"
