#!/usr/bin/env bash
# An upgrade from an earlier version's database: each tests/upgrade/from-*.sql.gz holds what that
# version's own tests wrote through its API (made by tools/upgrade-fixture.sh). It is loaded into
# a fresh cluster, this version's migrations run over it (kruispuntd --migrate-only, as the
# migration job does), and then:
#   - no table lost a row;
#   - every case reads through the API as its owner: the case, its team (professionals under their
#     organisation's name), its consent history, its care plan's history, its access log (entries
#     named under the case) and its agreement log, each as long as before;
#   - every case's agreement log verifies.
set -euo pipefail
kruispuntd=$1
cli=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d); chmod 711 "$work"
pid=
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  "$root/deploy/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
# KP_KEEP=1 keeps the folder, the cluster and the server for a look after a failure.
[ -n "${KP_KEEP:-}" ] || trap cleanup EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
"$cli" token --key "$work/key.pem" --org kruispunt --sub kruispuntd --role service >"$work/service.jwt"

# Rows per table of the six schemas, as "schema.table count" lines.
count_rows() {
  psql -X -q -At -v ON_ERROR_STOP=1 "$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) FROM %I.%I;', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname IN ('cases', 'team', 'consent', 'audit', 'careplan', 'agreements')
ORDER BY 1 \gexec
SQL
}

fixtures=("$here"/from-*.sql.gz)
for fixture in "${fixtures[@]}"; do
  name=$(basename "$fixture" .sql.gz)
  port=$((40000 + RANDOM % 10000))
  owner=$(KP_PG_FAST=1 "$root/deploy/pg.sh" start "$work/pg" $port)
  app=$("$root/deploy/pg.sh" app-url "$work/pg" $port)
  gunzip -c "$fixture" | psql -X -q -v ON_ERROR_STOP=1 "$owner" >/dev/null
  count_rows "$owner" | sort >"$work/rows.before"
  # Per case: its owner and how many entries each history held before the upgrade.
  psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 "$owner" >"$work/cases" <<'SQL'
SELECT c.case_id, c.owner_org,
       (SELECT count(*) FROM consent.consents g WHERE g.case_id = c.case_id)
         + (SELECT count(*) FROM consent.withdrawals w WHERE w.case_id = c.case_id),
       (SELECT count(*) FROM careplan.changes h WHERE h.case_id = c.case_id),
       (SELECT count(*) FROM audit.access_log l WHERE l.case_id = c.case_id),
       (SELECT count(*) FROM agreements.log g WHERE g.case_id = c.case_id)
FROM cases.cases c ORDER BY c.case_id
SQL
  [ -s "$work/cases" ] || { echo "$name: the fixture holds no case"; exit 1; }
  # Each agreement log verifies before the upgrade (the independent verifier on the stored rows).
  while read -r case_id _; do
    psql -X -q -At -v ON_ERROR_STOP=1 -v case_id="$case_id" "$owner" <<'SQL' | "$root/tools/verify-agreement-log.py" >/dev/null ||
SELECT json_build_object('entries', coalesce(json_agg(json_build_object('sequence', sequence, 'canonical', canonical,
         'previous_hash', previous_hash, 'hash', hash) ORDER BY sequence), '[]'))
FROM agreements.log WHERE case_id = :'case_id'
SQL
      { echo "$name: cases/$case_id: the fixture's agreement log is broken before the upgrade"; exit 1; }
  done <"$work/cases"

  "$kruispuntd" --migrate-only 1 --database-url "$app" --migration-database-url "$owner" 2>"$work/migrate.log" ||
    { cat "$work/migrate.log"; exit 1; }
  count_rows "$owner" | sort >"$work/rows.after"
  # Every table of before is there after, with as many rows (new tables may be added).
  if ! join -a1 "$work/rows.before" "$work/rows.after" | awk 'NF != 3 || $2 != $3 { print; bad = 1 } END { exit bad }'; then
    echo "$name: rows changed by the migrations (table, before, after above)"; exit 1
  fi

  server_port=$((port + 1))
  "$kruispuntd" --listen 127.0.0.1:$server_port --database-url "$app" --migrate 0 \
    --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" >"$work/server.log" 2>&1 &
  pid=$!
  export KRUISPUNT_ADDR=127.0.0.1:$server_port
  for _ in $(seq 1 100); do "$cli" health >/dev/null 2>&1 && break; sleep 0.1; done
  checked=0 professionals=0 entries=0
  while read -r case_id owner_org consent_events plan_changes access_entries agreement_entries; do
    case=cases/$case_id
    export KRUISPUNT_TOKEN=$("$cli" token --key "$work/key.pem" --org "$owner_org" --sub upgrade-check)
    "$cli" --json case get "$case" >/dev/null
    "$cli" --json team list "$case" --all 1 --page-size 500 >"$work/team.json"
    "$cli" --json consent history "$case" --page-size 500 >"$work/consents.json"
    "$cli" --json plan history "$case" --page-size 500 >"$work/plan.json"
    "$cli" --json agreement log "$case" --page-size 500 >"$work/agreements.json"
    "$cli" agreement verify "$case" | grep -q "intact: true" || { echo "$name: $case: agreement log broken"; exit 1; }
    # Read after the others: the reads above add their own entries.
    "$cli" --json log case "$case" --page-size 500 >"$work/log.json"
    (python3 - "$work" "$case" "$consent_events" "$plan_changes" "$access_entries" "$agreement_entries" <<'PY'
import json, re, sys
work, case, consent_events, plan_changes, access_entries, agreement_entries = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
def load(name, field):
    return json.load(open(f"{work}/{name}.json")).get(field, [])
def expect(ok, what):
    if not ok:
        sys.exit(f"{case}: {what}")
professionals = [p for p in load("team", "participants") if p.get("organization")]
for p in professionals:
    expect(p["person"].startswith(p["organization"] + "/people/"), f"professional not under its organisation: {p['person']}")
expect(len(load("consents", "events")) == consent_events, "consent history differs in length")
expect(len(load("plan", "changes")) == plan_changes, "care plan history differs in length")
expect(len(load("agreements", "entries")) == agreement_entries, "agreement log differs in length")
entries = load("log", "entries")
expect(len(entries) >= access_entries, "access log entries lost")
expect(all(re.fullmatch(re.escape(case) + r"/accessLogEntries/[0-9a-f-]{36}", e["name"]) for e in entries),
       "an access log entry not named under its case")
print(len(professionals), len(entries))
PY
    ) >"$work/counted"
    read -r case_professionals case_entries <"$work/counted"
    professionals=$((professionals + case_professionals)); entries=$((entries + case_entries))
    checked=$((checked + 1))
  done <"$work/cases"
  kill "$pid"; wait "$pid" || true; pid=
  "$root/deploy/pg.sh" stop "$work/pg" >/dev/null; rm -rf "$work/pg"
  echo "$name: $checked cases read and verified after the upgrade ($professionals professionals in their teams," \
    "$entries access log entries); no table lost a row"
  [ "$professionals" -gt 0 ] && [ "$entries" -gt 0 ] || { echo "$name: the fixture tests too little"; exit 1; }
done
