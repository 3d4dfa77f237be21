#!/usr/bin/env bash
# Capacity and cost per forwarded packet (prints figures; never asserts):
# janus.plugin.telemed against Janus's stock janus.plugin.videoroom loaded in
# the SAME Janus (same core config, same media, alternating runs), driven by
# the pion load client tests/bench/loadgen (built from Debian packages).
#
#   b1     CPU per forwarded packet: Janus CPU-seconds / RTP packets received
#          by all peers, at 20/40/60 x 1:1 A/V, 20 x 1-to-4, 10 x 1-to-19
#          (BENCH_B1_POINTS; 80 and 160 x 1:1 overload the client's core on
#          a 2-core machine, see tests/bench/README.md); ratio
#          telemed/videoroom (goal <= 0.90 for 1:1, <= 1.00 fan-out)
#   b2     capacity: the most 1:1 A/V consultations one core carries with
#          loss < 1 % and jitter p95 < 30 ms, per plugin (ramp x2 then
#          bisection; each step's verdict the majority of BENCH_B2_TRIES
#          runs, Janus restarted before each run);
#          ratio telemed/videoroom (goal >= 1.15). A step where the client
#          used more than 85 % of its core counts as failed and is marked
#          "client-bound": the capacity is then a lower bound. The client
#          spends more CPU per packet than Janus does (it encrypts, sends,
#          receives and decrypts each packet as Janus does, in Go), so on 2
#          cores it runs out first: during B2 Janus is held to
#          BENCH_B2_QUOTA % of its core by a CPU cgroup (cfs quota per 10 ms
#          period), and the per-core capacity printed is N / quota (an
#          extrapolation; the ratio between the plugins is what is compared).
#   storm  100 participants joining within 10 s, each into a 1:1 room whose
#          host already sends (the joiner receives only, BENCH_STORM_SENDERS=2
#          makes it send too): p50/p95 join -> first packet received and
#          failures (goal 0 failures, p95 <= 2 s); telemed, then videoroom
#   all    the three (default)
#   profile  perf (cpu-clock samples, no call graphs) of Janus during a B1
#          window at BENCH_PROFILE_POINT, once per plugin: the share of
#          Janus's samples per shared object (the plugin's .so, the janus
#          binary, libsrtp2, NSS, GLib, libnice, libc, the kernel) and the
#          top symbols, with the µs per packet each share stands for. Not
#          part of `all`.
#
# Usage (root, Debian 12, after a build: scripts/test unit or make in ./build):
#   tests/bench/capacity.sh [b1|b2|storm|all|profile]
# A private network namespace (scripts/lib/netns.sh), a private stack in it
# (scripts/stackctl, TELEMED_JANUS_EXTRA_PLUGINS=videoroom), Janus pinned to
# CPU 0 (taskset -a on the PID in stack.env, again after every restart) and
# the load client to CPU 1. Janus is restarted before every run. Janus's CPU
# is its threads' run time (/proc/<pid>/task/*/schedstat), read by the load
# client at both ends of its window.
#
# Environment:
#   BENCH_RUNS           runs per plugin and B1 point (3); medians printed
#   BENCH_WINDOW         seconds per measuring window (10)
#   BENCH_WARMUP         seconds between the last join and the window (5)
#   BENCH_B1_POINTS      "rooms:size:senders ..." ("20:2:2 40:2:2 60:2:2 20:5:1 10:20:1")
#   BENCH_B2_START       first N of the ramp (10)     BENCH_B2_MAX   upper bound (320)
#   BENCH_B2_WINDOW      seconds per B2 step (10)
#   BENCH_B2_QUOTA       % of one core Janus may use during B2 (40; 100: no limit)
#   BENCH_B2_TRIES       runs per B2 step, verdict by majority (3; odd, 1 = one run)
#   BENCH_STORM          participants (100)           BENCH_STORM_OVER  seconds (10)
#   BENCH_STORM_PLUGINS  "telemed videoroom"
#   BENCH_PROFILE_POINT  "rooms:size:senders" profiled (10:20:1, the fan-out point)
#   BENCH_PROFILE_WINDOW seconds sampled per plugin (20)
#   BENCH_PROFILE_QUOTA  % of one core Janus may use while profiled (100: no limit)
#   BENCH_STORM_SIZE     room size, host included (2)  BENCH_STORM_SENDERS  senders per room (1)
#   BENCH_JANUS_EVENT_LOOPS  Janus event_loops (scripts/lib/janus.sh default: one per core)
#   BENCH_JANUS_EVENTS   0: no event handler (default 1, as deployed)
#   BENCH_JANUS_SET      more janus.jcfg settings, "section.key=value ..."
#                        (TELEMED_JANUS_SET; tests/bench/janus_settings.sh)
#   TELEMED_BUILD_DIR    binaries measured (./build); or TELEMED_PLUGIN_SO
#   BENCH_KEEP=1         keep the work folder (run JSONs, stack logs)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

