# shellcheck shell=bash
# The whole private stack in one folder ($STACK_DIR): settings, start/stop in
# order, and stack.env for tests. Used by scripts/run and scripts/stackctl.
#
# $STACK_DIR layout
#   stack.conf        resolved ports and options (reused by later commands)
#   stack.env         what clients need: URLs, secrets, psql/redis-cli
#                     command prefixes, PIDs (dotenv syntax)
#   api-key           the controller API key (mode 600)
#   secrets/          token, credential, Janus admin and token_auth, TURN, database secrets (mode 600)
#   pids/<svc>.pid    PIDs of the processes we started
#   logs/             postgres.log redis.log turnserver.log janus.log controller.log
#   pg/ redis/        Postgres cluster and Redis AOF (persistent)
#   janus/ turn/      generated Janus config tree, coturn config
#   recordings/       Janus recordings

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=build.sh
source "$(dirname "${BASH_SOURCE[0]}")/build.sh"
# shellcheck source=pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
# shellcheck source=redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/redis.sh"
# shellcheck source=turn.sh
source "$(dirname "${BASH_SOURCE[0]}")/turn.sh"
# shellcheck source=janus.sh
source "$(dirname "${BASH_SOURCE[0]}")/janus.sh"
# shellcheck source=controller.sh
source "$(dirname "${BASH_SOURCE[0]}")/controller.sh"

# Settings: variable, environment override, default for scripts/run,
# default for scripts/stackctl.
_STACK_SETTINGS=(
    "CTL_PORT          TELEMED_PORT              8080         18080"
    "PG_PORT           TELEMED_PG_PORT           5433         15432"
    "REDIS_PORT        TELEMED_REDIS_PORT        6380         16379"
    "JANUS_HTTP_PORT   TELEMED_JANUS_HTTP_PORT   8088         18088"
    "JANUS_WS_PORT     TELEMED_JANUS_WS_PORT     8188         18188"
    "JANUS_ADMIN_PORT  TELEMED_JANUS_ADMIN_PORT  7088         17088"
    "TURN_PORT         TELEMED_TURN_PORT         3478         13478"
    "TURN_RELAY_RANGE  TELEMED_TURN_RELAY_RANGE  49160-49199  49300-49799"
    "RTP_PORT_RANGE    TELEMED_RTP_PORT_RANGE    20000-20199  21000-21199"
)
TOKEN_KID="${TELEMED_TOKEN_KID_DEFAULT:-local1}"
TOKEN_ISSUER="telemed-controller"
TURN_REALM="telemed.local"

# The interface carrying 127.0.0.2 that is not a loopback interface: set up
# by scripts/lib/netns.sh inside the test network namespace. Empty otherwise.
detect_ice_if() {
    ip -o -4 addr show 2>/dev/null | awk '$4 == "127.0.0.2/32" && $2 != "lo" { print $2; exit }'
}

