#!/usr/bin/env bash
# Starts Kruispunt on this machine: installs what is missing, builds, starts a private
# PostgreSQL (.data/pg) and kruispuntd on 127.0.0.1:50051, with a development token key pair.
#   deploy/up.sh        start (or restart) everything
#   deploy/up.sh down   stop kruispuntd and PostgreSQL
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${KP_DATA_DIR:-$root/.data}
port=${KP_PG_PORT:-5433}
listen=${KP_LISTEN:-127.0.0.1:50051}
metrics=${KP_METRICS_LISTEN:-127.0.0.1:9464}
pidfile=$data/kruispuntd.pid

stop_server() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$pidfile"
}

if [ "${1:-}" = down ]; then
  stop_server
  "$root/deploy/pg.sh" stop "$data/pg"
  echo "Kruispunt stopped."
  exit 0
fi

"$root/tools/bootstrap.sh"
KP_BUILD_TARGETS="kruispuntd kruispunt" "$root/tools/build.sh"

mkdir -p "$data/keys"
chmod 700 "$data/keys"
if [ ! -f "$data/keys/dev-signing.pem" ]; then
  # Development only: a P-256 key pair; the CLI signs tokens with the private half.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$data/keys/dev-signing.pem" 2>/dev/null
  openssl pkey -in "$data/keys/dev-signing.pem" -pubout -out "$data/keys/dev-public.pem"
fi

cli="$root/build/tools/kruispunt"
# The token the services present to each other (role "service"), renewed at every start.
(umask 077; "$cli" token --key "$data/keys/dev-signing.pem" --org kruispunt --sub kruispuntd \
  --role service --ttl 31536000 >"$data/keys/service.jwt")

owner_url=$("$root/deploy/pg.sh" start "$data/pg" "$port")
url=$("$root/deploy/pg.sh" app-url "$data/pg" "$port")
stop_server
nohup "$root/build/services/kruispuntd" --listen "$listen" --database-url "$url" --migration-database-url "$owner_url" \
  --token-public-keys "$data/keys/dev-public.pem" --service-token-file "$data/keys/service.jwt" \
  --metrics-listen "$metrics" >"$data/kruispuntd.log" 2>&1 &
echo $! >"$pidfile"

for _ in $(seq 1 100); do
  "$cli" --addr "$listen" health >/dev/null 2>&1 && break
  kill -0 "$(cat "$pidfile")" 2>/dev/null || { cat "$data/kruispuntd.log" >&2; exit 1; }
  sleep 0.2
done
"$cli" --addr "$listen" health >/dev/null || { echo "kruispuntd did not become healthy" >&2; exit 1; }

cat <<MSG
Kruispunt is running: kruispuntd on $listen (log: $data/kruispuntd.log; metrics: http://$metrics/metrics)
PostgreSQL: $url (the services' role; the schemas' owner: $owner_url)

Try it (README.md walks through a whole case):
  export KRUISPUNT_ADDR=$listen
  $cli --token \$($cli token --key $data/keys/dev-signing.pem --org kruispunt-platform --sub admin-1 --role admin) \\
    org create dmw-cm --name "DMW CM Leuven" --kind mutuality-social-service --kbo 0123456749
  export KRUISPUNT_TOKEN=\$($cli token --key $data/keys/dev-signing.pem --org dmw-cm --sub social-worker-1)
  $cli client create --insz 59031212301 --given-name Maria --family-name Peeters --birth-date 1959-03-12
Stop it: deploy/up.sh down
MSG
