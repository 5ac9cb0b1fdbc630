#!/usr/bin/env bash
# The systemd unit for a plain Debian host: systemd accepts it (verify, against the binary just
# built) and its hardening keeps the exposure below 2.0 (systemd-analyze security, offline).
set -euo pipefail
kruispuntd=$(realpath "$1")
unit=$(cd "$(dirname "$0")/../.." && pwd)/deploy/systemd/kruispuntd.service
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/kruispuntd|$kruispuntd|g" "$unit" >"$dir/kruispuntd.service"
: >"$dir/kruispuntd.env"
sed -i "s|^EnvironmentFile=.*|EnvironmentFile=$dir/kruispuntd.env|" "$dir/kruispuntd.service"
SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$dir/kruispuntd.service"
# The threshold is in tenths: 19 fails an exposure of 2.0 or more.
systemd-analyze security --offline=true --threshold=19 "$dir/kruispuntd.service" | tail -1
