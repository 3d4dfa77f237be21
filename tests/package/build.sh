#!/usr/bin/env bash
# tests/package/build.sh: the package tier's build step (scripts/test
# package), in the host network namespace (Debian's mirror is reachable only
# there). Builds, from the top-level Dockerfile with podman's private
# configuration (scripts/lib/podman.sh):
#   localhost/telemed/{janus,controller,recorder}:<configure.ac version>
# and the Debian packages (stage debs, exported to $TELEMED_PKG_OUT/debs/),
# writes $TELEMED_PKG_OUT/images.env for tests/package/*.test.mjs, then runs
# every executable tests/package/build.d/*.sh in order (each writes its own
# $TELEMED_PKG_OUT/<name>.env). Prints image sizes (against the goals:
# controller <= 120 MB, Janus <= 300 MB) and times.
#
# Environment: TELEMED_BASE_IMAGE (default: scripts/lib/podman.sh base_image),
# TELEMED_PKG_OUT (default $TELEMED_PKG_CACHE/out), TELEMED_IMAGE_PREFIX
# (default localhost/telemed). Fast when nothing changed: podman's layer
# cache; ccache (a build cache mount) when only sources changed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export TELEMED_ROOT="$ROOT"
# shellcheck source=../../scripts/lib/podman.sh
source "$ROOT/scripts/lib/podman.sh"

t0=$(date +%s)
podman_setup || { echo "build.sh: podman cannot run here: $PODMAN_WHY" >&2; exit 1; }
BASE="${TELEMED_BASE_IMAGE:-}"
[[ -n "$BASE" ]] || BASE=$(base_image) || { echo "build.sh: no base image" >&2; exit 1; }
OUT="${TELEMED_PKG_OUT:-$PKG_CACHE/out}"
PREFIX="${TELEMED_IMAGE_PREFIX:-localhost/telemed}"
VERSION=$(configure_version)
[[ "$VERSION" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "build.sh: no version in configure.ac's AC_INIT" >&2; exit 1; }
[[ -f "$ROOT/debian/control" ]] || { echo "build.sh: debian/ is missing: the images are built from the Debian packages" >&2; exit 1; }
mkdir -p "$OUT"
export TELEMED_PKG_OUT="$OUT" TELEMED_BASE_IMAGE="$BASE"
LOGDIR="$OUT/build-logs"
mkdir -p "$LOGDIR"

echo "build.sh: version $VERSION, base $BASE, output $OUT"
# The packages (the compile), exported for build.d/ and the tests, then the
# three images, tagged with the version and `latest` (compose.yaml's default
# names): scripts/build-images, as an operator builds them.
if ! "$ROOT/scripts/build-images" --base "$BASE" --prefix "$PREFIX" --debs "$OUT/debs" --log-dir "$LOGDIR" \
        janus controller recorder; then
    echo "build.sh: scripts/build-images failed" >&2
    exit 1
fi

mb() { podman image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.1f", $1 / 1000000 }'; }
goal() { awk -v s="$1" -v g="$2" 'BEGIN { if (g == "") print "no goal"; else if (s <= g) print "goal <= " g " MB met"; else print "goal <= " g " MB NOT met" }'; }
debpath() { ls "$OUT"/debs/"$1"_*.deb 2>/dev/null | head -n 1; }
{
    echo "# written by tests/package/build.sh"
    echo "TELEMED_VERSION=$VERSION"
    echo "TELEMED_BASE_IMAGE=$BASE"
    echo "TELEMED_IMAGE_JANUS=$PREFIX/janus:$VERSION"
    echo "TELEMED_IMAGE_CONTROLLER=$PREFIX/controller:$VERSION"
    echo "TELEMED_IMAGE_RECORDER=$PREFIX/recorder:$VERSION"
    echo "TELEMED_IMAGE_JANUS_MB=$(mb "$PREFIX/janus:$VERSION")"
    echo "TELEMED_IMAGE_CONTROLLER_MB=$(mb "$PREFIX/controller:$VERSION")"
    echo "TELEMED_IMAGE_RECORDER_MB=$(mb "$PREFIX/recorder:$VERSION")"
    echo "TELEMED_DEB_DIR=$OUT/debs"
    echo "TELEMED_DEB_CONTROLLER=$(debpath telemed-controller)"
    echo "TELEMED_DEB_PLUGIN=$(debpath janus-plugin-telemed)"
    echo "CONTAINERS_CONF=$CONTAINERS_CONF"
    echo "CONTAINERS_STORAGE_CONF=$CONTAINERS_STORAGE_CONF"
} >"$OUT/images.env.tmp"
mv -f "$OUT/images.env.tmp" "$OUT/images.env"

t_images=$(( $(date +%s) - t0 ))
for t in janus:300 controller:120 recorder:; do
    s=$(mb "$PREFIX/${t%%:*}:$VERSION")
    printf 'build.sh: image %-38s %7s MB  (%s)\n' "$PREFIX/${t%%:*}:$VERSION" "$s" "$(goal "$s" "${t#*:}")"
done
echo "build.sh: images and packages in ${t_images}s"

# Further build steps (packages checks, compose…), in order.
rc=0
for f in "$ROOT"/tests/package/build.d/*.sh; do
    [[ -x "$f" ]] || continue
    s=$(date +%s)
    if "$f"; then
        echo "build.sh: $(basename "$f") ok in $(( $(date +%s) - s ))s"
    else
        echo "build.sh: $(basename "$f") FAILED (exit $?)" >&2
        rc=1
    fi
done
echo "build.sh: done in $(( $(date +%s) - t0 ))s"
exit "$rc"
