#!/usr/bin/env bash
# What verifying a long agreement log costs kruispuntd's memory (issue 23, item 5): one case whose
# chain has ENTRIES entries (valid ones appended by SQL, hashed over each other), verified through
# the API; prints the server's peak RSS (VmHWM) before and after, and the call's time. With a
# second binary, the same database and case are verified by it too, for a comparison.
#   bench/verify_memory.sh [ENTRIES] [OTHER_KRUISPUNTD]   (default 100000; needs tools/build.sh)
set -euo pipefail
entries=${1:-100000}
other=${2:-}
source "$(dirname "$0")/scratch.sh"
scratch_start 54333
port=$((20000 + RANDOM % 20000))
export KRUISPUNT_ADDR=127.0.0.1:$port
start() {  # binary
  "$1" --listen "$KRUISPUNT_ADDR" --database-url "$app_url" --migration-database-url "$owner_url" \
    --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" --log-level warn >"$work/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do "$cli" health >/dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$work/log"; exit 1
}
start "$build/services/kruispuntd"

# One case with a care coordinator and one proposed agreement (its first log entry).
n=$((RANDOM * 100 + RANDOM % 100 + 1)); kbo=$(printf "%08d%02d" $n $((97 - n % 97)))
"$cli" --token "$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub admin-1 --role admin)" \
  org create bench-verify --name "Bench" --kind other --kbo $kbo >/dev/null
export KRUISPUNT_TOKEN=$("$cli" token --key "$work/key.pem" --org bench-verify --sub sw --ttl 86400)
"$cli" person create --professional sw --profession bench --given-name Bench --family-name Verify >/dev/null
client=$("$cli" --json client create --insz 59031212301 --given-name A --family-name B --birth-date 1959-03-12 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
case=$("$cli" --json case create --client "$client" --title Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
"$cli" team add "$case" --person organizations/bench-verify/people/sw --role care-coordinator --permit read-case \
  --permit manage-team --permit propose-agreements >/dev/null
agreement=$("$cli" --json agreement propose "$case" --text "Bench" --party organizations/bench-verify |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')

# The rest of the chain, valid, by SQL as the schemas' owner.
psql -q "$owner_url" -v case_id="${case#cases/}" -v agreement_id="${agreement##*/}" -v last="$entries" <<'SQL'
WITH RECURSIVE head AS (SELECT last_sequence, last_hash FROM agreements.chain_heads WHERE case_id = :'case_id'),
chain(sequence, canonical, previous_hash, hash) AS (
  SELECT h.last_sequence + 1, c, h.last_hash, encode(sha256(convert_to(h.last_hash || E'\n' || c, 'UTF8')), 'hex')
  FROM head h, LATERAL (SELECT '{"sequence":' || (h.last_sequence + 1) || ',"text":"' || repeat('x', 400) || '"}' AS c) x
  UNION ALL
  SELECT k.sequence + 1, c, k.hash, encode(sha256(convert_to(k.hash || E'\n' || c, 'UTF8')), 'hex')
  FROM chain k, LATERAL (SELECT '{"sequence":' || (k.sequence + 1) || ',"text":"' || repeat('x', 400) || '"}' AS c) y
  WHERE k.sequence < :last)
INSERT INTO agreements.log (case_id, sequence, kind, agreement_id, version, event_time, canonical, previous_hash, hash)
SELECT :'case_id', sequence, 1, :'agreement_id', 1, now(), canonical, previous_hash, hash FROM chain;
UPDATE agreements.chain_heads h SET last_sequence = l.sequence, last_hash = l.hash
FROM agreements.log l WHERE h.case_id = :'case_id' AND l.case_id = h.case_id AND l.sequence = :last;
ANALYZE agreements.log;
SQL

peak() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
measure() {  # label
  local before after started elapsed result
  before=$(peak)
  started=$(date +%s%N)
  result=$("$cli" agreement verify "$case" | tr '\n' ' ')
  elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
  after=$(peak)
  echo "$1: peak RSS ${before} kB before, ${after} kB after (+$((after - before)) kB); ${elapsed} ms; $result"
}
measure "this build, $entries entries"
if [ -n "$other" ]; then
  kill "$pid"; wait "$pid" || true
  start "$other"
  measure "$other, $entries entries"
fi
