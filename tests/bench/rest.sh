#!/usr/bin/env bash
# REST benchmark (prints figures; not a test). Starts a private stack, then
# runs wrk against:
#   floor  GET  /healthz          (same binary, no DB work)
#   get    GET  /sessions/<id>    (one session with two participants)
#   post   POST /sessions         (creates a session: Postgres txn + Janus room)
# and prints throughput and latency, with GET as a ratio of the floor.
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

run() { # name method url [body]
  BENCH_NAME=$1 BENCH_METHOD=$2 BENCH_API_KEY=$TELEMED_API_KEY BENCH_BODY_FILE=${4:-} \
    wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --timeout 5s -s "$ROOT/tests/bench/wrk_report.lua" "$3" \
    | grep '^RESULT'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

echo "# warm-up"; BENCH_NAME=warm BENCH_METHOD=GET wrk -t2 -c8 -d2s "$TELEMED_URL/healthz" >/dev/null
floor=$(run floor GET "$TELEMED_URL/healthz");            echo "$floor"
get=$(run get GET "$TELEMED_URL/sessions/$sid");          echo "$get"
post=$(run post POST "$TELEMED_URL/sessions" "$body");    echo "$post"
rm -f "$body"

ratio=$(awk -v a="$(field "$get" rps)" -v b="$(field "$floor" rps)" 'BEGIN{printf "%.2f", a/b}')
echo
echo "SUMMARY (${DUR}s per run, $CONNS connections, $THREADS wrk threads, $(nproc) cores)"
printf '  GET /sessions/<id>: %s req/s = %sx floor (%s req/s), p99 %s ms   [goal >= 0.5x, p99 <= 2 ms]\n' \
  "$(field "$get" rps)" "$ratio" "$(field "$floor" rps)" "$(field "$get" p99_ms)"
printf '  POST /sessions:     %s sessions/s, p99 %s ms, non-2xx %s   [goal >= 2000/s, p99 <= 20 ms]\n' \
  "$(field "$post" rps)" "$(field "$post" p99_ms)" "$(field "$post" non2xx)"
