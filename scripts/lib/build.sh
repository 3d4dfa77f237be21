# shellcheck shell=bash
# Out-of-tree autotools build into ./build (or another folder).

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD_DIR="${TELEMED_BUILD_DIR:-$TELEMED_ROOT/build}"
BUILD_JOBS="${TELEMED_BUILD_JOBS:-2}"

# ensure_configure_script: runs ./autogen.sh when configure is missing or older
# than configure.ac / Makefile.am / any *.mk fragment.
ensure_configure_script() {
    local stale=0 f
    if [[ ! -x "$TELEMED_ROOT/configure" || ! -f "$TELEMED_ROOT/Makefile.in" ]]; then
        stale=1
    else
        for f in "$TELEMED_ROOT/configure.ac" "$TELEMED_ROOT/Makefile.am" \
                 "$TELEMED_ROOT"/*/local.mk "$TELEMED_ROOT"/*/*.mk "$TELEMED_ROOT"/*/*/local.mk "$TELEMED_ROOT"/tests/*/*.mk; do
            [[ -e "$f" && "$f" -nt "$TELEMED_ROOT/Makefile.in" ]] && { stale=1; break; }
        done
    fi
    if (( stale )); then
        log "running autogen.sh"
        if command -v flock >/dev/null; then
            flock /tmp/autoreconf.lock "$TELEMED_ROOT/autogen.sh" || die "autogen.sh failed"
        else
            "$TELEMED_ROOT/autogen.sh" || die "autogen.sh failed"
        fi
    fi
}

# configure_in DIR [CONFIGURE_ARGS...]: (re)configures DIR when it has no
# Makefile or when the configure arguments changed.
configure_in() {
    local dir="$1"; shift
    local want="$*" have=""
    mkdir -p "$dir"
    [[ -f "$dir/.telemed-configure-args" ]] && have=$(<"$dir/.telemed-configure-args")
    if [[ ! -f "$dir/Makefile" || "$want" != "$have" ]]; then
        # Objects built with other flags (e.g. without -Werror) must go.
        [[ -f "$dir/Makefile" ]] && make -C "$dir" -s clean >/dev/null 2>&1 || true
        log "configuring $dir ${want:+($want)}"
        ( cd "$dir" && "$TELEMED_ROOT/configure" -q "$@" ) \
            || { show_log_tail "$dir/config.log" 30; die "configure failed in $dir (see $dir/config.log)"; }
        printf '%s' "$want" >"$dir/.telemed-configure-args"
    fi
}

# build_all [DIR [CONFIGURE_ARGS...]]: autogen if needed, configure, make.
build_all() {
    local dir="${1:-$BUILD_DIR}"
    (( $# )) && shift
    ensure_configure_script
    configure_in "$dir" "$@"
    log "building in $dir (make -j$BUILD_JOBS)"
    make -C "$dir" -j"$BUILD_JOBS" -s || die "build failed in $dir"
}

plugin_so()       { printf '%s/plugin/.libs/libjanus_telemed.so' "$BUILD_DIR"; }
controller_bin()  { printf '%s/controller/telemed-controller' "$BUILD_DIR"; }

# build_if_needed: builds when a product is missing or any source is newer.
# An existing configuration of $BUILD_DIR (e.g. scripts/test's
# --enable-werror) is kept as it is.
build_if_needed() {
    local so bin
    so=$(plugin_so); bin=$(controller_bin)
    if [[ -f "$so" && -x "$bin" ]] && \
       [[ -z "$(find "$TELEMED_ROOT/common" "$TELEMED_ROOT/plugin" "$TELEMED_ROOT/controller" \
                     "$TELEMED_ROOT/sql" "$TELEMED_ROOT/web" "$TELEMED_ROOT/configure.ac" \
                     "$TELEMED_ROOT/Makefile.am" \
                     -newer "$bin" -type f -print -quit 2>/dev/null)" ]]; then
        return 0
    fi
    if [[ -f "$BUILD_DIR/Makefile" ]]; then
        ensure_configure_script
        log "building in $BUILD_DIR (make -j$BUILD_JOBS)"
        make -C "$BUILD_DIR" -j"$BUILD_JOBS" -s || die "build failed in $BUILD_DIR"
    else
        build_all "$BUILD_DIR"
    fi
    [[ -f "$so" ]]  || die "build finished but $so is missing"
    [[ -x "$bin" ]] || die "build finished but $bin is missing"
}