num_or_die() { [[ "$2" =~ ^[0-9]+$ ]] || { echo "capacity.sh: $1 must be a number (got '$2')" >&2; exit 2; }; }

RUNS=${BENCH_RUNS:-3};            num_or_die BENCH_RUNS "$RUNS"
WINDOW=${BENCH_WINDOW:-10};       num_or_die BENCH_WINDOW "$WINDOW"
WARMUP=${BENCH_WARMUP:-5};        num_or_die BENCH_WARMUP "$WARMUP"
B2_START=${BENCH_B2_START:-10};   num_or_die BENCH_B2_START "$B2_START"
B2_MAX=${BENCH_B2_MAX:-320};      num_or_die BENCH_B2_MAX "$B2_MAX"
B2_WINDOW=${BENCH_B2_WINDOW:-10}; num_or_die BENCH_B2_WINDOW "$B2_WINDOW"
B2_QUOTA=${BENCH_B2_QUOTA:-40};   num_or_die BENCH_B2_QUOTA "$B2_QUOTA"
B2_TRIES=${BENCH_B2_TRIES:-3};    num_or_die BENCH_B2_TRIES "$B2_TRIES"
STORM=${BENCH_STORM:-100};        num_or_die BENCH_STORM "$STORM"
STORM_OVER=${BENCH_STORM_OVER:-10}; num_or_die BENCH_STORM_OVER "$STORM_OVER"
B1_POINTS=${BENCH_B1_POINTS:-"20:2:2 40:2:2 60:2:2 20:5:1 10:20:1"}
PROFILE_POINT=${BENCH_PROFILE_POINT:-"10:20:1"}
PROFILE_WINDOW=${BENCH_PROFILE_WINDOW:-20}; num_or_die BENCH_PROFILE_WINDOW "$PROFILE_WINDOW"
PROFILE_QUOTA=${BENCH_PROFILE_QUOTA:-100}; num_or_die BENCH_PROFILE_QUOTA "$PROFILE_QUOTA"
[[ "$PROFILE_POINT" =~ ^[0-9]+:[0-9]+:[0-9]+$ ]] || { echo "capacity.sh: BENCH_PROFILE_POINT is not rooms:size:senders" >&2; exit 2; }
STORM_PLUGINS=${BENCH_STORM_PLUGINS:-"telemed videoroom"}
STORM_SIZE=${BENCH_STORM_SIZE:-2};       num_or_die BENCH_STORM_SIZE "$STORM_SIZE"
STORM_SENDERS=${BENCH_STORM_SENDERS:-1}; num_or_die BENCH_STORM_SENDERS "$STORM_SENDERS"
for p in $B1_POINTS; do
    [[ "$p" =~ ^[0-9]+:[0-9]+:[0-9]+$ ]] || { echo "capacity.sh: BENCH_B1_POINTS item '$p' is not rooms:size:senders" >&2; exit 2; }
done
for p in $STORM_PLUGINS; do
    [[ "$p" == telemed || "$p" == videoroom ]] || { echo "capacity.sh: BENCH_STORM_PLUGINS: telemed|videoroom" >&2; exit 2; }
