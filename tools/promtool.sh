#!/usr/bin/env bash
# Prints the path of promtool (Prometheus's checker of metrics and rules), taken from Debian's
# prometheus package without installing it (no server, no service, no dependencies): the .deb is
# downloaded once and only promtool is kept, under DIR (default build/tools).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}/tools
promtool=$dir/promtool
if [ ! -x "$promtool" ]; then
  mkdir -p "$dir"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1) || {
    apt-get update -qq >/dev/null && (cd "$work" && apt-get download -qq prometheus >/dev/null)
  }
  dpkg-deb -x "$work"/prometheus_*.deb "$work/extract"
  install -m 0755 "$work/extract/usr/bin/promtool" "$promtool"
fi
echo "$promtool"