# stack_setup DIR PROFILE(run|ctl): resolves settings into globals, saves
# them in DIR/stack.conf. Precedence: environment, then (ctl only) the saved
# stack.conf, then the profile default.
stack_setup() {
    local dir="$1" profile="$2"
    mkdir -p "$dir" || die "cannot create stack folder $dir"
    STACK_DIR=$(cd "$dir" && pwd)
    chmod 755 "$STACK_DIR"
    mkdir -p "$STACK_DIR/logs" "$STACK_DIR/pids"

    declare -A saved=()
    local line k v
    if [[ "$profile" == ctl && -r "$STACK_DIR/stack.conf" ]]; then
        while IFS='=' read -r k v; do
            [[ "$k" =~ ^[A-Z_]+$ ]] && saved[$k]="$v"
        done <"$STACK_DIR/stack.conf"
    fi
    local var envname def_run def_ctl val
    for line in "${_STACK_SETTINGS[@]}"; do
        read -r var envname def_run def_ctl <<<"$line"
        val="${!envname:-}"
        [[ -z "$val" ]] && val="${saved[$var]:-}"
        [[ -z "$val" ]] && { [[ "$profile" == run ]] && val="$def_run" || val="$def_ctl"; }
        case "$var" in
            *_RANGE) [[ "$val" =~ ^[0-9]+-[0-9]+$ ]] || die "$envname must look like 20000-20199 (got '$val')" ;;
            *)       [[ "$val" =~ ^[0-9]+$ ]] && (( val > 0 && val < 65536 )) || die "$envname must be a port number (got '$val')" ;;
        esac
        printf -v "$var" '%s' "$val"
    done

    ICE_IF="${TELEMED_ICE_IF:-$(detect_ice_if)}"
    if [[ -n "${TELEMED_RELAY_IP:-}" ]]; then
        TURN_RELAY_IP="$TELEMED_RELAY_IP"
    elif [[ -n "$ICE_IF" ]]; then
        TURN_RELAY_IP=127.0.0.2
    else
        TURN_RELAY_IP=127.0.0.1
    fi

    # API key: TELEMED_API_KEY, else generated once into $STACK_DIR/api-key.
    if [[ -n "${TELEMED_API_KEY:-}" ]]; then
        API_KEY="$TELEMED_API_KEY"
        [[ ${#API_KEY} -ge 16 && "$API_KEY" =~ ^[!-~]+$ && "$API_KEY" != *,* ]] \
            || die "TELEMED_API_KEY must be 16..256 printable characters without spaces or commas"
    else
        if [[ ! -s "$STACK_DIR/api-key" ]]; then
            ( umask 077; openssl rand -hex 32 >"$STACK_DIR/api-key.tmp" ) || die "openssl rand failed"
            mv -f "$STACK_DIR/api-key.tmp" "$STACK_DIR/api-key"
        fi
        chmod 600 "$STACK_DIR/api-key"
        API_KEY=$(tr -d '\n' <"$STACK_DIR/api-key")
    fi

    {
        for line in "${_STACK_SETTINGS[@]}"; do
            read -r var _ <<<"$line"
            printf '%s=%s\n' "$var" "${!var}"
        done
    } >"$STACK_DIR/stack.conf.tmp" && mv -f "$STACK_DIR/stack.conf.tmp" "$STACK_DIR/stack.conf"
}

_env_line() {
    # dotenv syntax: bare value, or double-quoted when it contains a space.
    local k="$1" v="$2"
    if [[ "$v" == *' '* ]]; then printf '%s="%s"\n' "$k" "$v"; else printf '%s=%s\n' "$k" "$v"; fi
}

# Writes $STACK_DIR/stack.env (mode 600; it holds secrets).
stack_write_env() {
    local f="$STACK_DIR/stack.env" pid
    {
        echo "# Generated by scripts/stackctl; dotenv syntax (node: util.parseEnv). Holds secrets."
        _env_line TELEMED_STACK_DIR "$STACK_DIR"
        _env_line TELEMED_URL "$(controller_url)"
        _env_line TELEMED_API_KEY "$API_KEY"
        _env_line CONTROLLER_PORT "$CTL_PORT"
        _env_line CONTROLLER_CONF "$(controller_conf)"
        _env_line JANUS_HTTP_URL "http://127.0.0.1:$JANUS_HTTP_PORT/janus"
        _env_line JANUS_WS_URL "ws://127.0.0.1:$JANUS_WS_PORT/"
        _env_line JANUS_ADMIN_URL "http://127.0.0.1:$JANUS_ADMIN_PORT/admin"
        _env_line JANUS_ADMIN_SECRET "$(secret_get janus-admin-secret)"
        _env_line JANUS_TOKEN_SECRET "$(secret_get janus-token-secret)"
        _env_line JANUS_HTTP_PORT "$JANUS_HTTP_PORT"
        _env_line JANUS_WS_PORT "$JANUS_WS_PORT"
        _env_line JANUS_ADMIN_PORT "$JANUS_ADMIN_PORT"
        _env_line JANUS_PLUGIN_CONF "$(janus_etc)/janus.plugin.telemed.jcfg"
        _env_line TOKEN_KID "$TOKEN_KID"
        _env_line TOKEN_SECRET "$(secret_get token-secret)"
        _env_line TOKEN_ISSUER "$TOKEN_ISSUER"
        _env_line CREDENTIAL_SECRET "$(secret_get credential-secret)"
        _env_line PLUGIN_SECRET "$(secret_get plugin-secret)"
        _env_line JANUS_EVENTS_SECRET "$(secret_get janus-events-secret)"
        _env_line PLAYBACK_LINK_KID pb1
        _env_line PLAYBACK_LINK_SECRET "$(secret_get playback-link-secret)"
        _env_line TURN_SECRET "$(secret_get turn-secret)"
        _env_line TURN_URL "$(turn_url)"
        _env_line TURN_PORT "$TURN_PORT"
        _env_line TURN_REALM "$TURN_REALM"
        _env_line MEDIA_IP "$TURN_RELAY_IP"
        _env_line ICE_IF "$ICE_IF"
        _env_line PGURL "$(pg_url)"
        _env_line PG_PORT "$PG_PORT"
        _env_line PSQL "$(pg_bindir)/psql -X -q -v ON_ERROR_STOP=1 -d $(pg_url)"
        _env_line PSQL_SUPER "$(pg_bindir)/psql -X -q -v ON_ERROR_STOP=1 -h $(pg_sockdir) -p $PG_PORT -U postgres -d telemed"
        _env_line REDIS_PORT "$REDIS_PORT"
        _env_line REDIS_CLI "redis-cli -h 127.0.0.1 -p $REDIS_PORT"
        _env_line REDIS_PREFIX "telemed:"
        _env_line RECORDINGS_DIR "$STACK_DIR/recordings"
        _env_line LOG_DIR "$STACK_DIR/logs"
        _env_line CONTROLLER_LOG "$(controller_log)"
        _env_line JANUS_LOG "$(janus_log)"
        _env_line REDIS_LOG "$(redis_log)"
        _env_line POSTGRES_LOG "$(pg_log)"
        _env_line TURN_LOG "$(turn_log)"
        pid=$(controller_pid) || pid=""; _env_line CONTROLLER_PID "$pid"
        pid=$(janus_pid) || pid="";      _env_line JANUS_PID "$pid"
        pid=$(turn_pid) || pid="";       _env_line TURN_PID "$pid"
        pid=$(redis_pid) || pid="";      _env_line REDIS_PID "$pid"
        pid=$(pg_pid) || pid="";         _env_line POSTGRES_PID "$pid"
    } >"$f.tmp"
    chmod 600 "$f.tmp"
    mv -f "$f.tmp" "$f"
}

stack_start_all() {
    pg_start
    redis_start
    turn_start
    janus_start
    controller_start
    stack_write_env
}

stack_stop_all() {
    controller_stop
    janus_stop
    turn_stop
    redis_stop
    pg_stop
    [[ -f "$STACK_DIR/stack.env" ]] && stack_write_env
    return 0
}

# One line per service: name, state, pid, where.
stack_status() {
    local pid
    pid=$(pg_pid) && printf '%-11s up    pid %-7s 127.0.0.1:%s\n' postgres "$pid" "$PG_PORT" \
                  || printf '%-11s down\n' postgres
    pid=$(redis_pid) && printf '%-11s up    pid %-7s 127.0.0.1:%s\n' redis "$pid" "$REDIS_PORT" \
                     || printf '%-11s down\n' redis
    pid=$(turn_pid) && printf '%-11s up    pid %-7s udp 127.0.0.1:%s relay %s\n' coturn "$pid" "$TURN_PORT" "$TURN_RELAY_IP" \
                    || printf '%-11s down\n' coturn
    pid=$(janus_pid) && printf '%-11s up    pid %-7s http %s ws %s admin %s\n' janus "$pid" "$JANUS_HTTP_PORT" "$JANUS_WS_PORT" "$JANUS_ADMIN_PORT" \
                     || printf '%-11s down\n' janus
    pid=$(controller_pid) && printf '%-11s up    pid %-7s %s\n' controller "$pid" "$(controller_url)" \
                          || printf '%-11s down\n' controller
}
