#!/usr/bin/env bash
# What connections that never speak cost kruispuntd's memory (issue 19, item 12): its RSS before,
# right after CONNECTS connects-and-closes without a word of HTTP/2, and once it has had time to
# give freed memory back (the server trims every 10 s), twice over, to see it does not grow.
#   bench/tcp_churn.sh [CONNECTS]   (default 15000; needs a built tree: tools/build.sh)
set -euo pipefail
connects=${1:-15000}
source "$(dirname "$0")/scratch.sh"
scratch_start 54332
port=$((20000 + RANDOM % 20000))
"$build/services/kruispuntd" --listen "127.0.0.1:$port" --database-url "$app_url" --migration-database-url "$owner_url" \
  --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" --log-level warn >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do KRUISPUNT_ADDR=127.0.0.1:$port "$cli" health >/dev/null 2>&1 && break; sleep 0.1; done
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
