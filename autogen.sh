#!/bin/sh
# Regenerates configure and Makefile.in; needs autoconf, automake, libtool, autoconf-archive.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
exec autoreconf -fi
