# shellcheck shell=bash
# Redis on 127.0.0.1:$REDIS_PORT with its data (AOF) in $STACK_DIR/redis, so
# live state survives a restart of the stack.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

redis_log() { printf '%s/logs/redis.log' "$STACK_DIR"; }
redis_pid() { svc_pid redis redis-server; }
redis_ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

redis_start() {
    local pid logf
    logf=$(redis_log)
    if pid=$(redis_pid); then
        log "redis: already running (pid $pid, port $REDIS_PORT)"
        return 0
    fi
    need_cmd redis-server redis-cli
    port_free_or_die tcp "$REDIS_PORT" redis
    mkdir -p "$STACK_DIR/redis" "$STACK_DIR/logs"
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    pid=$(start_bg redis "$logf" redis-server \
        --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
        --dir "$STACK_DIR/redis" --appendonly yes --appendfsync everysec \
        --save '' --daemonize no --supervised no --logfile '' --loglevel notice)
    if ! wait_ready 10 "$pid" redis_ping; then
        show_log_tail "$logf"
        proc_is "$pid" redis-server && kill -KILL "$pid" 2>/dev/null
        rm -f "$(pidfile_of redis)"
        die "redis failed to start on port $REDIS_PORT (log: $logf)"
    fi
}

redis_stop() {
    stop_svc redis redis-server redis 10
}
