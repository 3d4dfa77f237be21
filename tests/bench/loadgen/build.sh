#!/usr/bin/env bash
# Builds the pion load client offline from Debian packages (GOPATH mode,
# /work/shared/LOADGEN-NOTES.md): tests/bench/loadgen/build.sh OUT
# Installs golang-go and golang-github-pion-webrtc.v3-dev with apt-get when
# they are missing (root). ~5 s cold.
set -euo pipefail

out="${1:?usage: build.sh OUT}"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v go >/dev/null || [[ ! -d /usr/share/gocode/src/github.com/pion/webrtc ]]; then
    echo "loadgen: installing golang-go golang-github-pion-webrtc.v3-dev" >&2
    (( EUID == 0 )) || { echo "loadgen: need root to apt-get install" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        golang-go golang-github-pion-webrtc.v3-dev >&2
fi
b=$(mktemp -d /tmp/telemed-loadgen-build.XXXXXX)
trap 'rm -rf "$b"' EXIT
mkdir -p "$b/gopath/src"
# A symlink inside GOPATH works; a folder outside it does not. The stub
# go.mod makes the /v3 import path resolve (Debian ships pion without /v3).
ln -s "$here" "$b/gopath/src/loadgen"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
mkdir -p "$(dirname "$out")"
( cd "$b/gopath/src/loadgen" &&
  GO111MODULE=off GOPATH="$b/gopath:/usr/share/gocode" GOPROXY=off GOFLAGS='' GOCACHE="${TMPDIR:-/tmp}/telemed-loadgen-gocache" \
      go build -o "$out" loadgen )
