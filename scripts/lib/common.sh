# shellcheck shell=bash
# Shared helpers for scripts/run, scripts/stackctl and scripts/test: logging,
# PID files, readiness polling, secrets. Sourced, never executed.
#
# Conventions
# - Every long-running service is started in the background with `&`, its
#   `$!` is written to "$STACK_DIR/pids/<svc>.pid", and it is stopped by that
#   PID only, after checking that /proc/<pid>/comm still names the program we
#   started (PIDs get reused).
# - Daemons get stdin from /dev/null and stdout/stderr appended to their log
#   under "$STACK_DIR/logs", so a caller that captures our output (node's
#   execFileSync, CI) never waits on a pipe a daemon still holds.
# - Daemons run in their own session (setsid), so Ctrl-C in the terminal
#   reaches only the script, which then stops them in order.

[[ -n "${_TELEMED_COMMON_SH:-}" ]] && return 0
_TELEMED_COMMON_SH=1

set +m  # no job control: `setsid cmd &` then execs in place and $! is the daemon

TELEMED_ROOT="${TELEMED_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

_ts() { date +%H:%M:%S; }
log()  { printf '[%s] %s\n' "$(_ts)" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$(_ts)" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$(_ts)" "$*" >&2; exit 1; }

need_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || die "command '$c' not found: run scripts/setup-deps"
    done
}

# Prints the last lines of a log file to stderr, framed, for failure reports.
show_log_tail() {
    local file="$1" n="${2:-40}"
    if [[ -s "$file" ]]; then
        printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
        tail -n "$n" "$file" >&2
        printf -- '----- end of %s -----\n' "$file" >&2
    else
        printf -- '(log %s is empty or missing)\n' "$file" >&2
    fi
}

# wait_until TIMEOUT_S CMD...: polls CMD every 0.1 s; 0 when it succeeds.
wait_until() {
    local timeout="$1"; shift
    local deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        (( $(date +%s%N) / 1000000 >= deadline )) && return 1
        sleep 0.1
    done
}

# wait_ready TIMEOUT_S PID CMD...: polls CMD every 0.1 s while process PID
# lives. 0 when CMD succeeds, 1 on timeout, 2 as soon as PID has exited.
wait_ready() {
    local timeout="$1" pid="$2"; shift 2
    local deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        pid_alive "$pid" || return 2
        (( $(date +%s%N) / 1000000 >= deadline )) && return 1
        sleep 0.1
    done
}

# ---------------------------------------------------------------- processes

# proc_is PID COMM: the process exists, is not a zombie, and its comm (the
# kernel's 15-character program name) is COMM (truncated the same way).
proc_is() {
    local pid="$1" want="${2:0:15}" comm state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ "$state" != Z ]] || return 1
    [[ "$comm" == "$want" ]]
}

pid_alive() {
    local pid="$1" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ -n "$state" && "$state" != Z ]]
}

pidfile_of() { printf '%s/pids/%s.pid' "$STACK_DIR" "$1"; }

# svc_pid SVC COMM: prints the recorded PID if that process is still COMM.
svc_pid() {
    local f pid
    f=$(pidfile_of "$1")
    [[ -r "$f" ]] || return 1
    pid=$(<"$f")
    proc_is "$pid" "$2" || return 1
    printf '%s' "$pid"
}

# start_bg SVC LOGFILE CMD...: starts CMD in its own session in the
# background, records its PID. Prints the PID.
start_bg() {
    local svc="$1" logfile="$2"; shift 2
    mkdir -p "$STACK_DIR/pids" "$(dirname "$logfile")"
    setsid "$@" </dev/null >>"$logfile" 2>&1 &
    local pid=$!
    printf '%s\n' "$pid" >"$(pidfile_of "$svc")"
    printf '%s' "$pid"
}

# stop_pid PID COMM NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL. Only
# signals PID while it is still COMM (never another process that reused it).
stop_pid() {
    local pid="$1" comm="$2" name="$3" timeout="${4:-5}"
    proc_is "$pid" "$comm" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    if ! wait_until "$timeout" eval "! proc_is $pid $comm"; then
        warn "$name (pid $pid) did not exit within ${timeout}s after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_until 5 eval "! proc_is $pid $comm" || warn "$name (pid $pid) still present after SIGKILL"
    fi
    # Reap it if it is our own child (scripts/run), silently otherwise.
    wait "$pid" 2>/dev/null || true
}

# stop_svc SVC COMM NAME [TIMEOUT_S]: stops the PID recorded for SVC.
stop_svc() {
    local svc="$1" comm="$2" name="$3" timeout="${4:-5}" pid
    if pid=$(svc_pid "$svc" "$comm"); then
        log "stopping $name (pid $pid)"
        stop_pid "$pid" "$comm" "$name" "$timeout"
    fi
    rm -f "$(pidfile_of "$svc")"
}

