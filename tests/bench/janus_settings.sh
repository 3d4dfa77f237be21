#!/usr/bin/env bash
# Janus core settings against capacity (prints figures; never asserts): runs
# tests/bench/capacity.sh b1 at one load point once per configuration below,
# both plugins each time (same Janus, alternating), and prints Janus's CPU
# per forwarded packet for each, and the change against the first
# configuration (the stack's defaults, scripts/lib/janus.sh).
#
#   default     event_loops = one per core, twcc_period 200 ms (Janus's
#               default), min_nack_queue 200 ms, the event handler on with
#               stats every 5 s (as deployed)
#   loops1      event_loops = 1 (Janus pinned to one core: one loop thread)
#   loops0      event_loops = 0: a thread per handle (Janus's own default)
#   twcc1000    TWCC feedback every 1000 ms instead of 200
#   nackopt     nack_optimizations = true (NACK queue emptied on a keyframe)
#   nackq500    min_nack_queue = 500 ms
#   noevents    no event handler (no per-handle stats events to the controller)
#   combined    combine_media_stats = true (one stats event per handle)
#
# Usage: tests/bench/janus_settings.sh [config ...]   (default: all of them)
# Environment: BENCH_SETTINGS_POINT "rooms:size:senders" (40:2:2),
# BENCH_RUNS runs per plugin and configuration (2), BENCH_WINDOW (10), and
# whatever else capacity.sh reads. About 2.5 minutes per configuration.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

declare -A CONF=(
    [default]=""
    [loops1]="events=1 loops=1"
    [loops0]="set=general.event_loops=0"
    [twcc1000]="set=media.twcc_period=1000"
    [nackopt]="set=media.nack_optimizations=true"
    [nackq500]="set=media.min_nack_queue=500"
    [noevents]="events=0"
    [combined]="set=events.combine_media_stats=true"
)
ORDER=(default loops1 loops0 twcc1000 nackopt nackq500 noevents combined)
(( $# )) && ORDER=("$@")
for c in "${ORDER[@]}"; do
    [[ -v "CONF[$c]" ]] || { echo "janus_settings.sh: unknown configuration '$c' (${!CONF[*]})" >&2; exit 2; }
done
POINT=${BENCH_SETTINGS_POINT:-40:2:2}
[[ "$POINT" =~ ^[0-9]+:[0-9]+:[0-9]+$ ]] || { echo "janus_settings.sh: BENCH_SETTINGS_POINT is rooms:size:senders" >&2; exit 2; }
export BENCH_RUNS=${BENCH_RUNS:-2}

out=$(mktemp -d /tmp/telemed-bench-settings.XXXXXX)
trap 'rm -rf "$out"' EXIT
for c in "${ORDER[@]}"; do
    env=(BENCH_B1_POINTS="$POINT")
    for kv in ${CONF[$c]}; do
        case "$kv" in
            loops=*)  env+=(BENCH_JANUS_EVENT_LOOPS="${kv#loops=}") ;;
            events=*) env+=(BENCH_JANUS_EVENTS="${kv#events=}") ;;
            set=*)    env+=(BENCH_JANUS_SET="${kv#set=}") ;;
        esac
    done
    echo "== $c (${CONF[$c]:-stack defaults})" >&2
    env "${env[@]}" "$ROOT/tests/bench/capacity.sh" b1 >"$out/$c.txt" 2>"$out/$c.log" \
        || echo "   capacity.sh failed for $c: $(tail -n 3 "$out/$c.log" | tr '\n' ' ')" >&2
    grep -E '^[0-9]+x' "$out/$c.txt" >&2 || true
done

# The B1 table rows: point plugin runs µs/pkt Janus% ...
figure() { awk -v p="$2" '$2 == p { print $4; exit }' "$out/$1.txt" 2>/dev/null; }
cpu()    { awk -v p="$2" '$2 == p { print $5; exit }' "$out/$1.txt" 2>/dev/null; }
rel() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%+.0f %%", (a / b - 1) * 100 }'; }
echo
echo "===================== SUMMARY (tests/bench/janus_settings.sh; point $POINT, $BENCH_RUNS runs per plugin; $(nproc) cores) ====================="
echo "load: $(uptime | sed 's/.*load average/load average/'); Janus CPU per packet received by the peers (µs), Janus CPU %, change vs ${ORDER[0]}"
printf '%-10s %10s %8s %9s %10s %8s %9s\n' config telemed Janus% change videoroom Janus% change
base=${ORDER[0]}
for c in "${ORDER[@]}"; do
    t=$(figure "$c" telemed) v=$(figure "$c" videoroom)
    printf '%-10s %10s %8s %9s %10s %8s %9s\n' "$c" "${t:-n/a}" "$(cpu "$c" telemed)" "$(rel "$t" "$(figure "$base" telemed)")" \
        "${v:-n/a}" "$(cpu "$c" videoroom)" "$(rel "$v" "$(figure "$base" videoroom)")"
    echo "RESULT settings $c telemed_us_per_pkt ${t:-n/a} videoroom_us_per_pkt ${v:-n/a}"
done
