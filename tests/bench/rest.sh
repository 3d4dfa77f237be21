#!/usr/bin/env bash
# REST benchmark (prints figures; not a test). Starts a private stack, then
# runs wrk against:
#   floor  GET  /healthz          (same binary, no DB work)
#   get    GET  /sessions/<id>    (one session with two participants)
#   post   POST /sessions         (creates a session: Postgres txn + Janus room)
# at 8 and at N connections, and prints throughput and latency (GET as a
# ratio of the floor) and the CPU each process spent per POST.
# Goals (issue 2, 2-core machine): GET >= 0.5x floor with p99 <= 2 ms;
# POST >= 2,000 sessions/s with p99 <= 20 ms.
#
# Usage: tests/bench/rest.sh [seconds] [connections]
#   BENCH_STACK_DIR  reuse/keep a stack dir (default: fresh temp dir, removed)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DUR=${1:-10}
CONNS=${2:-32}
THREADS=2

command -v wrk >/dev/null || { echo "wrk missing: scripts/setup-deps installs it" >&2; exit 1; }
[ -x build/controller/telemed-controller ] || { echo "build first (scripts/test or scripts/run)" >&2; exit 1; }

OWN_DIR=0
if [ -z "${BENCH_STACK_DIR:-}" ]; then
  BENCH_STACK_DIR=$(mktemp -d /tmp/telemed-bench.XXXXXX)
  OWN_DIR=1
fi
export TELEMED_STACK_DIR=$BENCH_STACK_DIR
export TELEMED_BUILD_DIR=$ROOT/build   # the binaries measured are ./build's
# Many rooms are created by the POST run.
export TELEMED_PLUGIN_MAX_ROOMS=${TELEMED_PLUGIN_MAX_ROOMS:-100000}
cleanup() {
  scripts/stackctl stop >/dev/null 2>&1 || true
  if [ "$OWN_DIR" = 1 ]; then rm -rf "$BENCH_STACK_DIR"; fi
}
trap cleanup EXIT
scripts/stackctl start >/dev/null
# shellcheck disable=SC1091
set -a; . "$BENCH_STACK_DIR/stack.env"; set +a

auth=(-H "Authorization: Bearer $TELEMED_API_KEY" -H "Content-Type: application/json")
sid=$(curl -sf "${auth[@]}" -d '{"kind":"consultation","title":"bench"}' "$TELEMED_URL/sessions" | jq -r .id)
for u in doc pat; do
  curl -sf "${auth[@]}" -d "{\"user_id\":\"$u\",\"role\":\"doctor\"}" \
    "$TELEMED_URL/sessions/$sid/participants" >/dev/null
done
body=$(mktemp); echo '{"kind":"consultation","title":"bench","metadata":{"ward":"3"}}' > "$body"

run() { # name conns method url [body]
  BENCH_NAME=$1 BENCH_METHOD=$3 BENCH_API_KEY=$TELEMED_API_KEY BENCH_BODY_FILE=${5:-} \
    wrk -t"$THREADS" -c"$2" -d"${DUR}s" --timeout 5s -s "$ROOT/tests/bench/wrk_report.lua" "$4" \
    | grep '^RESULT'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# CPU seconds per command name over all processes (utime+stime, clock ticks).
cpu_snapshot() {
  local p
  for p in /proc/[0-9]*; do
    awk '{sub(/^[0-9]+ /, ""); n=$1; sub(/^\([^)]*\) /, ""); print n, $12+$13}' "$p/stat" 2>/dev/null
  done | awk '{a[$1]+=$2} END {for (k in a) print k, a[k]}'
}

echo "# warm-up"; BENCH_NAME=warm BENCH_METHOD=GET wrk -t2 -c8 -d2s "$TELEMED_URL/healthz" >/dev/null
declare -A R
for c in 8 "$CONNS"; do
  R[floor$c]=$(run "floor-c$c" "$c" GET "$TELEMED_URL/healthz");        echo "${R[floor$c]}"
  R[get$c]=$(run "get-c$c" "$c" GET "$TELEMED_URL/sessions/$sid");      echo "${R[get$c]}"
done
cpu_snapshot > "$BENCH_STACK_DIR/cpu.before"
t0=$(date +%s.%N)
for c in 8 "$CONNS"; do
  R[post$c]=$(run "post-c$c" "$c" POST "$TELEMED_URL/sessions" "$body"); echo "${R[post$c]}"
done
t1=$(date +%s.%N)
cpu_snapshot > "$BENCH_STACK_DIR/cpu.after"
rm -f "$body"
posts=$(( $(field "${R[post8]}" requests) + $(field "${R[post$CONNS]}" requests) ))

echo
echo "SUMMARY (${DUR}s per run, $THREADS wrk threads, $(nproc) cores; goals from issue 2)"
for c in 8 "$CONNS"; do
  ratio=$(awk -v a="$(field "${R[get$c]}" rps)" -v b="$(field "${R[floor$c]}" rps)" 'BEGIN{printf "%.2f", a/b}')
  printf '  c=%-3s GET /sessions/<id>: %6s req/s = %sx floor (%s req/s, floor p99 %s ms), p99 %s ms  [goal >= 0.5x, p99 <= 2 ms]\n' \
    "$c" "$(field "${R[get$c]}" rps)" "$ratio" "$(field "${R[floor$c]}" rps)" "$(field "${R[floor$c]}" p99_ms)" \
    "$(field "${R[get$c]}" p99_ms)"
done
for c in 8 "$CONNS"; do
  printf '  c=%-3s POST /sessions:     %6s sessions/s, p99 %s ms, non-2xx %s  [goal >= 2000/s, p99 <= 20 ms]\n' \
    "$c" "$(field "${R[post$c]}" rps)" "$(field "${R[post$c]}" p99_ms)" "$(field "${R[post$c]}" non2xx)"
done
echo "  CPU per POST by process (ms; all POST runs, $posts requests; wrk itself not included):"
hz=$(getconf CLK_TCK)
join <(sort "$BENCH_STACK_DIR/cpu.before") <(sort "$BENCH_STACK_DIR/cpu.after") \
  | awk -v n="$posts" -v hz="$hz" '{d=($3-$2)/hz*1000/n; if (d >= 0.01) printf "    %-18s %.3f\n", $1, d}' \
  | sort -k2 -nr
awk -v a="$t0" -v b="$t1" -v n="$posts" 'BEGIN{printf "  wall time of the POST runs: %.1f s\n", b-a}'
