#!/usr/bin/env bash
# TLS and mTLS with the real binaries: a CA, a server and a client certificate made with openssl;
# kruispuntd serves TLS, then demands client certificates; plaintext off loopback is refused.
set -euo pipefail
kruispuntd=$(realpath "$1")
cli=$(realpath "$2")
: "${KRUISPUNT_TEST_DATABASE_URL:?run through tests/run.sh}"
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; rm -rf "$dir"' EXIT
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=kp-test-ca" \
  -keyout ca.key -out ca.pem 2>/dev/null
for who in server client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
    -keyout $who.key -out $who.csr 2>/dev/null
  printf "subjectAltName=DNS:localhost,IP:127.0.0.1\n" > $who.ext
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile $who.ext -out $who.pem 2>/dev/null
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out token.key 2>/dev/null
openssl pkey -in token.key -pubout -out token.pub
"$cli" token --key token.key --org kruispunt --sub kruispuntd --role service --ttl 3600 > service.jwt

serve() {  # port, extra flags...
  local port=$1; shift
  "$kruispuntd" --listen 127.0.0.1:$port --database-url "$KRUISPUNT_TEST_DATABASE_URL" \
    --token-public-keys token.pub --service-token-file service.jwt --tls-cert server.pem \
    --tls-key server.key "$@" >"log.$port" 2>&1 &
  pids+=($!)
}
wait_healthy() {  # port, cli flags...
  local port=$1; shift
  for _ in $(seq 1 100); do "$cli" --addr localhost:$port "$@" health >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "server on $port never became healthy"; cat "log.$port"; return 1
}
expect_exit() {  # code, command...
  local want=$1; shift
  set +e; "$@" >/dev/null 2>&1; local got=$?; set -e
  [ "$got" -eq "$want" ] || { echo "exit $got, want $want: $*"; exit 1; }
}

tls=$((20000 + RANDOM % 10000))
serve $tls --credentials-recheck-seconds 1
wait_healthy $tls --tls-ca ca.pem
expect_exit 14 "$cli" --addr localhost:$tls health   # plaintext to a TLS server: UNAVAILABLE
org=tls-org-$RANDOM$RANDOM
n=$((RANDOM * 100 + RANDOM % 100 + 1)); kbo=$(printf "%08d%02d" $n $((97 - n % 97)))
admin=$("$cli" token --key token.key --org kruispunt-platform --sub admin-1 --role admin)
expect_exit 0 "$cli" --addr localhost:$tls --tls-ca ca.pem --token "$admin" org create $org --name "TLS" --kind other --kbo $kbo
token=$("$cli" token --key token.key --org $org --sub p1)
expect_exit 5 "$cli" --addr localhost:$tls --tls-ca ca.pem --token "$token" case get cases/2fbd547f-ac6d-4731-8fd3-2b0300863a58

# A certificate renewed in its files (a new CA's, written beside and renamed over the old) is
# served from the next connection on, without a restart.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=kp-test-ca-2" \
  -keyout ca2.key -out ca2.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=server" \
  -keyout server2.key -out server2.csr 2>/dev/null
openssl x509 -req -in server2.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial -days 1 \
  -extfile server.ext -out server2.pem 2>/dev/null
mv server2.key server.key && mv server2.pem server.pem
renewed=no
for _ in $(seq 1 50); do
  if "$cli" --addr localhost:$tls --tls-ca ca2.pem health >/dev/null 2>&1; then renewed=yes; break; fi
  sleep 0.2
done
[ "$renewed" = yes ] || { echo "the renewed certificate was not served"; cat "log.$tls"; exit 1; }
expect_exit 14 "$cli" --addr localhost:$tls --tls-ca ca.pem health   # the old CA no longer verifies it

mtls=$((30000 + RANDOM % 10000))
serve $mtls --tls-client-ca ca.pem
wait_healthy $mtls --tls-ca ca2.pem --tls-cert client.pem --tls-key client.key
expect_exit 14 "$cli" --addr localhost:$mtls --tls-ca ca2.pem health   # no client certificate

# Plaintext is served on loopback only, unless explicitly allowed.
expect_exit 2 "$kruispuntd" --listen 0.0.0.0:$((tls + 1)) --database-url "$KRUISPUNT_TEST_DATABASE_URL" \
  --token-public-keys token.pub --service-token-file service.jwt
echo "tls smoke test passed"
