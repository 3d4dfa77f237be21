#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan,
# coverage instrumentation), straight from the sources each one needs: no
# autotools involvement.
#
#   tests/fuzz/build.sh [OUTDIR]     default OUTDIR: ./build-fuzz of the source tree
#   tests/fuzz/build.sh --list       prints the target names, one a line
#
# Binaries land in OUTDIR/<target>; objects (shared between targets) in
# OUTDIR/obj. Only what is older than its sources, included headers or
# compiler flags is rebuilt. Environment: CXX (clang++), TELEMED_BUILD_JOBS
# (2), TELEMED_WERROR=0 to build without -Werror.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CXX="${CXX:-clang++}"
JOBS="${TELEMED_BUILD_JOBS:-2}"

say() { printf 'fuzz/build: %s\n' "$*" >&2; }

# ------------------------------------------------------------ targets
# Each target: its fuzzer source, then the product sources it links.
COMMON_CORE="common/json.cpp common/permissions.cpp common/crypto.cpp common/ids.cpp"
# The plugin Admin API contract (common/admin_api.hpp) with its error codes and parameter tables.
ADMIN_API="common/admin_api.cpp common/plugin_errors.cpp common/plugin_params.cpp"
declare -A SOURCES=(
    [fuzz_token]="tests/fuzz/fuzz_token.cpp common/token.cpp common/key_spec.cpp $COMMON_CORE"
    [fuzz_credential]="tests/fuzz/fuzz_credential.cpp common/credential.cpp $COMMON_CORE"
    [fuzz_playback_link]="tests/fuzz/fuzz_playback_link.cpp common/playback_link.cpp common/key_spec.cpp $COMMON_CORE"
    [fuzz_requests]="tests/fuzz/fuzz_requests.cpp common/requests.cpp common/timeutil.cpp $COMMON_CORE"
    [fuzz_kvconfig]="tests/fuzz/fuzz_kvconfig.cpp common/kvconfig.cpp"
    [fuzz_plugin_protocol]="tests/fuzz/fuzz_plugin_protocol.cpp plugin/protocol.cpp plugin/room.cpp plugin/media_gate.cpp
                            common/chat.cpp $ADMIN_API common/requests.cpp common/timeutil.cpp $COMMON_CORE"
    [fuzz_janus_reply]="tests/fuzz/fuzz_janus_reply.cpp $ADMIN_API common/requests.cpp common/timeutil.cpp $COMMON_CORE"
    [fuzz_base64url]="tests/fuzz/fuzz_base64url.cpp common/crypto.cpp"
    [fuzz_rfc3339]="tests/fuzz/fuzz_rfc3339.cpp common/timeutil.cpp"
    [fuzz_sdp]="tests/fuzz/fuzz_sdp.cpp plugin/sdp.cpp plugin/media_gate.cpp common/permissions.cpp common/json.cpp"
    [fuzz_rtp]="tests/fuzz/fuzz_rtp.cpp plugin/rtp.cpp"
    [fuzz_chat]="tests/fuzz/fuzz_chat.cpp common/chat.cpp common/plugin_errors.cpp common/plugin_params.cpp $COMMON_CORE"
    [fuzz_files]="tests/fuzz/fuzz_files.cpp common/files.cpp controller/http/range.cpp"
    [fuzz_janus_events]="tests/fuzz/fuzz_janus_events.cpp common/janus_events.cpp $COMMON_CORE"
)
# The order in which they are built (and run by `scripts/test fuzz`).
TARGETS=(fuzz_token fuzz_credential fuzz_playback_link fuzz_requests fuzz_kvconfig fuzz_plugin_protocol fuzz_janus_reply fuzz_base64url fuzz_rfc3339
         fuzz_sdp fuzz_rtp fuzz_chat fuzz_files fuzz_janus_events)
if [[ "${1:-}" == --list ]]; then printf '%s\n' "${TARGETS[@]}"; exit 0; fi