done
(( RUNS >= 1 && RUNS <= 20 && WINDOW >= 2 && PROFILE_WINDOW >= 2 && B2_WINDOW >= 2 && B2_START >= 1 && B2_MAX >= B2_START && B2_MAX <= 1000 \
   && B2_QUOTA >= 5 && B2_QUOTA <= 100 && PROFILE_QUOTA >= 5 && PROFILE_QUOTA <= 100 && B2_TRIES >= 1 && B2_TRIES % 2 == 1 && B2_TRIES <= 9 )) \
    || { echo "capacity.sh: BENCH_RUNS 1..20, windows >= 2, 1 <= B2_START <= B2_MAX <= 1000, BENCH_B2_QUOTA and BENCH_PROFILE_QUOTA 5..100, BENCH_B2_TRIES odd 1..9" >&2; exit 2; }

# ------------------------------------------------------------ inner phase
if [[ "${1:-}" == __inner ]]; then
    what="$2" work="$3"
    export TELEMED_STACK_DIR="$work/stack"
    export TELEMED_JANUS_EXTRA_PLUGINS="videoroom"
    # One Janus port per PeerConnection: 160 x 1:1 in VideoRoom is 640.
    export TELEMED_RTP_PORT_RANGE="${TELEMED_RTP_PORT_RANGE:-20000-40000}"
    # Rooms: the plugin's default max_rooms (1000) and max_participants_per_room
    # (50) cover every load here; raised anyway for BENCH_B2_MAX.
    export TELEMED_PLUGIN_MAX_ROOMS="${TELEMED_PLUGIN_MAX_ROOMS:-2000}"
    [[ -n "${BENCH_JANUS_EVENT_LOOPS:-}" ]] && export TELEMED_JANUS_EVENT_LOOPS="$BENCH_JANUS_EVENT_LOOPS"
    [[ -n "${BENCH_JANUS_EVENTS:-}" ]] && export TELEMED_JANUS_EVENTS="$BENCH_JANUS_EVENTS"
    [[ -n "${BENCH_JANUS_SET:-}" ]] && export TELEMED_JANUS_SET="$BENCH_JANUS_SET"
    LOADGEN="$work/loadgen"
    janus_pid() { sed -n 's/^JANUS_PID=//p' "$TELEMED_STACK_DIR/stack.env"; }

    # A CPU cgroup that holds Janus to QUOTA % of one core (B2): cgroup v2
    # (cpu.max) or v1 (cpu.cfs_quota_us), 10 ms periods so a throttled Janus
    # stalls at most a few ms. JANUS_CG is empty when no limit applies.
    JANUS_CG="" CG_PARENT_PROCS=""
    cg_create() {
        local quota_us=$(( $1 * 100 )) name="telemed-bench-$$"
        if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
            grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null \
                || echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || return 1
            mkdir -p "/sys/fs/cgroup/$name" && echo "$quota_us 10000" >"/sys/fs/cgroup/$name/cpu.max" || return 1
            JANUS_CG="/sys/fs/cgroup/$name" CG_PARENT_PROCS=/sys/fs/cgroup/cgroup.procs
        elif [[ -d /sys/fs/cgroup/cpu ]]; then
            mkdir -p "/sys/fs/cgroup/cpu/$name" || return 1
            echo 10000 >"/sys/fs/cgroup/cpu/$name/cpu.cfs_period_us" \
                && echo "$quota_us" >"/sys/fs/cgroup/cpu/$name/cpu.cfs_quota_us" || return 1
            JANUS_CG="/sys/fs/cgroup/cpu/$name" CG_PARENT_PROCS=/sys/fs/cgroup/cpu/cgroup.procs
        else
            return 1
        fi
    }
    cg_remove() {
        [[ -n "$JANUS_CG" ]] || return 0
        local p
        while read -r p; do echo "$p" >"$CG_PARENT_PROCS" 2>/dev/null || true; done <"$JANUS_CG/cgroup.procs"
        rmdir "$JANUS_CG" 2>/dev/null || true
        JANUS_CG=""
    }
    # Seconds Janus's cgroup was throttled so far (v1 ns, v2 µs), for the log.
    cg_throttled_s() {
        [[ -n "$JANUS_CG" ]] || { echo 0; return; }
        awk '$1 == "throttled_time" { printf "%.2f", $2 / 1e9 } $1 == "throttled_usec" { printf "%.2f", $2 / 1e6 }' "$JANUS_CG/cpu.stat"
    }

    # The stack (stopped, and the cgroup removed, on exit).
    # shellcheck disable=SC2317  # called by the EXIT trap
    stop_stack() { cg_remove; "$ROOT/scripts/stackctl" stop >/dev/null 2>&1 || true; }
    trap stop_stack EXIT
    "$ROOT/scripts/stackctl" start >/dev/null \
        || { echo "stack start failed (logs: $TELEMED_STACK_DIR/logs)" >&2; exit 1; }
    mkdir -p "$work/runs"

    # A fresh Janus for every run, pinned with all its threads to CPU 0.
    fresh_janus() {
        "$ROOT/scripts/stackctl" restart-janus >/dev/null \
            || { echo "janus restart failed (log: $TELEMED_STACK_DIR/logs/janus.log)" >&2; return 1; }
        local pid; pid=$(janus_pid)
        [[ "$pid" =~ ^[0-9]+$ ]] || { echo "no JANUS_PID in stack.env" >&2; return 1; }
        taskset -a -p -c 0 "$pid" >/dev/null
        if [[ -n "$JANUS_CG" ]]; then echo "$pid" >"$JANUS_CG/cgroup.procs"; fi
    }

    # run LABEL PLUGIN WINDOW ARGS...: one loadgen run into runs/LABEL.json.
    # With PERF=1, perf samples Janus during the window into runs/LABEL.perf.
    PERF=0
    run() {
        local label="$1" plugin="$2" window="$3"; shift 3
        fresh_janus || return 1
        local rc=0 lg
        echo "-- $label ($plugin $*)" >&2
        timeout --kill-after=10 $(( 300 + window + WARMUP )) \
            taskset -c 1 "$LOADGEN" --stack "$TELEMED_STACK_DIR" --plugin "$plugin" \
                --janus-pid "$(janus_pid)" --warmup "$WARMUP" --window "$window" "$@" \
                >"$work/runs/$label.json" 2>"$work/runs/$label.log" &
        lg=$!
        if (( PERF )); then
            # The window opens WARMUP s after the client logs its warm-up.
            while ! grep -q 'warm-up' "$work/runs/$label.log" 2>/dev/null && kill -0 "$lg" 2>/dev/null; do sleep 0.2; done
            if kill -0 "$lg" 2>/dev/null; then
                sleep "$WARMUP"
                taskset -c 1 perf record -q -e cpu-clock -F 1999 -p "$(janus_pid)" -o "$work/runs/$label.perf" \
                    -- sleep $(( window - 1 )) >/dev/null 2>&1 \
                    || echo "   perf record failed for $label" >&2
            fi
        fi
        wait "$lg" || rc=$?
        if (( rc != 0 )); then
            echo "   run $label failed (exit $rc): $(tail -n 3 "$work/runs/$label.log" | tr '\n' ' ')" >&2
            jq -c '{failures, failure_sample, srtp}' "$work/runs/$label.json" 2>/dev/null >&2 || true
        fi
        return "$rc"
    }

    rc=0
    if [[ "$what" == all || "$what" == b1 ]]; then
        echo "== B1: CPU per forwarded packet ($RUNS runs per plugin and point, ${WINDOW} s windows)" >&2
        for pt in $B1_POINTS; do
            IFS=: read -r rooms size senders <<<"$pt"
            for (( i = 1; i <= RUNS; i++ )); do
                order="telemed videoroom"; (( i % 2 == 0 )) && order="videoroom telemed"
                for plugin in $order; do
                    run "b1-$rooms-$size-$senders-$plugin-$i" "$plugin" "$WINDOW" \
                        --rooms "$rooms" --size "$size" --senders "$senders" || rc=1
                done
            done
        done
    fi
    if [[ "$what" == all || "$what" == b2 ]]; then
        echo "== B2: 1:1 A/V capacity (loss < 1 %, jitter p95 < 30 ms; ${B2_WINDOW} s per step)" >&2
        # A step passes when the run is valid, loss < 1 % and jitter p95 < 30 ms.
        passes() {
            jq -e '.valid and .window.loss_pct != null and .window.loss_pct < 1
                   and .window.jitter_ms.p95 != null and .window.jitter_ms.p95 < 30' "$1" >/dev/null 2>&1
        }
        client_bound() { jq -e '.window.client.cpu_pct != null and .window.client.cpu_pct > 85' "$1" >/dev/null 2>&1; }
        if (( B2_QUOTA < 100 )); then
            cg_create "$B2_QUOTA" || { echo "capacity.sh: no CPU cgroup to hold Janus to $B2_QUOTA % (cgroup v1 cpu or v2 cpu.max)" >&2; exit 1; }
            echo "   Janus held to $B2_QUOTA % of CPU 0 ($JANUS_CG)" >&2
        fi
        declare -A bound=([telemed]="" [videoroom]="")
        declare -A lo=([telemed]=0 [videoroom]=0) hi=([telemed]=0 [videoroom]=0) n=([telemed]=$B2_START [videoroom]=$B2_START)
        step=0
        while :; do
            step=$((step + 1))
            active=0
            order="telemed videoroom"; (( step % 2 == 0 )) && order="videoroom telemed"
            for plugin in $order; do
                N=${n[$plugin]}
                (( N > 0 )) || continue
                active=1
                # The step's verdict is the majority of up to B2_TRIES runs
                # (it stops as soon as one side has the majority); a try
                # whose client was CPU-bound counts as failed, and the step
                # is client-bound when it fails with such a try among them.
                # runs/b2-PLUGIN-N.json is a try that agrees with the verdict.
                npass=0 nfail=0 cb=0
                for (( t = 1; t <= B2_TRIES; t++ )); do
                    label="b2-$plugin-$N-try$t"
                    run "$label" "$plugin" "$B2_WINDOW" --rooms "$N" --size 2 --senders 2 || true
                    if client_bound "$work/runs/$label.json"; then
                        tv=client-bound; cb=1; nfail=$((nfail + 1))
                    elif passes "$work/runs/$label.json"; then tv=pass; npass=$((npass + 1))
                    else tv=fail; nfail=$((nfail + 1)); fi
                    jq -r --arg v "$tv" --arg t "$t" '"   \(.plugin) N=\(.rooms) try \($t): \($v)  loss \(.window.loss_pct // "n/a") %  jitter p95 \(.window.jitter_ms.p95 // "n/a") ms  Janus \(.window.janus.cpu_pct // "n/a") %  client \(.window.client.cpu_pct // "n/a") %"' \
                        "$work/runs/$label.json" >&2 2>/dev/null || echo "   $plugin N=$N try $t: $tv (no figures)" >&2
                    if [[ "$tv" == pass ]]; then ok_label=$label; else bad_label=$label; fi
                    (( npass * 2 > B2_TRIES || nfail * 2 > B2_TRIES )) && break
                done
                if (( npass * 2 > B2_TRIES )); then
                    verdict=pass; lo[$plugin]=$N; cp "$work/runs/$ok_label.json" "$work/runs/b2-$plugin-$N.json"
                else
                    hi[$plugin]=$N; cp "$work/runs/$bad_label.json" "$work/runs/b2-$plugin-$N.json" 2>/dev/null || true
                    if (( cb )); then verdict=client-bound; bound[$plugin]=$N; else verdict=fail; fi
                fi
                echo "   $plugin N=$N: $verdict ($npass of $((npass + nfail)) tries passed; Janus throttled $(cg_throttled_s) s so far)" >&2
                l=${lo[$plugin]} h=${hi[$plugin]}
                if (( h == 0 )); then
                    next=$(( l * 2 )); (( next > B2_MAX )) && next=$B2_MAX
                    (( l >= B2_MAX )) && next=0
                else
                    # Bisect until the bracket is within 10 % (at least 4).
                    gap=$(( l / 10 )); (( gap < 4 )) && gap=4
                    if (( h - l <= gap )); then next=0; else next=$(( (l + h) / 2 )); fi
                fi
                n[$plugin]=$next
            done
            (( active )) || break
        done
        cg_remove
        for plugin in telemed videoroom; do
            echo "B2 $plugin ${lo[$plugin]} ${hi[$plugin]} ${bound[$plugin]:-}" >>"$work/b2.result"
        done
    fi
    if [[ "$what" == profile ]]; then
        IFS=: read -r rooms size senders <<<"$PROFILE_POINT"
        echo "== profile: perf of Janus at $rooms rooms of $size, $senders sender(s) each, ${PROFILE_WINDOW} s" >&2
        if (( PROFILE_QUOTA < 100 )); then
            cg_create "$PROFILE_QUOTA" || { echo "capacity.sh: no CPU cgroup to hold Janus to $PROFILE_QUOTA %" >&2; exit 1; }
            echo "   Janus held to $PROFILE_QUOTA % of CPU 0 ($JANUS_CG)" >&2
        fi
        PERF=1
        for plugin in telemed videoroom; do
            run "profile-$plugin" "$plugin" "$PROFILE_WINDOW" --rooms "$rooms" --size "$size" --senders "$senders" || rc=1
        done
        PERF=0
        cg_remove
    fi
    if [[ "$what" == all || "$what" == storm ]]; then
        echo "== storm: $STORM participants joining over $STORM_OVER s" >&2
        for plugin in $STORM_PLUGINS; do
            run "storm-$plugin" "$plugin" 2 --storm "$STORM" --storm-over "$STORM_OVER" \
                --size "$STORM_SIZE" --senders "$STORM_SENDERS" \
                --max-failures "$STORM" || rc=1
        done
    fi
    exit "$rc"
