# Container images of telemed (docs/DEPLOY.md "Container images").
#
#   stage build       compiles the Debian packages (dpkg-buildpackage from
#                     debian/, one compile for packages and images; ccache in
#                     a build cache mount)
#   stage debs        only the .deb files (tests/package/build.sh exports them)
#   stage janus       Debian's janus + janus-plugin-telemed, configured at
#                     start from the environment by janus-config
#   stage controller  telemed-controller (binary with its migrations and
#                     OpenAPI embedded, web app), no ffmpeg
#   stage recorder    telemed-controller --recordings-only + ffmpeg + janus-tools
#
# tests/package/build.sh builds them:
#   podman build --target janus --build-arg BASE=... --build-arg VERSION=0.1.0 \
#                -t localhost/telemed/janus:0.1.0 .
# VERSION is configure.ac's AC_INIT version (build.sh reads it; this file has
# none of its own). No secret is baked into any layer: every secret comes from
# the environment or a mounted /etc/telemed/secrets.env at start.
ARG BASE=debian:bookworm-slim

# ---------------------------------------------------------------- build
FROM ${BASE} AS build
ARG VERSION
ENV DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/lib/ccache:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CCACHE_DIR=/ccache \
    CCACHE_MAXSIZE=2G \
    DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2"
RUN test -n "$VERSION" || { echo "build-arg VERSION (configure.ac's version) is required" >&2; exit 1; }
WORKDIR /build/src
# Build dependencies first (a layer that changes only with debian/control).
COPY debian/control debian/control
RUN --mount=type=cache,target=/var/cache/apt,id=telemed-apt-archives,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,id=telemed-apt-lists,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends build-essential ccache dpkg-dev fakeroot equivs \
 && apt-get build-dep -y -q ./
