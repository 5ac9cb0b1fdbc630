#!/usr/bin/env bash
# Smoke test of the real binaries as a newcomer uses them: kruispuntd against the test database,
# the CLI minting a token and driving a client and case through their lifecycle; exit codes.
set -euo pipefail
kruispuntd=$1
cli=$2
: "${KRUISPUNT_TEST_DATABASE_URL:?run through tests/run.sh}"
dir=$(mktemp -d)
watch_pid=
trap 'kill $pid $watch_pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/key.pem" 2>/dev/null
openssl pkey -in "$dir/key.pem" -pubout -out "$dir/pub.pem"
"$cli" token --key "$dir/key.pem" --org kruispunt --sub kruispuntd --role service > "$dir/service.jwt"
# A migration job (before a rollout): migrates, grants, exits 0, and needs no keys or ports.
"$kruispuntd" --migrate-only 1 --database-url "$KRUISPUNT_TEST_APP_DATABASE_URL" \
  --migration-database-url "$KRUISPUNT_TEST_DATABASE_URL" --log-format json 2>"$dir/migrate.log"
grep -q '"msg":"migrated; exiting (--migrate-only)"' "$dir/migrate.log"
# The access log's retention job (docs/operations.md, Retention) runs as the owner and exits 0;
# a job the binary does not have, or one without the owner's URL, is refused with 2.
mkdir "$dir/archive"
"$kruispuntd" --job expire-access-log --migration-database-url "$KRUISPUNT_TEST_DATABASE_URL" \
  --access-log-retention-months 120 --access-log-archive-dir "$dir/archive" --log-format json 2>"$dir/expire.log"
grep -q '"job":"expire-access-log","msg":"job_done"' "$dir/expire.log"
rc=0; "$kruispuntd" --job expire-everything --migration-database-url "$KRUISPUNT_TEST_DATABASE_URL" 2>/dev/null || rc=$?
[ "$rc" = 2 ]
rc=0; "$kruispuntd" --job expire-access-log 2>/dev/null || rc=$?
[ "$rc" = 2 ]
port=$((20000 + RANDOM % 20000))
metrics_port=$((port + 1))
export KRUISPUNT_ADDR=127.0.0.1:$port
start_server() {  # $1: its log file
  "$kruispuntd" --listen 127.0.0.1:$port --database-url "$KRUISPUNT_TEST_APP_DATABASE_URL" \
    --migration-database-url "$KRUISPUNT_TEST_DATABASE_URL" --token-public-keys "$dir/pub.pem" --service-token-file "$dir/service.jwt" \
    --metrics-listen 127.0.0.1:$metrics_port --log-format json >"$1" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do "$cli" health >/dev/null 2>&1 && break; sleep 0.1; done
}
start_server "$dir/log"
"$cli" health | grep -q SERVING
# Every binary names its version and commit.
"$kruispuntd" --version | grep -Eq '^kruispuntd [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}(\+changes)?, [0-9-]{10}\)$'
"$cli" --version | grep -Eq '^kruispunt [0-9]+\.[0-9]+\.[0-9]+ \(commit '
# Reflection describes every service it lists, gRPC's own health service too.
"$cli" services >"$dir/services"
grep -qx "grpc.health.v1.Health/Check" "$dir/services"
grep -qx "kruispunt.cases.v1.CaseService/GetCase" "$dir/services"
grep -qx "kruispunt.socialmap.v1.SocialMapService/SearchServices" "$dir/services"
# The internal services are not on the public port.
if grep -q "InternalService" "$dir/services"; then echo "the public port lists an internal service"; exit 1; fi

# A platform administrator adds the organisation; its social worker registers and becomes the
# case's care coordinator, so that the case can be activated.
org=smoke-$RANDOM$RANDOM
sw=sw-$RANDOM$RANDOM
n=$((RANDOM * 100 + RANDOM % 100 + 1)); kbo=$(printf "%08d%02d" $n $((97 - n % 97)))
"$cli" --token "$("$cli" token --key "$dir/key.pem" --org kruispunt-platform --sub admin-1 --role admin)" \
  org create $org --name "DMW Smoke" --kind mutuality-social-service --kbo $kbo | grep -q "active: true"
