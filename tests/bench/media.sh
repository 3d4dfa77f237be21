#!/usr/bin/env bash
# Media benchmarks (print figures; not tests): janus.plugin.telemed against
# Janus's stock janus.plugin.videoroom, both loaded in the SAME Janus.
#
#   join  tests/bench/media/join_to_frame.mjs: join -> first decoded remote
#         video frame in headless Chromium (fake camera), p50/p95 per plugin,
#         alternating samples, ratio telemed/videoroom (goal <= 0.8; issue 17: p50 <= 0.5 and p50 <= 100 ms)
#   cost  tests/bench/media/fixed_cost.mjs: per-participant threads, RSS and
#         CPU (media flowing and idle) of Janus for 10 werift peers in 5 rooms,
#         alternating runs, medians, ratio telemed/videoroom (goal <= 0.6);
#         with BENCH_COST_FLOOR=1 also Janus's stock EchoTest (one sendrecv
#         PeerConnection per participant, nothing else): the floor any plugin
#         with one PeerConnection per participant pays in this Janus;
#         with BENCH_COST_RECORDING=1 telemed against itself instead: rooms
#         not recording, recording everyone (all consented), and recording
#         nobody (nobody consented): the cost of recording per participant
#         and per packet (goal <= 1.3x) and for those not recorded (1.00x)
#
# Usage (root, Debian 12, after a build: scripts/test unit, scripts/run, or
# make in ./build):
#   tests/bench/media.sh              both
#   tests/bench/media.sh join|cost    one of them
# It creates a private network namespace (scripts/lib/netns.sh: a veth with
# 127.0.0.2, Janus does not gather ICE candidates on loopback), starts a
# private stack in it with scripts/stackctl and TELEMED_JANUS_EXTRA_PLUGINS=
# "videoroom echotest", runs `npm ci` when node_modules is missing or older than
# package-lock.json (never downloads a browser: /usr/bin/chromium), runs the
# benchmarks, prints a SUMMARY block, and stops everything by PID.
#
# Environment:
#   BENCH_JOIN_SAMPLES  joins per plugin (20)        BENCH_SDK=1  telemed joins through web/telemed.js
#   BENCH_COST_ROUNDS   telemed/videoroom run pairs (2)
#   BENCH_COST_WINDOW   seconds per measuring window (20)
#   BENCH_COST_ONLY     telemed|videoroom|echotest: measure one plugin only (no ratio)
#   BENCH_COST_RECORDING=1  telemed not recording / recording all / recording none (issue 14)
#   BENCH_COST_FLOOR=1  add EchoTest runs and print the floor ratios
#   TELEMED_BUILD_DIR   binaries measured (./build); or TELEMED_PLUGIN_SO / TELEMED_CONTROLLER_BIN
#   BENCH_KEEP=1        keep the stack folder and logs (printed at the end)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

# ------------------------------------------------------------ inner phase
# `media.sh __inner WHAT WORK` runs inside the namespace: stack up, node, stack down.
if [[ "${1:-}" == __inner ]]; then
    what="$2" work="$3"
    export TELEMED_STACK_DIR="$work/stack"
    export TELEMED_JANUS_EXTRA_PLUGINS="videoroom echotest"
    # shellcheck disable=SC2317  # called by the EXIT trap
    stop_stack() { "$ROOT/scripts/stackctl" stop >/dev/null 2>&1 || true; }
    trap stop_stack EXIT
    "$ROOT/scripts/stackctl" start >/dev/null \
        || { echo "stack start failed (logs: $TELEMED_STACK_DIR/logs)" >&2; exit 1; }
    rc=0
    if [[ "$what" == all || "$what" == join ]]; then
        samples=${BENCH_JOIN_SAMPLES:-20}
        [[ "$samples" =~ ^[0-9]+$ ]] || { echo "BENCH_JOIN_SAMPLES must be a number" >&2; exit 2; }
        sdk=(); [[ "${BENCH_SDK:-0}" == 1 ]] && sdk=(--sdk)
        echo "== join_to_frame ($samples samples per plugin)" >&2
        timeout --kill-after=10 $(( 120 + samples * 2 * 25 )) \
            node tests/bench/media/join_to_frame.mjs --samples "$samples" "${sdk[@]}" \
            | tee "$work/join.out" || rc=1
    fi
    if [[ "$what" == all || "$what" == cost ]]; then
        rounds=${BENCH_COST_ROUNDS:-2} window=${BENCH_COST_WINDOW:-20}
        [[ "$rounds" =~ ^[0-9]+$ && "$window" =~ ^[0-9]+$ ]] || { echo "BENCH_COST_* must be numbers" >&2; exit 2; }
        echo "== fixed_cost ($rounds rounds, ${window} s windows)" >&2
        only=(); [[ -n "${BENCH_COST_ONLY:-}" ]] && only=(--only "$BENCH_COST_ONLY")
        plugins=2; [[ "${BENCH_COST_FLOOR:-0}" == 1 ]] && { only+=(--floor); plugins=3; }
        [[ "${BENCH_COST_RECORDING:-0}" == 1 ]] && { only+=(--recording); plugins=3; }
        timeout --kill-after=10 $(( 120 + rounds * plugins * (2 * window + 150) )) \
            node tests/bench/media/fixed_cost.mjs --rounds "$rounds" --window "$window" "${only[@]}" \
            | tee "$work/cost.out" || rc=1
    fi
    exit "$rc"
fi

# ------------------------------------------------------------ outer phase
what="${1:-all}"
case "$what" in all|join|cost) ;; *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac
(( EUID == 0 )) || { echo "media.sh: needs root (network namespace)" >&2; exit 1; }
for c in node npm janus ffmpeg chromium ip jq curl; do
    command -v "$c" >/dev/null || { echo "media.sh: '$c' missing: run scripts/setup-deps" >&2; exit 1; }
done
BUILD_DIR="${TELEMED_BUILD_DIR:-$ROOT/build}"
export TELEMED_BUILD_DIR="$BUILD_DIR"
[[ -f "${TELEMED_PLUGIN_SO:-$BUILD_DIR/plugin/.libs/libjanus_telemed.so}" && \
   -x "${TELEMED_CONTROLLER_BIN:-$BUILD_DIR/controller/telemed-controller}" ]] \
    || { echo "media.sh: build first (make in $BUILD_DIR, or scripts/run / scripts/test unit)" >&2; exit 1; }

# Test tooling from package-lock.json; no browser download (playwright-core
# has none, and chromium is Debian's).
if [[ ! -d node_modules/werift || ! -d node_modules/playwright-core || \
      package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "== npm ci" >&2
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 600 npm ci --no-audit --no-fund >&2
fi

work=$(mktemp -d /tmp/telemed-bench-media.XXXXXX)
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
netns_exec "$0" __inner "$what" "$work" || rc=$?

echo
echo "===================== SUMMARY (tests/bench/media.sh $what; $(nproc) cores) ====================="
echo "janus $(janus --version 2>/dev/null | awk '/version/ {print $NF; exit}'), $(chromium --version 2>/dev/null | head -1)," \
     "werift $(jq -r .version node_modules/werift/package.json 2>/dev/null), plugin ${TELEMED_PLUGIN_SO:-$BUILD_DIR/plugin/.libs/libjanus_telemed.so}"
for f in join cost; do
    [[ -s "$work/$f.out" ]] && grep -v '^RESULT' "$work/$f.out" | sed '/^$/d'
done
echo "(RESULT lines above are the same figures, machine-readable)"
(( rc == 0 )) || echo "some benchmark step failed (exit $rc): see the messages above" >&2
exit "$rc"