# The sources a package build reads (not tests/integ, e2e…, Dockerfile,
# docker/: editing those leaves this stage cached).
COPY configure.ac Makefile.am autogen.sh README.md package.json package-lock.json ./
COPY *.md ./
COPY m4 m4
COPY common common
COPY plugin plugin
COPY controller controller
COPY sql sql
COPY conf conf
COPY web web
COPY docs docs
COPY scripts scripts
COPY tests/unit tests/unit
COPY debian debian
RUN --mount=type=cache,target=/ccache,id=telemed-ccache \
    set -e; \
    v=$(dpkg-parsechangelog -S Version); \
    case "$v" in "$VERSION"-*) ;; *) echo "debian/changelog is at $v, configure.ac at $VERSION: they must agree" >&2; exit 1;; esac; \
    ccache -z >/dev/null; \
    dpkg-buildpackage -us -uc -b; \
    ccache -s | grep -Ei 'hits|misses' || true; \
    mkdir -p /out; mv ../*.deb /out/; cd /out; sha256sum *.deb >SHA256SUMS; ls -l /out

# ---------------------------------------------------------------- debs
FROM scratch AS debs
COPY --from=build /out/ /

# ------------------------------------------------------- runtime base
# The user every image runs as: fixed ids, so that the volumes shared by the
# janus, controller and recorder containers agree on who owns the files
# (the packages' postinst finds the user and keeps it).
FROM ${BASE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
RUN groupadd --system --gid 999 telemed \
 && useradd --system --uid 999 --gid telemed --home-dir /var/lib/telemed --no-create-home \
            --shell /usr/sbin/nologin telemed \
 && install -d -o telemed -g telemed -m 0750 /var/lib/telemed /var/lib/telemed/files /var/lib/telemed/recordings \
 && install -d -o root -g telemed -m 0750 /etc/telemed
COPY docker/load-secrets /usr/local/lib/telemed/load-secrets
# Labels of every image (each adds its title and description).
ARG VERSION
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/telemed/telemed" \
      org.opencontainers.image.licenses="NOASSERTION" \
      org.opencontainers.image.vendor="telemed"
# The packages' checksums first: podman's layer cache does not look into a
# --mount=type=bind,from=… source, this COPY is what makes a changed .deb
# rebuild the layer below (and records what the image was built from).
COPY --from=debs /SHA256SUMS /usr/local/share/telemed/debs.sha256sums

# ---------------------------------------------------------------- janus
FROM runtime AS janus
LABEL org.opencontainers.image.title="telemed-janus" \
      org.opencontainers.image.description="Janus WebRTC server with janus.plugin.telemed"
RUN --mount=type=bind,from=debs,source=/,target=/debs \
    --mount=type=cache,target=/var/cache/apt,id=telemed-apt-archives,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,id=telemed-apt-lists,sharing=locked \
    apt-get update -q \
 && apt-get install -y -q --no-install-recommends /debs/janus-plugin-telemed_*.deb \
 && rm -f /etc/telemed/secrets.env /etc/ssl/private/ssl-cert-snakeoil.key \
 && install -d -o telemed -g telemed -m 0700 /run/janus-telemed \
 && rm -rf /var/log/apt /var/log/dpkg.log
COPY docker/janus-entrypoint /usr/local/bin/janus-entrypoint
# HTTP API, WebSocket API, Admin API; media on TELEMED_RTP_PORT_RANGE (UDP).
EXPOSE 8088 8188 7088
VOLUME ["/var/lib/telemed/recordings"]
USER telemed
WORKDIR /var/lib/telemed
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/janus-entrypoint"]

# ---------------------------------------------------------- controller
FROM runtime AS controller
LABEL org.opencontainers.image.title="telemed-controller" \
      org.opencontainers.image.description="telemed control daemon: REST API, web app, OpenAPI"
# curl for the HEALTHCHECK: libcurl is in the image anyway (the controller
# links it), the curl binary adds about 0.3 MB.
RUN --mount=type=bind,from=debs,source=/,target=/debs \
    --mount=type=cache,target=/var/cache/apt,id=telemed-apt-archives,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,id=telemed-apt-lists,sharing=locked \
    apt-get update -q \
 && apt-get install -y -q --no-install-recommends /debs/telemed-controller_*.deb curl \
 && rm -f /etc/telemed/secrets.env \
 && rm -rf /var/log/apt /var/log/dpkg.log
COPY docker/controller-entrypoint /usr/local/bin/controller-entrypoint
COPY docker/healthcheck /usr/local/bin/telemed-healthcheck
# This image has no ffmpeg / janus-pp-rec: the recorder image post-processes
# recordings (telemed-controller --recordings-only). -e overrides it.
ENV TELEMED_RECORDING_WORKERS=0
EXPOSE 8080
VOLUME ["/var/lib/telemed/files"]
USER telemed
WORKDIR /var/lib/telemed
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/telemed-healthcheck"]
ENTRYPOINT ["/usr/local/bin/controller-entrypoint"]

# ------------------------------------------------------------ recorder
# The controller image plus the programs of the recording post-processing;
# it runs only that (no HTTP server, hence no HEALTHCHECK).
FROM controller AS recorder
LABEL org.opencontainers.image.title="telemed-recorder" \
      org.opencontainers.image.description="telemed recording post-processing (telemed-controller --recordings-only, ffmpeg, janus-pp-rec)"
USER root
RUN --mount=type=cache,target=/var/cache/apt,id=telemed-apt-archives,sharing=locked \
    --mount=type=cache,target=/var/lib/apt/lists,id=telemed-apt-lists,sharing=locked \
    apt-get update -q \
 && apt-get install -y -q --no-install-recommends ffmpeg janus-tools \
 && rm -rf /var/log/apt /var/log/dpkg.log
ENV TELEMED_RECORDING_WORKERS=1
VOLUME ["/var/lib/telemed/recordings"]
USER telemed
HEALTHCHECK NONE
CMD ["--recordings-only"]