# ------------------------------------------------------------------ network

# port_listening PROTO PORT: something listens on 127.0.0.1:PORT (tcp|udp).
port_listening() {
    local flag=-t
    [[ "$1" == udp ]] && flag=-u
    [[ -n "$(ss -Hln "$flag" "sport = :$2" 2>/dev/null)" ]]
}

# port_free_or_die PROTO PORT NAME: refuse to start on a port already in use.
port_free_or_die() {
    if port_listening "$1" "$2"; then
        local who
        who=$(ss -Hlnp "$([[ "$1" == udp ]] && echo -u || echo -t)" "sport = :$2" 2>/dev/null | head -n 3)
        die "$3: port $1/$2 is already in use (set another port, see README.md):
$who"
    fi
}

# http_status URL: prints the HTTP status code (000 when unreachable).
http_status() {
    curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true
}

# ------------------------------------------------------------------ secrets

# secret_get NAME: prints $STACK_DIR/secrets/NAME, creating it once from
# `openssl rand -hex 32` (mode 600). An explicit value may be forced with
# secret_set.
secret_get() {
    local f="$STACK_DIR/secrets/$1"
    if [[ ! -s "$f" ]]; then
        mkdir -p "$STACK_DIR/secrets"
        chmod 700 "$STACK_DIR/secrets"
        ( umask 077; openssl rand -hex 32 >"$f.tmp" ) || die "openssl rand failed"
        mv -f "$f.tmp" "$f"
    fi
    chmod 600 "$f"
    tr -d '\n' <"$f"
}

secret_set() {
    local f="$STACK_DIR/secrets/$1"
    mkdir -p "$STACK_DIR/secrets"
    chmod 700 "$STACK_DIR/secrets"
    ( umask 077; printf '%s\n' "$2" >"$f.tmp" )
    mv -f "$f.tmp" "$f"
    chmod 600 "$f"
}

# ------------------------------------------------------------- config files

# kv_set FILE KEY VALUE: in a `key = value` file, replaces the first line that
# sets KEY (active or commented out), else appends `KEY = VALUE`.
kv_set() {
    local file="$1" key="$2" value="$3"
    KEY="$key" VALUE="$value" awk '
        BEGIN { key = ENVIRON["KEY"]; val = ENVIRON["VALUE"]; done = 0 }
        {
            line = $0
            if (!done) {
                probe = line
                sub(/^[ \t]*#?[ \t]*/, "", probe)
                if (index(probe, key) == 1) {
                    rest = substr(probe, length(key) + 1)
                    if (rest ~ /^[ \t]*=/) { print key " = " val; done = 1; next }
                }
            }
            print line
        }
        END { if (!done) print key " = " val }
    ' "$file" >"$file.tmp" && mv -f "$file.tmp" "$file"
}

# jcfg_quote VALUE: a libconfig string literal.
jcfg_quote() {
    local v="$1"
    v=${v//\\/\\\\}
    v=${v//\"/\\\"}
    printf '"%s"' "$v"
}

# jcfg_set FILE SECTION KEY LITERAL: in a Janus .jcfg (libconfig) file, sets
# KEY inside `SECTION: {` … `}` to LITERAL (already quoted if a string):
# replaces an active or commented-out line for KEY in that section, else
# inserts the key right after the section header; creates the section at
# the end when missing.
jcfg_set() {
    local file="$1" section="$2" key="$3" literal="$4"
    SECTION="$section" KEY="$key" LIT="$literal" awk '
        BEGIN { sec = ENVIRON["SECTION"]; key = ENVIRON["KEY"]; lit = ENVIRON["LIT"]
                n = 0; insec = 0; hdr = 0; hit = 0 }
        { lines[++n] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                l = lines[i]
                if (!insec && l ~ ("^[ \t]*" sec "[ \t]*[:=][ \t]*[{(]")) { insec = 1; hdr = i; continue }
                if (insec && l ~ /^[ \t]*[})][ \t]*;?[ \t]*$/) { insec = 0; continue }
                if (insec && !hit) {
                    p = l; sub(/^[ \t]*#?[ \t]*/, "", p)
                    if (index(p, key) == 1 && substr(p, length(key) + 1) ~ /^[ \t]*[=:]/) { hit = i }
                }
            }
            for (i = 1; i <= n; i++) {
                if (i == hit) { print "\t" key " = " lit; continue }
                print lines[i]
                if (!hit && i == hdr) print "\t" key " = " lit
            }
            if (!hdr) { print ""; print sec ": {"; print "\t" key " = " lit; print "}" }
        }
    ' "$file" >"$file.tmp" && mv -f "$file.tmp" "$file"
}
