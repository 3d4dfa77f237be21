#!/usr/bin/env bash
# REST benchmark (prints figures; not a test). Starts a private stack, then
# runs wrk against:
#   floor  GET  /healthz          (same binary, no DB work)
#   get    GET  /sessions/<id>    (one session with two participants)
#   post   POST /sessions         (creates a session: Postgres txn + Janus room)
# at 8 and at N connections, and prints throughput and latency (GET as a
# ratio of the floor) and the CPU each of the stack's processes spent per
# POST, with their total (and, with group commit, the sessions per statement).
# Goals (2-core machine): issue 2, POST >= 2,000 sessions/s with p99 <= 20 ms;
# issue 17, GET >= 0.9x floor with p99 <= 2 ms, and POST <= 0.5 ms of CPU in
# total (all the stack's processes: Postgres, controller, Redis, ...).
#
# Usage: tests/bench/rest.sh [seconds] [connections]
#   BENCH_STACK_DIR  reuse/keep a stack dir (default: fresh temp dir, removed)
#   BENCH_BUILD_DIR  the build whose binaries are measured (default ./build;
#                    e.g. another worktree's build for a before/after pair)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DUR=${1:-10}
CONNS=${2:-32}
THREADS=2

command -v wrk >/dev/null || { echo "wrk missing: scripts/setup-deps installs it" >&2; exit 1; }
BUILD=$(cd "${BENCH_BUILD_DIR:-build}" 2>/dev/null && pwd) || { echo "no build folder: ${BENCH_BUILD_DIR:-build}" >&2; exit 1; }
[ -x "$BUILD/controller/telemed-controller" ] || { echo "build first (scripts/test or scripts/run)" >&2; exit 1; }

OWN_DIR=0
if [ -z "${BENCH_STACK_DIR:-}" ]; then
  BENCH_STACK_DIR=$(mktemp -d /tmp/telemed-bench.XXXXXX)
  OWN_DIR=1
