# shellcheck shell=bash
# Podman on a machine without Docker Hub (../shared/PACKAGING-NOTES.md, and
# docs/DEPLOY.md "Building the images without Docker Hub"): a private podman
# configuration, and a local Debian base image built with debootstrap from
# the machine's own Debian mirror, both cached between runs in
# $PKG_CACHE (TELEMED_PKG_CACHE, default /var/cache/telemed-test).
#
#   source scripts/lib/podman.sh
#   podman_setup   || skip "…$PODMAN_WHY"    # config, packages, a smoke run
#   base_image                                # prints local/debian:bookworm-slim
#
# Nothing here touches /etc/containers or the user's own podman storage.

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PKG_CACHE="${TELEMED_PKG_CACHE:-/var/cache/telemed-test}"
BASE_IMAGE="${TELEMED_BASE_IMAGE:-localhost/telemed/debian:bookworm-slim}"
PODMAN_WHY=""
# Host packages the package tier needs (installed when missing).
PKG_TOOLS=(podman buildah runc debootstrap podman-compose debhelper dh-autoreconf devscripts
           lintian fakeroot golang-github-containernetworking-plugin-dnsname)

# The first URI of the machine's Debian sources (deb822 or one-line format).
debian_mirror() {
    local m
    m=$(awk '/^URIs:/ && /debian\/?$/ && !/security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [[ -n "$m" ]] || m=$(awk '$1 == "deb" && $2 !~ /security/ && $2 ~ /debian\/?$/ { print $2; exit }' \
                             /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    printf '%s' "${m:-http://deb.debian.org/debian}"
}

# podman_setup: installs the tools when missing (root only), writes the
# private configuration and exports CONTAINERS_CONF / CONTAINERS_STORAGE_CONF,
# then checks that a container can run. Returns 1 with PODMAN_WHY set when
# this machine cannot run podman (the package tier is then skipped).
podman_setup() {
    local missing=() p
    if (( EUID != 0 )); then PODMAN_WHY="not root (rootless podman is not set up here)"; return 1; fi
    for p in "${PKG_TOOLS[@]}"; do
        dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
    done
    if (( ${#missing[@]} )); then
        log "installing ${missing[*]}"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
               || { apt-get update -q >/dev/null 2>&1 &&
                    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; }; then
            PODMAN_WHY="apt-get could not install ${missing[*]}"
            return 1
        fi
    fi
    mkdir -p "$PKG_CACHE/containers/storage" "$PKG_CACHE/containers/run" "$PKG_CACHE/containers/tmp"
    # The hard nofile limit here is 20000: podman's default asks for more.
    local nofile
    nofile=$(ulimit -Hn); [[ "$nofile" == unlimited ]] && nofile=1048576
    (( nofile > 65536 )) && nofile=65536
    cat >"$PKG_CACHE/containers/containers.conf" <<EOF
[containers]
netns = "host"
cgroups = "enabled"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PKG_CACHE/containers/events.log"
runtime = "runc"
tmp_dir = "$PKG_CACHE/containers/tmp"
EOF
    cat >"$PKG_CACHE/containers/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$PKG_CACHE/containers/storage"
runroot = "$PKG_CACHE/containers/run"
EOF
    export CONTAINERS_CONF="$PKG_CACHE/containers/containers.conf"
    export CONTAINERS_STORAGE_CONF="$PKG_CACHE/containers/storage.conf"
    local out
    if ! out=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' 2>&1); then
        PODMAN_WHY="podman info failed: $(printf '%s' "$out" | tail -n 1)"
        return 1
    fi
    return 0
}

# base_image: builds (once) and prints the local Debian base image: debootstrap
# --variant=minbase from the machine's mirror, apt lists/caches, docs, man
# pages and locales left out, bookworm-updates and -security in its sources.
# Rebuilt when TELEMED_BASE_REFRESH=1, when the cached one is older than 7
# days, or when its recipe changed (BASE_RECIPE, kept in a label).
BASE_RECIPE=2
base_image() {
    local created age rootfs mirror recipe
    if podman image exists "$BASE_IMAGE" 2>/dev/null; then
        created=$(podman image inspect -f '{{.Created.Unix}}' "$BASE_IMAGE" 2>/dev/null || echo 0)
        recipe=$(podman image inspect -f '{{index .Labels "telemed.base-recipe"}}' "$BASE_IMAGE" 2>/dev/null || true)
        age=$(( $(date +%s) - created ))
        if [[ "${TELEMED_BASE_REFRESH:-0}" != 1 && "$recipe" == "$BASE_RECIPE" ]] && (( age < 7 * 86400 )); then
            printf '%s\n' "$BASE_IMAGE"; return 0
        fi
    fi
    mirror=$(debian_mirror)
    rootfs=$(mktemp -d "$PKG_CACHE/rootfs.XXXXXX")
    log "debootstrap --variant=minbase bookworm from $mirror (about 30 s)"
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
        show_log_tail "$rootfs.log" 20
        rm -rf "$rootfs"
        return 1
    fi
    cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian*}/debian-security bookworm-security main
EOF
    # As in Debian's own slim images: no docs, man pages or locales from later installs.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90slim"
    # …and no downloaded .debs or package caches left in a layer after apt-get.
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF
    tar -C "$rootfs" \
        --exclude=./var/lib/apt/lists/* --exclude=./var/cache/apt/* --exclude=./usr/share/doc/* \
        --exclude=./usr/share/man/* --exclude=./usr/share/info/* --exclude=./usr/share/locale/* \
        --exclude=./var/log/* -c . \
      | podman import --change 'CMD ["/bin/bash"]' --change "LABEL telemed.base-recipe=$BASE_RECIPE" \
            - "$BASE_IMAGE" >/dev/null || { rm -rf "$rootfs" "$rootfs.log"; return 1; }
    rm -rf "$rootfs" "$rootfs.log"
    printf '%s\n' "$BASE_IMAGE"
}

# configure_version: the version in configure.ac's AC_INIT (the one source of
# the version: --version, the plugin, image labels, the Debian package).
configure_version() {
    sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$TELEMED_ROOT/configure.ac" | head -n 1
}
