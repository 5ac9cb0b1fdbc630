#!/usr/bin/env bash
# The access log's reads on a large log (issue 23): ENTRIES entries (default 5,000,000) over the
# last 90 days, by 200 organisations about 100,000 cases (2 % denials), appended by SQL into a
# scratch cluster this build migrated; then, through kruispuntd and the CLI, the median of 5 calls'
# time in the server (its log line's duration_us) of:
#   the DPO's search: a day three weeks back, the last month, one organisation's last month, the
#   last month's denials; a case's log (ListCaseAccessLog): the first page, and a page after four
#   fifths of its entries. Then the partner's GetCase throughput at concurrency 16 (kp-loadgen),
#   alone and while a DPO searches the last month in a loop (kp-loadgen, one search after another),
#   in 3 alternating rounds, with the CPU per call of kruispuntd and PostgreSQL.
#   bench/access_log_search.sh [ENTRIES]   (needs tools/build.sh)
set -euo pipefail
entries=${1:-5000000}
source "$(dirname "$0")/scratch.sh"
scratch_start 54334
"$build/services/kruispuntd" --migrate-only 1 --database-url "$app_url" --migration-database-url "$owner_url" 2>/dev/null

echo "appending $entries entries ..."
start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -v n="$entries" "$owner_url" <<'SQL'
SET synchronous_commit = off;
-- The log is kept by month (audit/0005): the months the last 90 days span.
SELECT audit.create_access_log_partition(now() - make_interval(months => m)) FROM generate_series(1, 4) AS m;
INSERT INTO audit.access_log (case_id, organization, person, category, action, purpose, decision, ground,
                              deny_reason, rpc, request_id, entry_time)
SELECT md5('case' || (g % 100000))::uuid, 'org-' || (g % 200), 'p-' || (g % 1000), 2, 1, 1,
       CASE WHEN g % 50 = 0 THEN 2 ELSE 1 END, CASE WHEN g % 50 = 0 THEN 0 ELSE 1 END,
       CASE WHEN g % 50 = 0 THEN 4 ELSE 0 END, 'kruispunt.cases.v1.CaseService/GetCase', 'bench',
       now() - interval '90 days' + (g::double precision / :n) * interval '90 days'
FROM generate_series(1, :n) AS g;
ANALYZE audit.access_log;
SQL
echo "appended in $(( $(date +%s) - start )) s; $(psql -X -At "$owner_url" -c "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) FROM pg_partition_tree('audit.access_log')") with indexes"

port=$((20000 + RANDOM % 20000))
export KRUISPUNT_ADDR=127.0.0.1:$port
"$build/services/kruispuntd" --listen "$KRUISPUNT_ADDR" --database-url "$app_url" --migrate 0 \
  --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" --log-format json >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do "$cli" health >/dev/null 2>&1 && break; sleep 0.1; done