export KRUISPUNT_TOKEN=$("$cli" token --key "$dir/key.pem" --org $org --sub $sw)
"$cli" person create --professional $sw --profession "maatschappelijk werker" --given-name Sofie \
  --family-name Janssens >/dev/null
client=$("$cli" --json client create --insz 59031212301 --given-name Maria --family-name Peeters \
  --birth-date 1959-03-12 | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
case=$("$cli" --json case create --client "$client" --title "Schulden" --domain finances --domain housing |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
set +e
"$cli" case activate "$case" 2>"$dir/err"; code=$?
set -e
[ "$code" -eq 9 ] || { echo "activate without a care coordinator: exit $code, want 9"; exit 1; }
grep -q "NO_CARE_COORDINATOR" "$dir/err"
"$cli" team add "$case" --person organizations/$org/people/$sw --role care-coordinator --permit read-case --permit manage-team \
  | grep -q PARTICIPANT_ROLE_CARE_COORDINATOR
"$cli" team list "$case" | grep -q PARTICIPANT_ROLE_CLIENT
"$cli" case activate "$case" | grep -q CASE_STATE_ACTIVE
"$cli" case list --state active | grep -q "$case"

# The care plan: a goal in the client's words, accepted, evaluated; the plan shows it.
client_participant=$("$cli" --json team list "$case" | python3 -c '
import json, sys
print(next(p["name"] for p in json.load(sys.stdin)["participants"] if p["role"] == "PARTICIPANT_ROLE_CLIENT"))')
goal=$("$cli" --json goal add "$case" --statement "Ik wil in mijn huis blijven wonen" --domain housing \
  --held-by "$client_participant" --priority 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
"$cli" goal accept "$goal" | grep -q GOAL_STATE_ACCEPTED
"$cli" evaluation add "$case" --goal "$goal" --client-score 6 --client-note "Het gaat beter" --next 2099-01-01 \
  | grep -q "score: 6"
"$cli" plan get "$case" | grep -q "Ik wil in mijn huis blijven wonen"
"$cli" plan history "$case" | grep -q CHANGE_KIND_CREATED

# An agreement that Maria accepts (recorded by her coordinator); the log verifies with the
# independent verifier of docs/agreement-log.md.
agreement=$("$cli" --json agreement propose "$case" --text "Huisbezoek elke maand" --party "$client_participant" --goal "$goal" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
"$cli" agreement respond "$agreement" --version 1 --party "$client_participant" --answer accept \
  | grep -q AGREEMENT_STATUS_IN_FORCE
"$cli" --json agreement log "$case" --page-size 500 | "$(dirname "$0")/../../tools/verify-agreement-log.py" | grep -q "intact: 2 entries"
"$cli" agreement verify "$case" | grep -q "intact: true"
# The organisation's change feed carries the answer (a transaction still running in a test beside
# this one may hold it back for seconds); from its cursor, nothing more.
for _ in $(seq 1 600); do
  "$cli" --json feed changes "organizations/$org" --kind agreement-answered >"$dir/feed.json"
  grep -q CHANGE_KIND_AGREEMENT_ANSWERED "$dir/feed.json" && break
  sleep 0.05
done
python3 - "$dir/feed.json" <<'PY'
import json, sys
feed = json.load(open(sys.argv[1]))
assert [c["kind"] for c in feed["changes"]] == ["CHANGE_KIND_AGREEMENT_ANSWERED"], feed
assert feed["changes"][0]["agreement_log_entry"]["sequence"] == "2", feed
PY
cursor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cursor"])' "$dir/feed.json")
[ "$("$cli" --json feed changes "organizations/$org" --after-cursor "$cursor" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("changes", [])))')" = 0 ]

# The social map: the organisation describes a service; a search by domain, age, postal code and a
# word finds it (the word is this run's own: other tests share the database).
word=smokewoord$RANDOM$RANDOM
service=$("$cli" --json socialmap create "organizations/$org" --name "Schuldbemiddeling" --domain finances \
  --min-age 18 --postal-code 8000 --postal-code 8200 --language nl --description "Hulp bij schulden ($word)" \
  --location "Onthaal|Hauwerstraat 3|8000|Brugge" --website https://dmw.example/schulden |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
"$cli" --json socialmap search --domain finances --age 67 --postal-code 8200 --query "schulden $word" >"$dir/found.json"
python3 - "$dir/found.json" "$service" <<'PY'
import json, sys
found = json.load(open(sys.argv[1]))["services"]
assert [s["name"] for s in found] == [sys.argv[2]], found
assert found[0]["locations"][0]["city"] == "Brugge", found
PY
"$cli" socialmap update "$service" --status temporarily-closed | grep -q SERVICE_STATUS_TEMPORARILY_CLOSED
"$cli" socialmap confirm "$service" | grep -q 'etag: "3"'
"$cli" socialmap list "organizations/$org" | grep -q "$service"
# Its map as HSDS 3 JSON, imported again: the same service, replaced.
"$cli" socialmap export "organizations/$org" >"$dir/map.json"
python3 -c 'import json,sys; m = json.load(open(sys.argv[1])); assert [s["name"] for s in m] == ["Schuldbemiddeling"], m' "$dir/map.json"
"$cli" socialmap import "organizations/$org" --file "$dir/map.json" | grep -q "replaced_count: 1"
# A zone around 8200 and its matrix: the (temporarily closed) service counts for finances from 18 on.
zone=zone-$RANDOM$RANDOM
"$cli" --token "$("$cli" token --key "$dir/key.pem" --org kruispunt-platform --sub admin-1 --role admin)" \
  zone create $zone --name "ELZ Smoke" --postal-code 8200 | grep -q "zones/$zone"
"$cli" zone matrix zones/$zone >"$dir/matrix"
python3 - "$dir/matrix" <<'PY' || { echo "the zone's matrix lacks the service:"; cat "$dir/matrix"; exit 1; }
import sys
row = next(line for line in open(sys.argv[1]) if line.startswith("finances "))
adults, seniors = row[40:50], row[51:61]  # the columns 18-64 and 65+
assert "(+" in adults and "(+" in seniors, row
PY
# The demand of a quarter that has ended: the CLI asks it, the matrix says which and when it was.
"$cli" --json zone matrix zones/$zone --quarter 2026-Q1 >"$dir/matrix.json"
python3 - "$dir/matrix.json" <<'PY' || { echo "the matrix of a quarter:"; cat "$dir/matrix.json"; exit 1; }
import json, sys
m = json.load(open(sys.argv[1]))
assert m["quarter"] == {"year": 2026, "quarter": 1}, m.get("quarter")
assert (m["start_time"], m["end_time"]) == ("2025-12-31T23:00:00Z", "2026-03-31T22:00:00Z"), m.get("start_time")
PY
# A referral to that service (within the organisation, so no consent names another), answered,
# serving the goal; its outcome noted on the goal.
referral=$("$cli" --json referral create "$case" --service "$service" --kind guided --domain finances --goal "$goal" \
  --postal-code 8200 --age-group 65-and-older --question "Ik wil hulp bij mijn schulden" --share financial | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
"$cli" referral incoming open | grep -q "$referral"
"$cli" referral accept "$referral" | grep -q REFERRAL_STATUS_ACCEPTED
[ "$("$cli" referral changes "$referral" | grep -c "status: REFERRAL_STATUS_")" = 2 ]
"$cli" referral start "$referral" | grep -q REFERRAL_STATUS_IN_PROGRESS
"$cli" referral complete "$referral" | grep -q REFERRAL_OUTCOME_SERVICE_STARTED
"$cli" evaluation add "$case" --goal "$goal" --referral "$referral" --professional-note "Budgetbegeleiding gestart" |
  grep -q EVALUATION_KIND_REFERRAL_OUTCOME

# Backup and restore (docs/operations.md): a pg_dump of the running system, restored into a fresh
# cluster, where a migration job re-grants the run-time role; a server on the restored database
# answers with the same histories of this case, and its agreement log verifies against its head.
for what in "case history" "plan history" "agreement log"; do
  "$cli" --json $what "$case" >"$dir/before.${what// /-}"
done
pg_dump --format=custom --no-owner --no-privileges --file="$dir/kruispunt.dump" "$KRUISPUNT_TEST_DATABASE_URL"
restore=$(mktemp -d); chmod 711 "$restore"
restore_port=$((40000 + RANDOM % 10000))
restored_owner=$(KP_PG_FAST=1 "$(dirname "$0")/../../deploy/pg.sh" start "$restore/pg" $restore_port)
restored_app=$("$(dirname "$0")/../../deploy/pg.sh" app-url "$restore/pg" $restore_port)
stop_restored() { "$(dirname "$0")/../../deploy/pg.sh" stop "$restore/pg" >/dev/null 2>&1 || true; rm -rf "$restore"; }
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$restored_owner" "$dir/kruispunt.dump"
"$kruispuntd" --migrate-only 1 --database-url "$restored_app" --migration-database-url "$restored_owner" 2>/dev/null
restored_port=$((port + 2))
"$kruispuntd" --listen 127.0.0.1:$restored_port --database-url "$restored_app" --migrate 0 \
  --token-public-keys "$dir/pub.pem" --service-token-file "$dir/service.jwt" >"$dir/restored.log" 2>&1 &
restored_pid=$!
for _ in $(seq 1 100); do "$cli" --addr 127.0.0.1:$restored_port health >/dev/null 2>&1 && break; sleep 0.1; done
for what in "case history" "plan history" "agreement log"; do
  "$cli" --addr 127.0.0.1:$restored_port --json $what "$case" | cmp -s - "$dir/before.${what// /-}" ||
    { echo "restored $what differs"; kill $restored_pid; stop_restored; exit 1; }
done
"$cli" --addr 127.0.0.1:$restored_port agreement verify "$case" | grep -q "intact: true" ||
  { echo "the restored agreement log does not verify"; kill $restored_pid; stop_restored; exit 1; }
kill $restored_pid; wait $restored_pid || true
stop_restored

set +e
"$cli" case close "$case" 2>"$dir/err"; code=$?
set -e
[ "$code" -eq 3 ] || { echo "close without reason: exit $code, want 3 (INVALID_ARGUMENT)"; exit 1; }
grep -q "field reason: is required" "$dir/err"
set +e
KRUISPUNT_TOKEN=garbage "$cli" case get "$case" 2>/dev/null; code=$?
set -e
[ "$code" -eq 16 ] || { echo "bad token: exit $code, want 16 (UNAUTHENTICATED)"; exit 1; }

# The metrics pass Prometheus's own check and count what was done; no label holds personal data.
curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$dir/metrics"
if [ -n "${KP_PROMTOOL:-}" ]; then "$KP_PROMTOOL" check metrics <"$dir/metrics"; fi
grep -q '^kruispunt_rpc_handled_total{code="OK",method="CreateCase"} 1$' "$dir/metrics"
grep -q '^kruispunt_access_decisions_total{decision="DECISION_PERMIT",deny_reason="DENY_REASON_UNSPECIFIED",ground="GROUND_OWNER"}' "$dir/metrics"
grep -q '^kruispunt_database_up 1$' "$dir/metrics"
grep -q '^kruispunt_access_log_months_ahead 3$' "$dir/metrics"
grep -Eq '^kruispunt_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+",commit="[0-9a-f]{7,}' "$dir/metrics"
grep -q '^kruispunt_migrations_applied{schema="audit"} [1-9]' "$dir/metrics"
grep -q '^kruispunt_db_pool_connections{pool="requests"} 4$' "$dir/metrics"
if grep -E "$org|$sw|Maria|59031212301" "$dir/metrics"; then echo "personal data in the metrics"; exit 1; fi

# SIGTERM: a graceful stop, exit 0; every log line is JSON and holds no personal data.
# A back office watches the organisation's changes with `kruispunt watch`, keeping its place in a
# cursor file, while agreements are proposed; the server is killed (-9) in the middle of it and
# started again; the watcher reconnects by itself. Then the watcher is killed, misses a change, and
# is started again from its file. Every proposal the server acknowledged reaches the watcher.
watch() { "$cli" --json watch "organizations/$org" --cursor-file "$dir/cursor" >>"$dir/watch.jsonl" 2>>"$dir/watch.err" & watch_pid=$!; }
watch
for _ in $(seq 1 100); do [ -s "$dir/cursor" ] && break; sleep 0.05; done
propose() {  # prints the agreement's name when the server acknowledged it
  "$cli" --json agreement propose "$case" --text "$1" --party "$client_participant" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' 2>/dev/null || true
}
for i in $(seq 1 30); do propose "Afspraak $i" >>"$dir/acknowledged"; sleep 0.03; done &
writer=$!
sleep 0.5
kill -KILL $pid; wait $pid 2>/dev/null || true
start_server "$dir/log.restarted"
wait $writer
kill -KILL $watch_pid; wait $watch_pid 2>/dev/null || true
propose "Terwijl niemand kijkt" >>"$dir/acknowledged"
watch
delivered() { python3 - "$dir/acknowledged" "$dir/watch.jsonl" <<'PY'
import json, sys
acknowledged = set(open(sys.argv[1]).read().split())
seen = {json.loads(l)["resource"] for l in open(sys.argv[2]) if l.strip()}
missing = acknowledged - seen
print(len(acknowledged), len(missing))
sys.exit(1 if missing else 0)
PY
}
for _ in $(seq 1 300); do delivered >/dev/null && break; sleep 0.1; done  # (a transaction beside may hold them back)
delivered >/dev/null || { echo "acknowledged changes the watcher never received"; cat "$dir/watch.err"; exit 1; }
grep -q "resuming in" "$dir/watch.err" || { echo "the watcher did not reconnect by itself"; exit 1; }
[ "$(wc -l <"$dir/acknowledged")" -ge 10 ] || { echo "too few proposals were acknowledged"; exit 1; }
kill -TERM $watch_pid; wait $watch_pid 2>/dev/null || true

kill -TERM $pid
wait $pid
python3 - "$dir/log" "$dir/log.restarted" <<'PY'
import json, sys
killed = open(sys.argv[1]).read().splitlines()
if killed:
    try: json.loads(killed[-1])
    except ValueError: killed.pop()  # the line the kill cut off
lines = killed + open(sys.argv[2]).read().splitlines()
assert lines, "no log lines"
for line in lines:
    json.loads(line)
    for secret in ("Maria", "Peeters", "59031212301", "Schulden", "Sofie", "Janssens", "huis blijven", "gaat beter",
                   "Huisbezoek", "Afspraak", "niemand kijkt"):
        assert secret not in line, f"personal data in log: {line}"
access = [json.loads(l) for l in lines if json.loads(l).get("msg") == "rpc"]
assert any(a.get("method") == "CreateCase" and a.get("code") == 0 and isinstance(a.get("duration_us"), int)
           and a.get("request_id") for a in access), "no access line with its fields"
assert all("person" not in a for a in access), "a person id in an access line"
PY
echo "smoke test passed"