fi

# ------------------------------------------------------------ outer phase
what="${1:-all}"
case "$what" in all|b1|b2|storm|profile) ;; *) sed -n '2,66p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac
(( EUID == 0 )) || { echo "capacity.sh: needs root (network namespace)" >&2; exit 1; }
need=(janus ffmpeg ip jq curl taskset); [[ "$what" == profile ]] && need+=(perf)
for c in "${need[@]}"; do
    command -v "$c" >/dev/null || { echo "capacity.sh: '$c' missing: run scripts/setup-deps (perf: apt-get install linux-perf)" >&2; exit 1; }
done
(( $(nproc) >= 2 )) || echo "capacity.sh: fewer than 2 cores: Janus and the client share one" >&2
BUILD_DIR="${TELEMED_BUILD_DIR:-$ROOT/build}"
export TELEMED_BUILD_DIR="$BUILD_DIR"
[[ -f "${TELEMED_PLUGIN_SO:-$BUILD_DIR/plugin/.libs/libjanus_telemed.so}" && \
   -x "${TELEMED_CONTROLLER_BIN:-$BUILD_DIR/controller/telemed-controller}" ]] \
    || { echo "capacity.sh: build first (make in $BUILD_DIR, or scripts/test unit)" >&2; exit 1; }

work=$(mktemp -d /tmp/telemed-bench-capacity.XXXXXX)
chmod 755 "$work"
# shellcheck source=../../scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
    netns_delete
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "kept: $work (runs: $work/runs, stack logs: $work/stack/logs)" >&2
    else rm -rf "$work"; fi
}
trap finish EXIT

