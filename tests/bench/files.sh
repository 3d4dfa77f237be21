#!/usr/bin/env bash
# File sharing benchmark (prints figures; not a test). Starts a private
# stack, then with a 25 MiB file (the default file_max_bytes):
#   floor     cp of the file on the same disk as storage_dir, plus fsync of
#             the copy (an upload is fsynced before it is committed)
#   upload    POST /sessions/<id>/files (curl -T: streamed), MiB/s and ratio to the floor
#   download  GET /files/<id> to /dev/null, MiB/s and ratio to the floor
#   memory    the controller's peak RSS during one upload minus its RSS
#             before it (VmHWM after resetting it through clear_refs, and
#             VmRSS sampled every 5 ms as a cross-check)
# Best of RUNS runs each. Goals (issue 12): upload and download >= 0.3x the
# floor; peak RSS growth < 8 MiB (the body is streamed, never held whole).
#
# Usage: tests/bench/files.sh [runs]
#   BENCH_STACK_DIR  reuse/keep a stack dir (default: fresh temp dir, removed)
# Run it on a quiet machine; outside a network namespace the stack's default
# ports must be free (scripts/lib/netns.sh gives a private one).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${1:-3}
SIZE=$((25 * 1024 * 1024))

for t in curl jq awk; do command -v "$t" >/dev/null || { echo "$t missing" >&2; exit 1; }; done
[ -x build/controller/telemed-controller ] || { echo "build first (scripts/test unit or make -C build)" >&2; exit 1; }

OWN_DIR=0
if [ -z "${BENCH_STACK_DIR:-}" ]; then
  BENCH_STACK_DIR=$(mktemp -d /tmp/telemed-bench-files.XXXXXX)
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
# shellcheck disable=SC1091
set -a; . "$BENCH_STACK_DIR/stack.env"; set +a
STORAGE=$BENCH_STACK_DIR/data
[ -d "$STORAGE" ] || { echo "no storage folder at $STORAGE (storage_dir not set by scripts/lib/controller.sh?)" >&2; exit 1; }
pid=$(scripts/stackctl env 2>/dev/null | sed -n 's/^CONTROLLER_PID=//p' || true)
[ -n "$pid" ] || pid=${CONTROLLER_PID:-}
[ -n "$pid" ] && [ -d "/proc/$pid" ] || { echo "controller pid unknown" >&2; exit 1; }

key=(-H "Authorization: Bearer $TELEMED_API_KEY")
sid=$(curl -sf "${key[@]}" -H 'Content-Type: application/json' -d '{"kind":"consultation"}' "$TELEMED_URL/sessions" | jq -r .id)
curl -sf "${key[@]}" -X POST "$TELEMED_URL/sessions/$sid/start" >/dev/null
pidp=$(curl -sf "${key[@]}" -H 'Content-Type: application/json' -d '{"user_id":"bench","role":"doctor"}' \
  "$TELEMED_URL/sessions/$sid/participants" | jq -r .participant.id)

src=$STORAGE/bench-source.pdf
{ printf '%%PDF-1.7\n'; head -c $((SIZE - 9)) /dev/urandom; } >"$src"
[ "$(stat -c %s "$src")" = "$SIZE" ]

now() { date +%s.%N; }
mibs() { awk -v b="$SIZE" -v t="$1" 'BEGIN { printf "%.1f", b / 1048576 / t }'; }
best() { sort -g | head -1; }

floor_times=() up_times=() down_times=()
last_id=
for ((i = 0; i < RUNS; i++)); do
  t0=$(now); cp "$src" "$STORAGE/bench-copy"; sync "$STORAGE/bench-copy"; t1=$(now)
  floor_times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  rm -f "$STORAGE/bench-copy"
  out=$(curl -s -o "$BENCH_STACK_DIR/up.json" -w '%{http_code} %{time_total}' -T "$src" -X POST "${key[@]}" \
    -H 'Content-Type: application/pdf' -H 'Content-Disposition: attachment; filename="bench.pdf"' \
    "$TELEMED_URL/sessions/$sid/files?on_behalf_of=$pidp")
  [ "${out%% *}" = 201 ] || { echo "upload failed: $out $(cat "$BENCH_STACK_DIR/up.json")" >&2; exit 1; }
  up_times+=("${out#* }")
  last_id=$(jq -r .id "$BENCH_STACK_DIR/up.json")
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "${key[@]}" "$TELEMED_URL/files/$last_id")
  read -r code t n <<<"$out"
  [ "$code" = 200 ] && [ "$n" = "$SIZE" ] || { echo "download failed: $out" >&2; exit 1; }
  down_times+=("$t")
done
# The content is intact (the last upload).
curl -sf "${key[@]}" "$TELEMED_URL/files/$last_id" | cmp -s - "$src" || { echo "downloaded bytes differ" >&2; exit 1; }

floor=$(printf '%s\n' "${floor_times[@]}" | best)
up=$(printf '%s\n' "${up_times[@]}" | best)
down=$(printf '%s\n' "${down_times[@]}" | best)

# Memory: RSS before, then the peak during one more upload.
sleep 0.5
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
idle=$(rss_kib)
echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true  # resets VmHWM to the current RSS
peakfile=$BENCH_STACK_DIR/peak
( p=0; while [ -e "$BENCH_STACK_DIR/sampling" ]; do r=$(rss_kib); [ "$r" -gt "$p" ] && p=$r && echo "$p" >"$peakfile"; sleep 0.005; done ) &
touch "$BENCH_STACK_DIR/sampling"
sampler=$!
curl -s -o /dev/null -T "$src" -X POST "${key[@]}" -H 'Content-Type: application/pdf' \
  -H 'Content-Disposition: attachment; filename="bench.pdf"' "$TELEMED_URL/sessions/$sid/files?on_behalf_of=$pidp"
rm -f "$BENCH_STACK_DIR/sampling"
wait "$sampler" 2>/dev/null || true
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
sampled=$(cat "$peakfile" 2>/dev/null || echo "$idle")

echo "# files benchmark: 25 MiB file, best of $RUNS, storage on $(df --output=source "$STORAGE" | tail -1)"
printf 'floor     cp+fsync  %8s MiB/s  (%.3f s)\n' "$(mibs "$floor")" "$floor"
printf 'upload    POST      %8s MiB/s  (%.3f s)  ratio %.2fx floor (goal >= 0.3x)\n' "$(mibs "$up")" "$up" \
  "$(awk -v a="$floor" -v b="$up" 'BEGIN { print a / b }')"
printf 'download  GET       %8s MiB/s  (%.3f s)  ratio %.2fx floor (goal >= 0.3x)\n' "$(mibs "$down")" "$down" \
  "$(awk -v a="$floor" -v b="$down" 'BEGIN { print a / b }')"
printf 'memory    controller RSS idle %.1f MiB, peak during a 25 MiB upload %.1f MiB (VmHWM) / %.1f MiB (sampled): +%.1f MiB (goal < 8 MiB)\n' \
  "$(awk -v k="$idle" 'BEGIN { print k / 1024 }')" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" \
  "$(awk -v k="$sampled" 'BEGIN { print k / 1024 }')" \
  "$(awk -v a="$idle" -v h="$hwm" -v s="$sampled" 'BEGIN { m = h > s ? h : s; print (m - a) / 1024 }')"
