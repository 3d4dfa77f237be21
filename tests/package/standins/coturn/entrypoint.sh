#!/bin/sh
case "${1:-}" in -*) set -- turnserver "$@" ;; esac
exec "$@"