echo "== building the load client" >&2
"$ROOT/tests/bench/loadgen/build.sh" "$work/loadgen" >&2
netns_create
started=$(date +%s)
rc=0
# nsenter --net only: `ip netns exec` would remount /sys and hide the cgroup
# file system that B2 needs.
netns_enter "$0" __inner "$what" "$work" || rc=$?
took=$(( $(date +%s) - started ))

# ------------------------------------------------------------ summary
# med FILES… JQ: the median of one figure over run files (n/a when none).
med() {
    local expr="${*: -1}"
    local -a files=("${@:1:$#-1}")
    (( ${#files[@]} )) || { echo n/a; return; }
    jq -s -r "[.[] | select(.valid) | $expr | select(. != null)] | sort |
        if length == 0 then \"n/a\" elif length % 2 == 1 then .[length/2|floor]
        else (.[length/2-1] + .[length/2]) / 2 end" "${files[@]}" 2>/dev/null || echo n/a
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
fmt() { awk -v a="$1" -v d="${2:-1}" 'BEGIN { if (a == "n/a") print a; else printf "%.*f", d, a }'; }

echo
echo "===================== SUMMARY (tests/bench/capacity.sh $what; $(nproc) cores; ${took} s) ====================="
echo "janus $(janus --version 2>/dev/null | awk '/version/ {print $NF; exit}'), plugin ${TELEMED_PLUGIN_SO:-$BUILD_DIR/plugin/.libs/libjanus_telemed.so}," \
     "load: $(uptime | sed 's/.*load average/load average/')"
echo "Janus pinned to CPU 0, load client to CPU 1; pion $(dpkg-query -W -f='${Version}' golang-github-pion-webrtc.v3-dev 2>/dev/null), AES-GCM SRTP checked on every handle"
shopt -s nullglob
if [[ "$what" == all || "$what" == b1 ]]; then
    echo
    echo "B1: Janus CPU per packet received by the peers (median of runs; µs/pkt = Janus CPU-µs / RTP packets received)"
    printf '%-14s %-9s %5s %8s %7s %8s %8s %7s %8s %8s %9s\n' point plugin runs µs/pkt Janus% tx_pps rx_pps loss% jit95ms client% cl_µs/pkt
    for pt in $B1_POINTS; do
        IFS=: read -r rooms size senders <<<"$pt"
        case "$size:$senders" in 2:2) name="${rooms}x1:1" ;; *) name="${rooms}x1-to-$((size - 1))" ;; esac
        declare -A us=()
        for plugin in telemed videoroom; do
            files=("$work/runs/b1-$rooms-$size-$senders-$plugin-"*.json)
            valid=$(jq -s '[.[] | select(.valid)] | length' "${files[@]}" 2>/dev/null || echo 0)
            us[$plugin]=$(med "${files[@]}" '.window.janus.us_per_rx_packet')
            printf '%-14s %-9s %5s %8s %7s %8s %8s %7s %8s %8s %9s\n' "$name" "$plugin" "$valid/${#files[@]}" \
                "$(fmt "${us[$plugin]}" 2)" "$(fmt "$(med "${files[@]}" '.window.janus.cpu_pct')")" \
                "$(fmt "$(med "${files[@]}" '.window.tx_pps')" 0)" \
                "$(fmt "$(med "${files[@]}" '.window.rx_pps')" 0)" "$(fmt "$(med "${files[@]}" '.window.loss_pct')" 3)" \
                "$(fmt "$(med "${files[@]}" '.window.jitter_ms.p95')" 2)" "$(fmt "$(med "${files[@]}" '.window.client.cpu_pct')")" \
                "$(fmt "$(med "${files[@]}" '.window.client.us_per_packet')" 2)"
        done
        goal="<= 0.90"; [[ "$size" != 2 ]] && goal="<= 1.00"
        echo "RESULT b1 $name ratio telemed/videoroom $(ratio "${us[telemed]}" "${us[videoroom]}") (goal $goal)"
        unset us
    done
    echo "(client% above ~85: the client, not Janus, limited the load; compare tx_pps with the nominal ~143 pps per sender)"
fi
if [[ "$what" == all || "$what" == b2 ]] && [[ -s "$work/b2.result" ]]; then
    echo
    echo "B2: 1:1 A/V consultations carried with loss < 1 % and jitter p95 < 30 ms (largest passing N; first failing N)," \
         "Janus held to $B2_QUOTA % of a core"
    declare -A cap=()
    while read -r _ plugin l h cb; do
        cap[$plugin]=$l
        f="$work/runs/b2-$plugin-$l.json"
        extra=""
        [[ -s "$f" ]] && extra=$(jq -r '"at N=\(.rooms): Janus \(.window.janus.cpu_pct) %, rx \(.window.rx_pps) pps, loss \(.window.loss_pct) %, jitter p95 \(.window.jitter_ms.p95) ms, client \(.window.client.cpu_pct) %"' "$f" 2>/dev/null || true)
        printf '  %-9s %4s (fails at %s%s)  %s\n' "$plugin" "$l" "$([[ "$h" == 0 ]] && echo "none up to $B2_MAX" || echo "$h")" \
            "${cb:+; client-bound at $cb: a lower bound}" "$extra"
    done <"$work/b2.result"
    per_core() { awk -v n="$1" -v q="$B2_QUOTA" 'BEGIN { if (n == "n/a" || n == "") print "n/a"; else printf "%d", n * 100 / q }'; }
    echo "RESULT b2 capacity telemed ${cap[telemed]:-n/a} videoroom ${cap[videoroom]:-n/a} at $B2_QUOTA % of a core" \
         "(per core ~$(per_core "${cap[telemed]:-n/a}") / ~$(per_core "${cap[videoroom]:-n/a}"))" \
         "ratio $(ratio "${cap[telemed]:-n/a}" "${cap[videoroom]:-n/a}") (goal >= 1.15)"
fi
if [[ "$what" == all || "$what" == storm ]]; then
    echo
    echo "storm: $STORM participants joining over $STORM_OVER s into rooms of $STORM_SIZE whose host already sends ($STORM_SENDERS sender(s) per room)"
    for plugin in $STORM_PLUGINS; do
        f="$work/runs/storm-$plugin.json"
        [[ -s "$f" ]] || { echo "  $plugin: no result"; continue; }
        jq -r '"  \(.plugin): join -> first packet p50 \(.join_to_first_packet_ms.p50) ms p95 \(.join_to_first_packet_ms.p95) ms max \(.join_to_first_packet_ms.max) ms (n=\(.join_to_first_packet_ms.n)); first video p50 \(.join_to_first_video_ms.p50) p95 \(.join_to_first_video_ms.p95) ms; connected p95 \(.storm.join_to_connected_ms.p95) ms; failures \(.failures)\(if .failure_sample then " e.g. " + (.failure_sample[0]) else "" end)"' "$f"
        echo "RESULT storm $plugin p95 $(jq -r '.join_to_first_packet_ms.p95' "$f") ms failures $(jq -r '.failures' "$f") (goal p95 <= 2000 ms, 0 failures)"
    done
fi
if [[ "$what" == profile ]]; then
    IFS=: read -r rooms size senders <<<"$PROFILE_POINT"
    echo
    echo "profile: Janus's cpu-clock samples during one ${PROFILE_WINDOW} s window at $rooms rooms of $size ($senders sender(s) each)$( (( PROFILE_QUOTA < 100 )) && echo ", Janus held to $PROFILE_QUOTA % of a core");" \
         "µs/pkt = the share x Janus CPU-µs per received packet"
    for plugin in telemed videoroom; do
        f="$work/runs/profile-$plugin.perf" j="$work/runs/profile-$plugin.json"
        [[ -s "$f" && -s "$j" ]] || { echo "  $plugin: no profile"; continue; }
        us=$(jq -r '.window.janus.us_per_rx_packet // "n/a"' "$j")
        echo
        echo "  $plugin: Janus $(fmt "$us" 2) µs per received packet, $(jq -r '.window.janus.cpu_pct // "n/a"' "$j") % CPU, loss $(jq -r '.window.loss_pct // "n/a"' "$j") %"
        echo "    by shared object (>= 0.5 %):"
        perf report -i "$f" --stdio --sort dso --percent-limit 0.5 2>/dev/null | awk -v us="$us" '
            /^ +[0-9.]+%/ { p = $1; sub(/%/, "", p); $1 = ""; sub(/^ /, "");
                printf "      %6.2f %%  %6s µs/pkt  %s\n", p, (us == "n/a" ? "n/a" : sprintf("%.2f", p * us / 100)), $0 }'
        echo "    top symbols (>= 1 %):"
        perf report -i "$f" --stdio --sort dso,sym --percent-limit 1 2>/dev/null | awk '
            /^ +[0-9.]+%/ { n++; if (n <= 25) { sub(/^ +/, ""); print "      " $0 } }'
    done
fi
(( rc == 0 )) || echo "some run failed (exit $rc): see the messages above (BENCH_KEEP=1 keeps the run logs)" >&2
exit "$rc"
