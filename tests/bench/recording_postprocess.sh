#!/usr/bin/env bash
# Recording post-processing benchmark (prints figures; not a test). A
# 1:1 consultation of SECONDS (default 600: 10 minutes) is synthesized as
# Janus .mjr files (tests/bench/mjr_synth.py: VP8 640x480 30 fps + Opus per
# participant; cached in /tmp/telemed-bench-rec-<seconds>/), put into a
# private stack's recordings_dir with its manifest.json, consents and a
# `stopped` recordings row, exactly as the plugin and the controller leave a
# stopped recording; then the controller's job (this build) processes it.
# Prints:
#   stop -> available  from the row's insertion to state available (includes
#                      the job's poll, at most 1 s)
#   x real time        that latency / the media duration (goal <= 0.2)
#   outputs            kinds, sizes, durations
# Runs in a private network namespace (scripts/lib/netns.sh) with its own
# stack, stopped at the end. Usage: tests/bench/recording_postprocess.sh [seconds]
#   MJR_SYNTH_READRATE  pacing of the synthesis (x real time, default 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SECS=${1:-600}

if [[ "${1:-}" != __inner && "${2:-}" != __inner ]]; then
  for t in curl jq python3 ffmpeg; do command -v "$t" >/dev/null || { echo "$t missing" >&2; exit 1; }; done
  [ -x build/controller/telemed-controller ] || { echo "build first (scripts/test unit or make -C build)" >&2; exit 1; }
  CACHE=/tmp/telemed-bench-rec-$SECS
  D=aaaaaaaa-aaaa-4aaa-8aaa-00000000000d
  P=aaaaaaaa-aaaa-4aaa-8aaa-00000000000b
  START_US=1800000000000000
  if [ ! -f "$CACHE/done" ]; then
    echo "synthesizing ${SECS} s of media for two participants into $CACHE (once)..."
    rm -rf "$CACHE"; mkdir -p "$CACHE"
    python3 tests/bench/mjr_synth.py "$CACHE" "$D" "$SECS" "$START_US" &
    python3 tests/bench/mjr_synth.py "$CACHE" "$P" "$SECS" "$((START_US + 2000000))"
    wait
    touch "$CACHE/done"
  fi
  # shellcheck source=../../scripts/lib/netns.sh
  source scripts/lib/netns.sh
  trap netns_delete EXIT
  netns_create
  netns_exec bash "$ROOT/tests/bench/recording_postprocess.sh" "$SECS" __inner
  exit $?
fi

# ---- inside the namespace
CACHE=/tmp/telemed-bench-rec-$SECS
D=aaaaaaaa-aaaa-4aaa-8aaa-00000000000d
P=aaaaaaaa-aaaa-4aaa-8aaa-00000000000b
ulimit -n 65536 2>/dev/null || true
export TELEMED_STACK_DIR
TELEMED_STACK_DIR=$(mktemp -d /tmp/telemed-bench-rec.XXXXXX)
chmod 755 "$TELEMED_STACK_DIR"
export TELEMED_BUILD_DIR=$ROOT/build
cleanup() { scripts/stackctl stop >/dev/null 2>&1 || true; rm -rf "$TELEMED_STACK_DIR"; }
trap cleanup EXIT
scripts/stackctl start >/dev/null
set -a; . "$TELEMED_STACK_DIR/stack.env"; set +a
q() { sh -c "$PSQL -X -q -v ON_ERROR_STOP=1 -A -t" <<<"$1"; }
key=(-H "Authorization: Bearer $TELEMED_API_KEY" -H 'Content-Type: application/json')
sid=$(curl -sf "${key[@]}" -d '{"kind":"consultation"}' "$TELEMED_URL/sessions" | jq -r .id)
doc=$(curl -sf "${key[@]}" -d '{"user_id":"bench-doc","role":"doctor"}' "$TELEMED_URL/sessions/$sid/participants" | jq -r .participant.id)
pat=$(curl -sf "${key[@]}" -d '{"user_id":"bench-pat","role":"patient"}' "$TELEMED_URL/sessions/$sid/participants" | jq -r .participant.id)
rid=$(q "SELECT gen_random_uuid()")
kd=$(q "INSERT INTO recording_consents (id, session_id, participant_id, recording) VALUES (gen_random_uuid(), '$sid', '$doc', true) RETURNING id")
kp=$(q "INSERT INTO recording_consents (id, session_id, participant_id, recording) VALUES (gen_random_uuid(), '$sid', '$pat', true) RETURNING id")
dir=$TELEMED_STACK_DIR/recordings/$sid/$rid
mkdir -p "$dir"
tracks=()
for pair in "$D:$doc:$kd" "$P:$pat:$kp"; do
  IFS=: read -r src pid kid <<<"$pair"
  for s in audio video; do
    cp "$CACHE/$src-$s-0.mjr" "$dir/$pid-$s-0.mjr"
    codec=opus; [ "$s" = video ] && codec=vp8
    tracks+=("{\"file\":\"$pid-$s-0.mjr\",\"participant\":\"$pid\",\"source\":\"$s\",\"codec\":\"$codec\",\"consent_id\":\"$kid\",\"started_at\":\"2027-01-15T08:00:00Z\",\"stopped_at\":\"2027-01-15T08:10:00Z\"}")
  done
done
# The synthesized media's wall clock starts at 2027-01-15T08:00:00Z (START_US); the patient 2 s later.
printf '{"recording_id":"%s","room":"%s","started_at":"2027-01-15T08:00:00Z","stopped_at":"2027-01-15T08:10:00Z","tracks":[%s]}\n' \
  "$rid" "$sid" "$(IFS=,; echo "${tracks[*]}")" >"$dir/manifest.json"
raw=$(du -sb "$dir" | cut -f1)
t0=$(date +%s.%N)
q "INSERT INTO recordings (id, session_id, state, started_at, stopped_at) VALUES ('$rid', '$sid', 'stopped', '2027-01-15T08:00:00Z', now())" >/dev/null
state=
for _ in $(seq 1 $((SECS * 2 + 120))); do
  state=$(q "SELECT state FROM recordings WHERE id = '$rid'")
  case "$state" in available|incomplete|failed) break ;; esac
  sleep 0.2
done
t1=$(date +%s.%N)
echo "media: ${SECS} s, 2 participants (VP8 640x480 30 fps + Opus each), raw .mjr $((raw / 1048576)) MiB"
echo "state: $state"
q "SELECT coalesce(error, '') FROM recordings WHERE id = '$rid'"
awk -v a="$t0" -v b="$t1" -v s="$SECS" 'BEGIN { printf "stop -> %s: %.1f s\nprocessing: %.3f x real time (goal <= 0.2)\n", "done", b - a, (b - a) / s }'
q "SELECT kind || ' ' || coalesce(participant_id::text, '-') || ' ' || content_type || ' ' || (size / 1048576) || ' MiB ' || duration_ms || ' ms ' || coalesce(video_codec, '-') || '/' || coalesce(audio_codec, '-') FROM recording_outputs WHERE recording_id = '$rid' ORDER BY kind"
grep -h "recording $rid" "$TELEMED_STACK_DIR"/logs/controller*.log 2>/dev/null | tail -2 || true
