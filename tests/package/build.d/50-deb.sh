#!/usr/bin/env bash
# Package tier, Debian packages (docs/DEPLOY.md "Debian package"). Runs in the
# host network namespace (it needs Debian's mirror), after tests/package/build.sh
# exported the packages to $TELEMED_PKG_OUT/debs/:
#   1. lintian on both packages (errors fail this script; every tag is kept
#      in $TELEMED_PKG_OUT/lintian.txt);
#   2. an install image FROM $TELEMED_BASE_IMAGE in which `apt-get install`
#      installed both packages from the mirror (--no-install-recommends: the
#      Recommends are a whole Postgres, Redis, coturn and ffmpeg, not what is
#      tested here), the .debs kept in /opt/telemed-debs for reinstall and
#      purge checks.
# Writes $TELEMED_PKG_OUT/deb.env for tests/package/deb.test.mjs and
# systemd.test.mjs (which start the controller and Janus from that image,
# and run systemd-analyze on its root). Stand-alone:
#   TELEMED_PKG_OUT=/var/cache/telemed-test/out-deb tests/package/build.d/50-deb.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# shellcheck source=../../../scripts/lib/podman.sh
source "$ROOT/scripts/lib/podman.sh"
podman_setup || die "podman cannot run: $PODMAN_WHY"

OUT="${TELEMED_PKG_OUT:?TELEMED_PKG_OUT must be set}"
BASE="${TELEMED_BASE_IMAGE:-$(base_image)}"
PREFIX="${TELEMED_DEBTEST_PREFIX:-localhost/telemed-debtest}"
VERSION=$(configure_version)
DEBS="$OUT/debs"
ENVF="$OUT/deb.env"
rm -f "$ENVF"

ctl_deb=$(ls "$DEBS"/telemed-controller_"$VERSION"-*_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
plg_deb=$(ls "$DEBS"/janus-plugin-telemed_"$VERSION"-*_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
[[ -n "$ctl_deb" && -n "$plg_deb" ]] || die "50-deb: no telemed-controller_$VERSION-* / janus-plugin-telemed_$VERSION-* .deb in $DEBS (tests/package/build.sh exports them)"

# 1. lintian (the .debs; --pedantic shows everything, only errors count).
lint="$OUT/lintian.txt"
t0=$(date +%s)
lintian --pedantic -I --tag-display-limit 0 "$ctl_deb" "$plg_deb" >"$lint" 2>&1 || true
lint_errors=$(grep -c '^E: ' "$lint" || true)
lint_warnings=$(grep -c '^W: ' "$lint" || true)
log "50-deb: lintian: $lint_errors errors, $lint_warnings warnings ($(( $(date +%s) - t0 )) s, $lint)"

# 2. The install image.
image="$PREFIX/deb-install:$VERSION"
ctx=$(mktemp -d "$OUT/deb-ctx.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
cp "$ctl_deb" "$plg_deb" "$ctx/"
cat >"$ctx/Containerfile" <<'CF'
ARG BASE
FROM ${BASE}
COPY *.deb /opt/telemed-debs/
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      /opt/telemed-debs/telemed-controller_*.deb /opt/telemed-debs/janus-plugin-telemed_*.deb \
 && rm -rf /var/lib/apt/lists/*
CF
t0=$(date +%s)
if ! podman build --network=host --build-arg BASE="$BASE" -t "$image" -f "$ctx/Containerfile" "$ctx" \
        >"$OUT/deb-install.log" 2>&1; then
    tail -n 30 "$OUT/deb-install.log" >&2
    die "50-deb: installing the packages into $BASE failed (log: $OUT/deb-install.log)"
fi
install_s=$(( $(date +%s) - t0 ))
size=$(podman image inspect --format '{{.Size}}' "$image")
cached=""
grep -q 'Using cache' "$OUT/deb-install.log" && cached=" (cached layers)"
log "50-deb: $image: apt-get install of both packages in $install_s s$cached, image $(( size / 1000000 )) MB"

{
    echo "DEB_VERSION=$VERSION"
    echo "DEB_CONTROLLER=$ctl_deb"
    echo "DEB_PLUGIN=$plg_deb"
    echo "DEB_CONTROLLER_BYTES=$(stat -c %s "$ctl_deb")"
    echo "DEB_PLUGIN_BYTES=$(stat -c %s "$plg_deb")"
    echo "DEB_LINTIAN_LOG=$lint"
    echo "DEB_LINTIAN_ERRORS=$lint_errors"
    echo "DEB_LINTIAN_WARNINGS=$lint_warnings"
    echo "DEB_INSTALL_IMAGE=$image"
    echo "DEB_INSTALL_IMAGE_BYTES=$size"
    echo "DEB_INSTALL_SECONDS=$install_s"
    echo "DEB_INSTALL_CACHED=${cached:+1}"
} >"$ENVF.tmp"
mv -f "$ENVF.tmp" "$ENVF"
(( lint_errors == 0 )) || { grep '^E: ' "$lint" >&2; die "50-deb: lintian found $lint_errors errors"; }
