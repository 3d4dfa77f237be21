# shellcheck shell=bash
# Janus Gateway with a private configuration tree under $STACK_DIR/janus:
#   etc/         janus.jcfg, http + websockets transport configs (from
#                conf/janus/), janus.plugin.telemed.jcfg (from
#                conf/janus.plugin.telemed.jcfg.sample)
#   plugins/     symlink to OUR plugin only (build/plugin/.libs/libjanus_telemed.so)
#   transports/  symlinks to libjanus_http.so and libjanus_websockets.so only
#   events/      symlink to libjanus_sampleevh.so (posts Janus events to the
#                controller, docs/DESIGN.md "Janus events"), unless
#                TELEMED_JANUS_EVENTS=0
#   loggers/     empty
# See /work/shared/JANUS-NOTES.md §2 for why (stock plugins would open ports,
# Janus never gathers ICE candidates on loopback interfaces).

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=build.sh
source "$(dirname "${BASH_SOURCE[0]}")/build.sh"

janus_log()  { printf '%s/logs/janus.log' "$STACK_DIR"; }
janus_etc()  { printf '%s/janus/etc' "$STACK_DIR"; }
janus_pid()  { svc_pid janus janus; }

# Folder with the packaged Janus modules (multiarch path).
janus_moddir() {
    local f
    for f in /usr/lib/*/janus/transports/libjanus_http.so /usr/lib/janus/transports/libjanus_http.so; do
        [[ -e "$f" ]] && { dirname "$(dirname "$f")"; return 0; }
    done
    die "janus: packaged transports not found (libjanus_http.so): run scripts/setup-deps"
}

# The plugin .so Janus loads; TELEMED_PLUGIN_SO overrides (e.g. an ASan build).
janus_plugin_so() {
    printf '%s' "${TELEMED_PLUGIN_SO:-$(plugin_so)}"
}

# Handle event loops: TELEMED_JANUS_EVENT_LOOPS, else one per core (>= 1).
janus_event_loops() {
    local n="${TELEMED_JANUS_EVENT_LOOPS:-$(nproc 2>/dev/null || echo 2)}"
    [[ "$n" =~ ^[0-9]+$ ]] && (( n >= 1 && n <= 256 )) || die "TELEMED_JANUS_EVENT_LOOPS must be 1..256"
    printf '%s' "$n"
}

janus_write_conf() {
    local etc base moddir so sample pconf
    etc=$(janus_etc); base="$STACK_DIR/janus"
    moddir=$(janus_moddir)
    so=$(janus_plugin_so)
    [[ -f "$so" ]] || die "janus: plugin $so not built (run make in $BUILD_DIR, or scripts/run which builds)"

    rm -rf "$base/plugins" "$base/transports" "$base/events" "$base/loggers"
    mkdir -p "$etc" "$base/plugins" "$base/transports" "$base/events" "$base/loggers" \
             "$STACK_DIR/recordings" "$STACK_DIR/logs"
    ln -s "$(readlink -f "$so")" "$base/plugins/libjanus_telemed.so"
    ln -s "$moddir/transports/libjanus_http.so" "$base/transports/libjanus_http.so"
    ln -s "$moddir/transports/libjanus_websockets.so" "$base/transports/libjanus_websockets.so"
    # Extra stock plugins for side-by-side benchmarks (tests/bench), e.g.
    # TELEMED_JANUS_EXTRA_PLUGINS="videoroom": their stock config is used.
    local extra
    for extra in ${TELEMED_JANUS_EXTRA_PLUGINS:-}; do
        [[ "$extra" =~ ^[a-z]+$ ]] || die "janus: bad plugin name in TELEMED_JANUS_EXTRA_PLUGINS"
        ln -s "$moddir/plugins/libjanus_$extra.so" "$base/plugins/libjanus_$extra.so"
        ( umask 077; cp "/etc/janus/janus.plugin.$extra.jcfg" "$etc/" )
    done

    local j="$etc/janus.jcfg"
    ( umask 077
      cp "$TELEMED_ROOT/conf/janus/janus.jcfg" "$j"
      cp "$TELEMED_ROOT/conf/janus/janus.transport.http.jcfg" "$etc/"
      cp "$TELEMED_ROOT/conf/janus/janus.transport.websockets.jcfg" "$etc/" )
    jcfg_set "$j" general configs_folder "$(jcfg_quote "$etc")"
    jcfg_set "$j" general plugins_folder "$(jcfg_quote "$base/plugins")"
    jcfg_set "$j" general transports_folder "$(jcfg_quote "$base/transports")"
    jcfg_set "$j" general events_folder "$(jcfg_quote "$base/events")"
    jcfg_set "$j" general loggers_folder "$(jcfg_quote "$base/loggers")"
    jcfg_set "$j" general admin_secret "$(jcfg_quote "$(secret_get janus-admin-secret)")"
    # Janus API closed to requests without a signed token (the join object's
    # janus_token, minted by the controller with the same secret).
    jcfg_set "$j" general token_auth true
    jcfg_set "$j" general token_auth_secret "$(jcfg_quote "$(secret_get janus-token-secret)")"
    # A fixed pool of handle loops (one per core) instead of a thread per handle.
    jcfg_set "$j" general event_loops "$(janus_event_loops)"
    jcfg_set "$j" general interface "$(jcfg_quote 127.0.0.1)"
    jcfg_set "$j" general debug_level "${TELEMED_JANUS_DEBUG_LEVEL:-4}"
    jcfg_set "$j" media rtp_port_range "$(jcfg_quote "$RTP_PORT_RANGE")"
    if [[ -n "$ICE_IF" ]]; then
        jcfg_set "$j" nat ice_enforce_list "$(jcfg_quote "$ICE_IF")"
    fi
    # TELEMED_JANUS_SET="section.key=value …": more janus.jcfg settings, after
    # the ones above (tests/bench/capacity.sh measures core settings with it,
    # e.g. "media.twcc_period=500 media.max_nack_queue=300").
    local kv
    for kv in ${TELEMED_JANUS_SET:-}; do
        [[ "$kv" =~ ^([a-z_]+)\.([a-z_0-9]+)=([A-Za-z0-9_.:-]+)$ ]] \
            || die "TELEMED_JANUS_SET: bad item '$kv' (section.key=value; value: letters, digits, _.:-)"
        jcfg_set "$j" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
    done
    jcfg_set "$etc/janus.transport.http.jcfg" general port "$JANUS_HTTP_PORT"
    jcfg_set "$etc/janus.transport.http.jcfg" admin admin_port "$JANUS_ADMIN_PORT"
    jcfg_set "$etc/janus.transport.websockets.jcfg" general ws_port "$JANUS_WS_PORT"

    # Janus events -> the controller (docs/DESIGN.md "Janus events"): the HTTP
    # event handler posts to POST /internal/v1/janus-events with the
    # generated janus-events-secret (the controller's janus_events_secret).
    # TELEMED_JANUS_EVENTS=0 is the operator switch that leaves it off.
    if [[ "${TELEMED_JANUS_EVENTS:-1}" != 0 ]]; then
        local period="${TELEMED_JANUS_STATS_PERIOD:-5}"
        [[ "$period" =~ ^[0-9]+$ ]] && (( period >= 1 && period <= 3600 )) \
            || die "TELEMED_JANUS_STATS_PERIOD must be 1..3600 (seconds)"
        [[ -e "$moddir/events/libjanus_sampleevh.so" ]] \
            || die "janus: $moddir/events/libjanus_sampleevh.so not found (Debian's janus package ships it)"
        ln -s "$moddir/events/libjanus_sampleevh.so" "$base/events/libjanus_sampleevh.so"
        local evh="$etc/janus.eventhandler.sampleevh.jcfg"
        ( umask 077; cp "$TELEMED_ROOT/conf/janus/janus.eventhandler.sampleevh.jcfg" "$evh" )
        jcfg_set "$evh" general enabled true
        jcfg_set "$evh" general backend "$(jcfg_quote "http://127.0.0.1:$CTL_PORT/internal/v1/janus-events")"
        jcfg_set "$evh" general backend_pwd "$(jcfg_quote "$(secret_get janus-events-secret)")"
        jcfg_set "$j" events broadcast true
        jcfg_set "$j" events stats_period "$period"
    fi

    # Our plugin's config: the sample with the shared token key and paths.
    pconf="$etc/janus.plugin.telemed.jcfg"
    sample="$TELEMED_ROOT/conf/janus.plugin.telemed.jcfg.sample"
    ( umask 077
      if [[ -s "$sample" ]]; then cp "$sample" "$pconf"; else printf 'general: {\n}\n' >"$pconf"; fi )
    jcfg_set "$pconf" general token_keys "$(jcfg_quote "$TOKEN_KID:$(secret_get token-secret)")"
    jcfg_set "$pconf" general token_issuer "$(jcfg_quote "$TOKEN_ISSUER")"
    # Chat messages are stored through the controller (docs/DESIGN.md "The
    # chat path"): its URL and the secret it knows as plugin_secret.
    jcfg_set "$pconf" general controller_url "$(jcfg_quote "http://127.0.0.1:$CTL_PORT")"
    jcfg_set "$pconf" general controller_secret "$(jcfg_quote "$(secret_get plugin-secret)")"
    # Benchmarks create many rooms (tests/bench/rest.sh sets this).
    if [[ -n "${TELEMED_PLUGIN_MAX_ROOMS:-}" ]]; then
        jcfg_set "$pconf" general max_rooms "$TELEMED_PLUGIN_MAX_ROOMS"
    fi
    # Chat benchmark (tests/bench/chat.sh): "key=value ..." of numeric chat_* keys;
    # TELEMED_PLUGIN_SET the same for any numeric key (max_participants_per_room=20).
    for kv in ${TELEMED_PLUGIN_CHAT_SET:-}; do
        [[ "$kv" =~ ^(chat_[a-z_]+)=([0-9]+)$ ]] || die "TELEMED_PLUGIN_CHAT_SET: bad item '$kv'"
        jcfg_set "$pconf" general "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    done
    for kv in ${TELEMED_PLUGIN_SET:-}; do
        [[ "$kv" =~ ^([a-z_]+)=([0-9]+)$ ]] || die "TELEMED_PLUGIN_SET: bad item '$kv' (key=number)"
        jcfg_set "$pconf" general "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    done
    local k
    for k in recordings_dir recordings_folder rec_dir; do
        if grep -Eq "^[[:space:]]*#?[[:space:]]*${k}[[:space:]]*=" "$pconf"; then
            jcfg_set "$pconf" general "$k" "$(jcfg_quote "$STACK_DIR/recordings")"
        fi
    done
    chmod 600 "$etc"/*.jcfg
}

# Ready when /janus/info answers and lists our plugin.
janus_ready() {
    curl -sf -m 2 "http://127.0.0.1:$JANUS_HTTP_PORT/janus/info" 2>/dev/null \
        | jq -e '.plugins | has("janus.plugin.telemed")' >/dev/null 2>&1
}

janus_start() {
    local pid logf
    logf=$(janus_log)
    if pid=$(janus_pid); then
        log "janus: already running (pid $pid, http $JANUS_HTTP_PORT)"
        return 0
    fi
    need_cmd janus curl jq
    port_free_or_die tcp "$JANUS_HTTP_PORT" "janus (http)"
    port_free_or_die tcp "$JANUS_WS_PORT" "janus (websockets)"
    port_free_or_die tcp "$JANUS_ADMIN_PORT" "janus (admin)"
    janus_write_conf
    log "janus: starting (http $JANUS_HTTP_PORT, ws $JANUS_WS_PORT, admin $JANUS_ADMIN_PORT${ICE_IF:+, ICE on $ICE_IF})"
    : >>"$logf"
    local mark
    mark=$(wc -l <"$logf")
    # TELEMED_JANUS_PRELOAD: libraries preloaded into Janus only, e.g. the
    # ASan/UBSan runtimes to load an --enable-sanitizers plugin build
    # (TELEMED_PLUGIN_SO=build-asan/plugin/.libs/libjanus_telemed.so).
    local -a pre=()
    [[ -n "${TELEMED_JANUS_PRELOAD:-}" ]] && pre=(env "LD_PRELOAD=$TELEMED_JANUS_PRELOAD")
    # A crash of Janus leaves a core file in $STACK_DIR/logs (kernel
    # core_pattern "core" is relative to the working folder) for gdb: the
    # one Janus crash seen in the tests so far left only a backtrace line.
    # The limit and the folder apply to Janus only (this is a subshell).
    pid=$(ulimit -c unlimited 2>/dev/null || true
          cd "$STACK_DIR/logs" && start_bg janus "$STACK_DIR/logs/janus.stdout.log" \
              "${pre[@]}" janus -C "$(janus_etc)/janus.jcfg" -F "$(janus_etc)" -o -N -L "$logf")
    local ready=0
    wait_ready 20 "$pid" janus_ready || ready=$?
    if (( ready != 0 )); then
        local why="did not become ready within 20s"
        (( ready == 2 )) && why="exited during start-up"
        tail -n +"$((mark + 1))" "$logf" >"$logf.start" 2>/dev/null || true
        show_log_tail "$logf.start" 40
        show_log_tail "$STACK_DIR/logs/janus.stdout.log" 10
        rm -f "$logf.start"
        proc_is "$pid" janus && kill -KILL "$pid" 2>/dev/null
        rm -f "$(pidfile_of janus)"
        die "janus $why: /janus/info on port $JANUS_HTTP_PORT must list janus.plugin.telemed (log: $logf)"
    fi
}

janus_stop() {
    # SIGTERM shutdown takes 1.3-2.1 s; SIGKILL after 5 s.
    stop_svc janus janus janus 5
}