dpo=$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub dpo-1 --role dpo)
day=$(date -u -d '21 days ago' +%Y-%m-%dT00:00:00Z); next=$(date -u -d '20 days ago' +%Y-%m-%dT00:00:00Z)
month=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)
median_ms() {  # command...: the median of 5 runs' time in the server, in ms (each must list entries)
  local times=()
  for _ in 1 2 3 4 5; do
    "$@" >"$work/out"
    grep -q accessLogEntries "$work/out" || { echo "no entries: $*"; head -5 "$work/out"; exit 1; }
    sleep 1.1  # the server flushes its log every second
    times+=($(python3 -c 'import json,sys
lines = [json.loads(l) for l in open(sys.argv[1]) if "\"msg\":\"rpc\"" in l]
print(next(l["duration_us"] for l in reversed(lines) if l["method"] in ("SearchAccessLog", "ListCaseAccessLog")))' "$work/log"))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{ printf "%.1f", $1 / 1000 }'
}
# Every database worker connects and prepares its statements on its first call: not measured.
for _ in $(seq 1 12); do "$cli" --token "$dpo" log search --from "$month" >/dev/null; done
echo "search, a day three weeks back:  $(median_ms "$cli" --token "$dpo" log search --from "$day" --until "$next") ms"
echo "search, the last month:          $(median_ms "$cli" --token "$dpo" log search --from "$month") ms"
echo "search, an organisation's month: $(median_ms "$cli" --token "$dpo" log search --organization organizations/org-7 --from "$month") ms"
echo "search, the month's denials:     $(median_ms "$cli" --token "$dpo" log search --decision deny --from "$month") ms"
owner=$(psql -X -At "$owner_url" -c "SELECT organization FROM audit.access_log WHERE case_id = md5('case7')::uuid LIMIT 1")
psql -X -q "$owner_url" -c "INSERT INTO cases.clients (client_id, registering_org, insz, given_name, family_name, birth_date, created_by)
  VALUES (md5('client7')::uuid, '$owner', '59031212301', 'A', 'B', '1959-03-12', 'bench');
  INSERT INTO cases.cases (case_id, client_id, owner_org, title, created_by)
  VALUES (md5('case7')::uuid, md5('client7')::uuid, '$owner', 'bench', 'bench');"
"$cli" --token "$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub admin-1 --role admin)" \
  org create "$owner" --name "Bench" --kind other --kbo 0000000097 >/dev/null
psql -X -q "$owner_url" -c "INSERT INTO team.cases (case_id, owner_org, client_id, case_state) VALUES (md5('case7')::uuid, '$owner', md5('client7')::uuid, 1)"
owner_token=$("$cli" token --key "$work/key.pem" --org "$owner" --sub sw)
case7=cases/$(psql -X -At "$owner_url" -c "SELECT md5('case7')::uuid")
for _ in $(seq 1 12); do "$cli" --token "$owner_token" log case "$case7" >/dev/null; done  # prepared on each worker
echo "a case's log, first page:        $(median_ms "$cli" --token "$owner_token" log case "$case7") ms"
# A deep page: after four fifths of the case's entries (the oldest month).
deep=$("$cli" --json --token "$owner_token" log case "$case7" --page-size $((entries / 125000)) |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["next_page_token"])')
echo "a case's log, a deep page:       $(median_ms "$cli" --token "$owner_token" log case "$case7" --page-token "$deep") ms"

# The partner's GetCase at concurrency 16 (kp-loadgen, 5 s), alone and while a DPO searches the
# last month in a loop, in 3 alternating rounds: medians of throughput and p99 (issue 23: the
# loop may cost at most a tenth of the throughput).
admin=$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub admin-1 --role admin)
"$cli" --token "$admin" org create bench-get --name bench-get --kind other --kbo 0123456749 >/dev/null
"$cli" --token "$admin" org create bench-partner --name bench-partner --kind other --kbo 0200000142 >/dev/null
get_token=$("$cli" token --key "$work/key.pem" --org bench-get --sub bench --ttl 86400)
partner_token=$("$cli" token --key "$work/key.pem" --org bench-partner --sub bench-partner-1 --ttl 86400)
"$cli" --token "$partner_token" person create --professional bench-partner-1 --profession bench --given-name Bench \
  --family-name Partner >/dev/null
loadgen=$build/bench/kp-loadgen
"$loadgen" --addr "$KRUISPUNT_ADDR" --token "$get_token" seed --cases 200 \
  --partner organizations/bench-partner/people/bench-partner-1 --partner-org bench-partner >/dev/null
postmaster=$(head -1 "$work/pg/postmaster.pid")
partner_get() {  # prints "rps p99_us", and loadgen's whole line (with the CPU per call) to $work/loadgen.txt
  "$loadgen" --addr "$KRUISPUNT_ADDR" --token "$partner_token" run --scenario get --list-token "$get_token" \
    --concurrency 16 --seconds 5 --cpu "kruispuntd=$pid,postgres=$postmaster" | tee -a "$work/loadgen.txt" |
    sed -n 's/.* rps=\([0-9]*\) p50_us=[0-9]* p99_us=\([0-9]*\) .*/\1 \2/p'
}
# The DPO's loop: one search after another over one connection (kp-loadgen, concurrency 1), for
# the whole of the partner's measurement.
alone=() searching=()
for _ in 1 2 3; do
  alone+=("$(partner_get)")
  "$loadgen" --addr "$KRUISPUNT_ADDR" --token "$dpo" run --scenario search --concurrency 1 --warmup 0 --seconds 7 \
    >"$work/search.txt" &
  loop=$!
  searching+=("$(partner_get)")
  wait $loop
  echo "  alone ${alone[-1]}; searching ${searching[-1]}; the DPO's loop: $(grep -o 'rps=[0-9]* p50_us=[0-9]*' "$work/search.txt")"
done
grep -o 'rps=.*' "$work/loadgen.txt" | sed 's/^/  /'
median() { sort -n | sed -n 2p; }
summary() {  # NAME "rps p99_us"...
  local name=$1; shift
  local rps p99
  rps=$(printf '%s\n' "$@" | cut -d' ' -f1 | median); p99=$(printf '%s\n' "$@" | cut -d' ' -f2 | median)
  echo "partner GetCase, concurrency 16, $name: $rps/s, p99 $((p99 / 1000)) ms"
}
summary "alone" "${alone[@]}"
summary "while a DPO searches a month in a loop" "${searching[@]}"
