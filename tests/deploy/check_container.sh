#!/usr/bin/env bash
# The container image without a container engine: every shared library the built binaries load
# must come from a package the Containerfile's runtime stage installs, from one of their
# dependencies, or from Debian's required base (what debian:12-slim holds). The runtime stage runs
# as a non-root user and has a health check.
set -euo pipefail
containerfile=$(cd "$(dirname "$0")/../.." && pwd)/deploy/container/Containerfile
binaries=("$@")
runtime=$(awk '/^FROM /{stage=$0} stage !~ / AS / && /apt-get install/' "$containerfile" |
  tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm)$')
[ -n "$runtime" ] || { echo "no runtime packages found in $containerfile"; exit 1; }
base=$(dpkg-query -W -f='${Package} ${Priority}\n' | awk '$2 == "required" {print $1}')
available=$( { { echo "$runtime"; echo apt; } |
  xargs apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances 2>/dev/null | grep -E '^[a-z0-9]' | sed 's/:.*//'; echo "$base"; } | sort -u)
libs=$(for b in "${binaries[@]}"; do ldd "$b" | awk '$3 ~ /^\// {print $3}'; done | sort -u)
# One dpkg query for all: each library under both of its merged-/usr paths; the package that has it.
owners=$(for lib in $libs; do l=${lib#/usr}; echo "$l"; echo "/usr$l"; done | xargs dpkg -S 2>/dev/null || true)
missing=0
for lib in $libs; do
  package=$(awk -v l="${lib#/usr}" '{sub(/^\/usr/, "", $2)} $2 == l {sub(/:.*/, "", $1); print $1; exit}' <<<"$owners")
  if [ -z "$package" ] || ! grep -qx "$package" <<<"$available"; then
    echo "$lib (package ${package:-unknown}) is not in the image's runtime stage"; missing=1
  fi
done
[ "$missing" -eq 0 ]
grep -q '^USER 10001' "$containerfile" || { echo "the image must run as a non-root user"; exit 1; }
grep -q '^HEALTHCHECK ' "$containerfile" || { echo "the image needs a health check"; exit 1; }
echo "container: the runtime stage provides every library of ${#binaries[@]} binaries"