OUT="${1:-$ROOT/build-fuzz}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
command -v "$CXX" >/dev/null || { say "$CXX not found (Debian: apt-get install clang libclang-rt-14-dev)"; exit 1; }

# ------------------------------------------------------------ flags
PKGS=(jansson libcrypto)
pkg-config --exists "${PKGS[@]}" || { say "pkg-config cannot find: ${PKGS[*]}"; exit 1; }
read -r -a PKG_CFLAGS <<<"$(pkg-config --cflags "${PKGS[@]}")"
read -r -a PKG_LIBS <<<"$(pkg-config --libs "${PKGS[@]}")"
# shellcheck disable=SC2054  # the commas belong to -fsanitize=
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
CXXFLAGS=(-std=c++20 -g -O1 -Wall -Wextra -pthread "${SAN[@]}" -fsanitize=fuzzer-no-link
          -I"$ROOT" "${PKG_CFLAGS[@]}")
[[ "${TELEMED_WERROR:-1}" == 1 ]] && CXXFLAGS+=(-Werror)
LDFLAGS=(-pthread "${SAN[@]}" -fsanitize=fuzzer)

# Objects built with other flags are rebuilt: the flags are part of the stamp.
STAMP="$OUT/obj/.flags"
mkdir -p "$OUT/obj"
FLAGS_NOW="$CXX ${CXXFLAGS[*]}"
if [[ ! -f "$STAMP" || "$(<"$STAMP")" != "$FLAGS_NOW" ]]; then
    rm -rf "$OUT/obj"
    mkdir -p "$OUT/obj"
    printf '%s' "$FLAGS_NOW" >"$STAMP"
fi

obj_of() { local s="$1"; printf '%s/obj/%s.o' "$OUT" "${s%.cpp}"; }

# stale SRC: true when SRC's object is missing or older than SRC or any
# header listed in its dependency file.
stale() {
    local src="$1" obj dep f
    obj=$(obj_of "$src"); dep="${obj%.o}.d"
    [[ -f "$obj" && -f "$dep" ]] || return 0
    # shellcheck disable=SC2013  # one word per prerequisite
    for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
        [[ -e "$f" && ! "$f" -nt "$obj" ]] || return 0
    done
    return 1
}

compile() {
    local src="$1" obj
    obj=$(obj_of "$src")
    mkdir -p "$(dirname "$obj")"
    "$CXX" "${CXXFLAGS[@]}" -MMD -MP -MF "${obj%.o}.d" -c "$ROOT/$src" -o "$obj"
}

# ------------------------------------------------------------ build
declare -A seen=()
todo=()
for t in "${TARGETS[@]}"; do
    for s in ${SOURCES[$t]}; do
        [[ -n "${seen[$s]:-}" ]] && continue
        seen[$s]=1
        stale "$s" && todo+=("$s")
    done
done

if (( ${#todo[@]} )); then
    say "compiling ${#todo[@]} source(s) with $CXX (-j$JOBS)"
    failed="$OUT/obj/.failed"
    rm -f "$failed"
    for s in "${todo[@]}"; do
        while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
        { compile "$s" || echo "$s" >>"$failed"; } &
    done
    wait
    [[ ! -f "$failed" ]] || { say "compilation failed: $(tr '\n' ' ' <"$failed")"; exit 1; }
fi

for t in "${TARGETS[@]}"; do
    objs=() relink=0
    for s in ${SOURCES[$t]}; do
        objs+=("$(obj_of "$s")")
        [[ "${objs[-1]}" -nt "$OUT/$t" ]] && relink=1
    done
    [[ -x "$OUT/$t" ]] || relink=1
    if (( relink )); then
        say "linking $t"
        "$CXX" "${LDFLAGS[@]}" "${objs[@]}" "${PKG_LIBS[@]}" -o "$OUT/$t"
    fi
done
say "targets in $OUT: ${TARGETS[*]}"
