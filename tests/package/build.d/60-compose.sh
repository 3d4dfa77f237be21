#!/usr/bin/env bash
# Stand-ins for the upstream images compose.yaml names (postgres, redis,
# coturn: Docker Hub is not reachable here), built from the local base image
# with Debian's packages (tests/package/standins/*/Containerfile). Cached by
# podman's layer cache. Writes $TELEMED_PKG_OUT/compose.env for
# tests/package/compose.test.mjs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
# shellcheck source=../../../scripts/lib/podman.sh
source "$ROOT/scripts/lib/podman.sh"
podman_setup || { echo "60-compose: podman cannot run: $PODMAN_WHY" >&2; exit 1; }
: "${TELEMED_PKG_OUT:?}" "${TELEMED_BASE_IMAGE:?}"
mkdir -p "$TELEMED_PKG_OUT"
env_out="$TELEMED_PKG_OUT/compose.env.tmp"
: >"$env_out"
for s in postgres redis coturn; do
    t0=$(date +%s)
    img="localhost/telemed-standin/$s:latest"
    podman build -q --build-arg BASE="$TELEMED_BASE_IMAGE" -t "$img" "$ROOT/tests/package/standins/$s" >/dev/null
    echo "60-compose: stand-in $img ($(( $(date +%s) - t0 )) s)"
    printf 'TELEMED_%s_IMAGE=%s\n' "${s^^}" "$img" >>"$env_out"
done
mv -f "$env_out" "$TELEMED_PKG_OUT/compose.env"
