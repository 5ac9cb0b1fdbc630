#!/usr/bin/env bash
# What connections that never speak cost kruispuntd's memory (issue 19, item 12): its RSS before,
# right after CONNECTS connects-and-closes without a word of HTTP/2, and once it has had time to
# give freed memory back (the server trims every 10 s), twice over, to see it does not grow.
#   bench/tcp_churn.sh [CONNECTS]   (default 15000; needs a built tree: tools/build.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KP_BUILD_DIR:-$root/build}
connects=${1:-15000}
work=$(mktemp -d)
chmod 755 "$work"  # the cluster runs as its own user (deploy/pg.sh)
pgdata=$work/pg
cleanup() { kill "${pid:-0}" 2>/dev/null || true; "$root/deploy/pg.sh" stop "$pgdata" || true; rm -rf "$work"; }
trap cleanup EXIT
owner_url=$(KP_PG_FAST=1 "$root/deploy/pg.sh" start "$pgdata" 54332)
app_url=$("$root/deploy/pg.sh" app-url "$pgdata" 54332)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
"$build/tools/kruispunt" token --key "$work/key.pem" --org kruispunt --sub kruispuntd --role service >"$work/service.jwt"
port=$((20000 + RANDOM % 20000))
"$build/services/kruispuntd" --listen "127.0.0.1:$port" --database-url "$app_url" --migration-database-url "$owner_url" \
  --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" --log-level warn >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do KRUISPUNT_ADDR=127.0.0.1:$port "$build/tools/kruispunt" health >/dev/null 2>&1 && break; sleep 0.1; done
rss() { echo "$(ps -o rss= -p "$pid" | tr -d ' ') kB"; }
churn() {
  python3 - "$port" "$connects" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for _ in range(n):
    socket.create_connection(("127.0.0.1", port)).close()
PY
}
echo "rss before: $(rss)"
for round in 1 2; do
  churn
  echo "round $round: right after $connects connects: $(rss)"
  sleep 12
  echo "round $round: 12 s later: $(rss)"
done
