# shellcheck shell=bash
# coturn (turnserver) in the foreground, backgrounded by us, configured from
# conf/turnserver.conf.sample with use-auth-secret (TURN REST API).

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

turn_log()  { printf '%s/logs/turnserver.log' "$STACK_DIR"; }
turn_conf() { printf '%s/turn/turnserver.conf' "$STACK_DIR"; }
turn_pid()  { svc_pid turn turnserver; }

# eq_set FILE KEY VALUE: sets `KEY=VALUE` (coturn syntax) on the first line
# that sets KEY, active or commented out; appends when absent.
eq_set() {
    local file="$1" key="$2" value="$3"
    KEY="$key" VALUE="$value" awk '
        BEGIN { key = ENVIRON["KEY"]; val = ENVIRON["VALUE"]; done = 0 }
        !done {
            p = $0; sub(/^#?/, "", p)
            if (index(p, key "=") == 1) { print key "=" val; done = 1; next }
        }
        { print }
        END { if (!done) print key "=" val }
    ' "$file" >"$file.tmp" && mv -f "$file.tmp" "$file"
}

turn_write_conf() {
    local conf
    conf=$(turn_conf)
    mkdir -p "$STACK_DIR/turn" "$STACK_DIR/logs"
    ( umask 077; cp "$TELEMED_ROOT/conf/turnserver.conf.sample" "$conf" )
    eq_set "$conf" listening-ip 127.0.0.1
    eq_set "$conf" listening-port "$TURN_PORT"
    eq_set "$conf" relay-ip "$TURN_RELAY_IP"
    eq_set "$conf" min-port "${TURN_RELAY_RANGE%-*}"
    eq_set "$conf" max-port "${TURN_RELAY_RANGE#*-}"
    eq_set "$conf" static-auth-secret "$(secret_get turn-secret)"
    eq_set "$conf" realm "$TURN_REALM"
    eq_set "$conf" userdb "$STACK_DIR/turn/turndb"
    eq_set "$conf" log-file "$(turn_log)"
    eq_set "$conf" pidfile "$STACK_DIR/turn/turnserver.pid"
    chmod 600 "$conf"
}

turn_ready() { port_listening udp "$TURN_PORT"; }

turn_start() {
    local pid logf
    logf=$(turn_log)
    if pid=$(turn_pid); then
        log "coturn: already running (pid $pid, port $TURN_PORT)"
        return 0
    fi
    need_cmd turnserver
    port_free_or_die udp "$TURN_PORT" coturn
    turn_write_conf
    log "coturn: starting on 127.0.0.1:$TURN_PORT (relay $TURN_RELAY_IP ports $TURN_RELAY_RANGE)"
    pid=$(start_bg turn "$STACK_DIR/logs/turnserver.stdout.log" turnserver -c "$(turn_conf)")
    if ! wait_ready 10 "$pid" turn_ready || ! proc_is "$pid" turnserver; then
        show_log_tail "$logf"
        show_log_tail "$STACK_DIR/logs/turnserver.stdout.log" 10
        proc_is "$pid" turnserver && kill -KILL "$pid" 2>/dev/null
        rm -f "$(pidfile_of turn)"
        die "coturn failed to start on udp/$TURN_PORT (log: $logf)"
    fi
}

turn_stop() {
    stop_svc turn turnserver coturn 5
}