fi
export TELEMED_STACK_DIR=$BENCH_STACK_DIR
export TELEMED_BUILD_DIR=$BUILD   # the binaries measured
# Many rooms are created by the POST run.
export TELEMED_PLUGIN_MAX_ROOMS=${TELEMED_PLUGIN_MAX_ROOMS:-100000}
cleanup() {
  scripts/stackctl stop >/dev/null 2>&1 || true
  if [ "$OWN_DIR" = 1 ]; then rm -rf "$BENCH_STACK_DIR"; fi
}
trap cleanup EXIT
scripts/stackctl start >/dev/null
set -a
# shellcheck disable=SC1091
. "$BENCH_STACK_DIR/stack.env"
set +a

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
# CPU clock ticks (utime+stime) per service of this stack: each process
# recorded in $BENCH_STACK_DIR/pids/<service>.pid with all its descendants
# (Postgres' backends and workers), plus the CPU of the descendants that
# already exited and were reaped (the recorded process's cutime+cstime).
# Other stacks running on the machine are not counted.
cpu_snapshot() {
  local f p
  for f in "$BENCH_STACK_DIR"/pids/*.pid; do
    if [ -r "$f" ]; then printf 'root %s %s\n' "$(basename "$f" .pid)" "$(cat "$f")"; fi
  done
  for p in /proc/[0-9]*; do
    # pid ppid utime+stime cutime+cstime (the command name may hold spaces)
    awk '{pid=$1; sub(/^.*\) /, ""); print "proc", pid, $2, $12+$13, $14+$15}' "$p/stat" 2>/dev/null || true  # gone meanwhile
  done
}
cpu_by_service() {
  awk '$1 == "root" {root[$3] = $2; next}
       {parent[$2] = $3; own[$2] = $4; reaped[$2] = $5}
       END {
         for (p in own) {
           q = p; n = 0
           while (!(q in root) && (q in parent) && n++ < 64) q = parent[q]
           if (!(q in root)) continue
           t[root[q]] += own[p]; if (p == q) t[root[q]] += reaped[p]
         }
         for (s in t) print s, t[s]
       }'
}
echo "# warm-up"; BENCH_NAME=warm BENCH_METHOD=GET wrk -t2 -c8 -d2s "$TELEMED_URL/healthz" >/dev/null
declare -A R
for c in 8 "$CONNS"; do
  R[floor$c]=$(run "floor-c$c" "$c" GET "$TELEMED_URL/healthz");        echo "${R[floor$c]}"
  R[get$c]=$(run "get-c$c" "$c" GET "$TELEMED_URL/sessions/$sid");      echo "${R[get$c]}"
done
cpu_snapshot | cpu_by_service > "$BENCH_STACK_DIR/cpu.before"
t0=$(date +%s.%N)
for c in 8 "$CONNS"; do
  R[post$c]=$(run "post-c$c" "$c" POST "$TELEMED_URL/sessions" "$body"); echo "${R[post$c]}"
done
t1=$(date +%s.%N)
cpu_snapshot | cpu_by_service > "$BENCH_STACK_DIR/cpu.after"
rm -f "$body"
posts=$(( $(field "${R[post8]}" requests) + $(field "${R[post$CONNS]}" requests) ))

echo
echo "SUMMARY (${DUR}s per run, $THREADS wrk threads, $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); goals from issues 2 and 17)"
for c in 8 "$CONNS"; do
  ratio=$(awk -v a="$(field "${R[get$c]}" rps)" -v b="$(field "${R[floor$c]}" rps)" 'BEGIN{printf "%.2f", a/b}')
  printf '  c=%-3s GET /sessions/<id>: %6s req/s = %sx floor (%s req/s, floor p99 %s ms), p99 %s ms  [goal >= 0.9x, p99 <= 2 ms]\n' \
    "$c" "$(field "${R[get$c]}" rps)" "$ratio" "$(field "${R[floor$c]}" rps)" "$(field "${R[floor$c]}" p99_ms)" \
    "$(field "${R[get$c]}" p99_ms)"
done
for c in 8 "$CONNS"; do
  printf '  c=%-3s POST /sessions:     %6s sessions/s, p99 %s ms, non-2xx %s  [goal >= 2000/s, p99 <= 20 ms]\n' \
    "$c" "$(field "${R[post$c]}" rps)" "$(field "${R[post$c]}" p99_ms)" "$(field "${R[post$c]}" non2xx)"
done
echo "  CPU per POST by service (ms; all POST runs, $posts requests; this stack's processes only, wrk not included):"
hz=$(getconf CLK_TCK)
join <(sort "$BENCH_STACK_DIR/cpu.before") <(sort "$BENCH_STACK_DIR/cpu.after") \
  | awk -v n="$posts" -v hz="$hz" '{printf "%s %.3f\n", $1, ($3-$2)/hz*1000/n}' > "$BENCH_STACK_DIR/cpu.per_post"
sort -k2 -nr "$BENCH_STACK_DIR/cpu.per_post" | awk '$2 >= 0.005 {printf "    %-18s %.3f\n", $1, $2}'
awk '{t += $2} END {printf "    %-18s %.3f  [goal <= 0.5 ms]\n", "total", t}' "$BENCH_STACK_DIR/cpu.per_post"
awk -v a="$t0" -v b="$t1" -v n="$posts" 'BEGIN{printf "  wall time of the POST runs: %.1f s\n", b-a}'
# Group commit of the creations (a build before it has no such metrics).
metrics=$(curl -s "$TELEMED_URL/metrics" || true)
rows=$(sed -n 's/^telemed_session_create_rows_total \([0-9]*\)$/\1/p' <<<"$metrics")
stmts=$(sed -n 's/^telemed_session_create_statements_total \([0-9]*\)$/\1/p' <<<"$metrics")
if [ -n "$rows" ] && [ -n "$stmts" ] && [ "$stmts" -gt 0 ]; then
  awk -v r="$rows" -v s="$stmts" 'BEGIN{printf "  group commit: %d sessions in %d statements (%.2f per statement)\n", r, s, r/s}'
fi
