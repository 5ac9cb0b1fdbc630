#!/usr/bin/env bash
# The hot path and the lists at a zone's size (issue 23, item 8): a small database (10,000 cases)
# against a large one (CASES cases, default 1,000,000, and LOG_ENTRIES access-log entries, default
# 50,000,000), each in a scratch cluster this build migrated, each served by its own kruispuntd,
# measured at concurrency 16 with kp-loadgen in alternating rounds (small, large, small, ...).
#
# Both databases are grown the same way. Through the API: organisations bench-get (the owner) and
# bench-partner, and 50 cases of bench-get, each with bench-partner's professional in its team and
# the client's consent for bench-partner to read the case. Then by SQL, as the schemas' owner, with
# every constraint and trigger in force: copies of those 50 cases (client, case, status history,
# team, team history, consents) under new ids, spread over 200 owner/partner pairs of
# organisations (org-N and partner-N; pair 0 is bench-get and bench-partner), until the database
# holds the number of cases asked; each copied case has a client of its own. So bench-get owns and
# bench-partner takes part in 1/200 of all cases: 100 in the small database, 5,000 in the large.
# The access-log entries are appended by SQL over the last 90 days, for the copied cases.
#
# Measured, each at concurrency 16 for SECONDS (5) after 1 s of warm-up, KP_SCALE_ROUNDS (3)
# rounds: GetCase by the owner and by the partner, CheckAccess by the partner (reads spread over up
# to 5,000 of bench-get's cases), ListCases' first page by the owner and by the partner,
# ListParticipations' first page of bench-partner, a case's access log (first page) by the owner.
# Reported: the medians of throughput and p99, large/small ratios, CPU per call of kruispuntd and
# PostgreSQL, and each kruispuntd's peak RSS. The access log's own reads on a large log and the
# partner's throughput while a DPO searches are bench/access_log_search.sh.
#   bench/scale.sh [CASES] [LOG_ENTRIES] [SECONDS]   (needs tools/build.sh; the defaults take about
#                                                     40 min and 20 GB of disk under /tmp)
#   KP_SCALE_HOLD=1 bench/scale.sh ...               grows both, then keeps them (and their servers)
#                                                     for a look until interrupted; measures nothing
set -euo pipefail
large_cases=${1:-1000000}
log_entries=${2:-50000000}
seconds=${3:-5}
small_cases=${KP_SCALE_SMALL:-10000}
rounds=${KP_SCALE_ROUNDS:-3}
templates=50
source "$(dirname "$0")/scratch.sh"
loadgen=$build/bench/kp-loadgen

small_pid="" large_pid=""
stop_all() {
  for p in $small_pid $large_pid; do kill "$p" 2>/dev/null || true; done
  "$root/deploy/pg.sh" stop "$work/pg-small" >/dev/null 2>&1 || true
  scratch_cleanup
}
trap stop_all EXIT
scratch_start 54335  # the large database: $work/pg, $owner_url, $app_url
large_owner_url=$owner_url large_app_url=$app_url
small_owner_url=$(KP_PG_FAST=1 "$root/deploy/pg.sh" start "$work/pg-small" 54336)
small_app_url=$("$root/deploy/pg.sh" app-url "$work/pg-small" 54336)

admin=$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub admin-1 --role admin --ttl 86400)
owner_token=$("$cli" token --key "$work/key.pem" --org bench-get --sub bench --ttl 86400)
partner_token=$("$cli" token --key "$work/key.pem" --org bench-partner --sub bench-partner-1 --ttl 86400)

serve() {  # NAME OWNER_URL APP_URL: migrates, starts kruispuntd; sets NAME_addr and NAME_pid
  local name=$1 owner=$2 app=$3 port=$((20000 + RANDOM % 20000))
  "$build/services/kruispuntd" --migrate-only 1 --database-url "$app" --migration-database-url "$owner" 2>/dev/null
  "$build/services/kruispuntd" --listen "127.0.0.1:$port" --database-url "$app" --migrate 0 \
    --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" >"$work/$name.log" 2>&1 &
  printf -v "${name}_pid" %s $!
  printf -v "${name}_addr" %s "127.0.0.1:$port"
  for _ in $(seq 1 100); do KRUISPUNT_ADDR=127.0.0.1:$port "$cli" health >/dev/null 2>&1 && return; sleep 0.1; done
  echo "kruispuntd ($name) did not start"; cat "$work/$name.log"; exit 1
}

seed_through_the_api() {  # ADDR
  export KRUISPUNT_ADDR=$1
  "$cli" --token "$admin" org create bench-get --name bench-get --kind other --kbo 0123456749 >/dev/null
  "$cli" --token "$admin" org create bench-partner --name bench-partner --kind other --kbo 0200000142 >/dev/null
  "$cli" --token "$partner_token" person create --professional bench-partner-1 --profession bench \
    --given-name Bench --family-name Partner >/dev/null
  "$loadgen" --addr "$1" --token "$owner_token" seed --cases "$templates" \
    --partner organizations/bench-partner/people/bench-partner-1 --partner-org bench-partner >/dev/null
}

grow() {  # OWNER_URL CASES LOG_ENTRIES: copies the API's cases by SQL, appends log entries
  local copies=$(( ($2 + templates - 1) / templates - 1 ))
  psql -X -q -v ON_ERROR_STOP=1 -v copies="$copies" -v entries="$3" "$1" <<'SQL'
SET synchronous_commit = off;
-- Only what the copies below take over may hold rows, so a copy is the whole case.
DO $$ BEGIN
  IF EXISTS (SELECT FROM consent.withdrawals) OR EXISTS (SELECT FROM cases.team_sync_pending)
     OR EXISTS (SELECT FROM careplan.plans) OR EXISTS (SELECT FROM agreements.agreements) THEN
    RAISE EXCEPTION 'the seeded cases hold rows that are not copied';
  END IF;
END $$;
-- Copy k of a template belongs to pair k % 200: organisations org-N (the owner) and partner-N.
CREATE FUNCTION pg_temp.org_of(org text, k int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN k % 200 = 0 THEN org WHEN org = 'bench-get' THEN 'org-' || k % 200
              WHEN org = 'bench-partner' THEN 'partner-' || k % 200 ELSE org END $$;
CREATE FUNCTION pg_temp.person_of(person text, k int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN person LIKE '%/%' THEN pg_temp.org_of(split_part(person, '/', 1), k) || '/' || split_part(person, '/', 2)
              ELSE person END $$;
CREATE FUNCTION pg_temp.id_of(id uuid, k int) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT md5(id::text || ':' || k)::uuid $$;
CREATE TEMP TABLE copies AS SELECT k FROM generate_series(1, :copies) AS k;

INSERT INTO team.organizations (org_id, kbo_number, display_name, kind)
SELECT prefix || n, '1' || lpad((offset_ + n)::text, 9, '0'), prefix || n, 9
FROM generate_series(1, 199) AS n, (VALUES ('org-', 0), ('partner-', 1000)) AS o(prefix, offset_);
INSERT INTO team.people (person_id, kind, organization, profession, given_name, family_name, registering_org, created_by)
SELECT pg_temp.person_of(person_id, n), kind, pg_temp.org_of(organization, n), profession, given_name, family_name,
       pg_temp.org_of(registering_org, n), pg_temp.person_of(created_by, n)
FROM team.people, generate_series(1, 199) AS n WHERE organization IN ('bench-get', 'bench-partner');

CREATE TEMP TABLE template_cases AS SELECT * FROM cases.cases;
INSERT INTO cases.clients (client_id, registering_org, insz, given_name, family_name, birth_date, created_by)
SELECT pg_temp.id_of(c.case_id, k), pg_temp.org_of(c.owner_org, k), lpad((k::bigint * 100000 + c.case_seq)::text, 11, '0'),
       p.given_name, p.family_name, p.birth_date, pg_temp.person_of(p.created_by, k)
FROM template_cases c JOIN cases.clients p USING (client_id), copies;
INSERT INTO cases.cases (case_id, client_id, owner_org, title, summary, life_domains, state, state_reason, created_by,
                         version, create_time, update_time)
SELECT pg_temp.id_of(case_id, k), pg_temp.id_of(case_id, k), pg_temp.org_of(owner_org, k), title, summary, life_domains,
       state, state_reason, pg_temp.person_of(created_by, k), version, create_time, update_time
FROM template_cases, copies;
INSERT INTO cases.case_status_changes (case_id, from_state, to_state, reason, changed_by_org, changed_by_person, change_time)
SELECT pg_temp.id_of(case_id, k), from_state, to_state, reason, pg_temp.org_of(changed_by_org, k),
       pg_temp.person_of(changed_by_person, k), change_time
FROM cases.case_status_changes JOIN template_cases USING (case_id), copies;
INSERT INTO team.cases (case_id, owner_org, client_id, case_state, register_time, update_time)
SELECT pg_temp.id_of(case_id, k), pg_temp.org_of(t.owner_org, k), pg_temp.id_of(case_id, k), case_state, register_time, t.update_time
FROM team.cases t JOIN template_cases USING (case_id), copies;
INSERT INTO team.participations (case_id, participant_id, person_id, client_id, organization, role, permissions,
                                 life_domains, valid_from, valid_until, end_time, end_reason, added_by_org,
                                 added_by_person, create_time)
SELECT pg_temp.id_of(case_id, k), pg_temp.id_of(participant_id, k), pg_temp.person_of(person_id, k),
       CASE WHEN p.client_id IS NULL THEN NULL ELSE pg_temp.id_of(case_id, k) END, pg_temp.org_of(organization, k),
       role, permissions, p.life_domains, valid_from, valid_until, end_time, end_reason,
       pg_temp.org_of(added_by_org, k), pg_temp.person_of(added_by_person, k), p.create_time
FROM team.participations p JOIN template_cases USING (case_id), copies;
INSERT INTO team.team_changes (case_id, participant_id, kind, role, reason, changed_by_org, changed_by_person, change_time)
SELECT pg_temp.id_of(case_id, k), pg_temp.id_of(participant_id, k), kind, role, reason,
       pg_temp.org_of(changed_by_org, k), pg_temp.person_of(changed_by_person, k), change_time
FROM team.team_changes JOIN template_cases USING (case_id), copies;
INSERT INTO consent.consents (case_id, consent_id, granted_by, grantor_role, recipient_orgs, recipient_participants,
                              categories, purpose, valid_from, valid_until, method, evidence_reference, verified_by,
                              verification_note, legal_basis, recorded_by_org, create_time)
SELECT pg_temp.id_of(case_id, k), pg_temp.id_of(consent_id, k), pg_temp.id_of(granted_by, k), grantor_role,
       ARRAY(SELECT pg_temp.org_of(o, k) FROM unnest(recipient_orgs) AS o),
       ARRAY(SELECT pg_temp.id_of(p, k) FROM unnest(recipient_participants) AS p),
       categories, purpose, valid_from, valid_until, method, evidence_reference, pg_temp.person_of(verified_by, k),
       verification_note, legal_basis, pg_temp.org_of(recorded_by_org, k), x.create_time
FROM consent.consents x JOIN template_cases USING (case_id), copies;

-- The access log: entries over the last 90 days for the copied cases, by their owners.
DO $$ BEGIN
  PERFORM audit.create_access_log_partition(now() - make_interval(months => m)) FROM generate_series(1, 4) AS m;
END $$;
SELECT array_agg(case_id::text ORDER BY case_seq) AS template_ids, count(*) AS template_count FROM template_cases \gset
INSERT INTO audit.access_log (case_id, organization, person, category, action, purpose, decision, ground,
                              deny_reason, rpc, request_id, entry_time)
SELECT pg_temp.id_of(((:'template_ids')::text[])[1 + g % :template_count]::uuid, k),
       pg_temp.org_of('bench-get', k), pg_temp.org_of('bench-get', k) || '/sw', 2, 1, 1, 1, 1, 0,
       'kruispunt.cases.v1.CaseService/GetCase', 'bench',
       now() - interval '90 days' + (g::double precision / :entries) * interval '90 days'
FROM generate_series(1, :entries) AS g, LATERAL (SELECT 1 + (g / :template_count) % :copies AS k) AS c;
ANALYZE;
SQL
}

echo "small: $small_cases cases; large: $large_cases cases and $log_entries log entries"
serve small "$small_owner_url" "$small_app_url"
serve large "$large_owner_url" "$large_app_url"
start=$(date +%s)
seed_through_the_api "$small_addr"
seed_through_the_api "$large_addr"
grow "$small_owner_url" "$small_cases" 0
grow "$large_owner_url" "$large_cases" "$log_entries"
for db in small large; do
  url_var=${db}_owner_url
  echo "$db: $(psql -X -At "${!url_var}" -c "SELECT count(*) || ' cases, ' ||
    (SELECT count(*) FROM team.participations) || ' participations, ' ||
    (SELECT count(*) FROM consent.consents) || ' consents, ' ||
    (SELECT count(*) FROM audit.access_log) || ' log entries; ' ||
    pg_size_pretty(pg_database_size(current_database())) FROM cases.cases")"
  psql -X -At "${!url_var}" -c "SELECT 'cases/' || case_id FROM cases.cases WHERE owner_org = 'bench-get' ORDER BY random() LIMIT 5000" \
    >"$work/$db.names"
done
echo "grown in $(( $(date +%s) - start )) s"
if [ -n "${KP_SCALE_HOLD:-}" ]; then  # to look into the databases: keep them until interrupted
  echo "holding: small $small_owner_url at $small_addr, large $large_owner_url at $large_addr; tokens in $work"
  echo "$owner_token" >"$work/owner.jwt"; echo "$partner_token" >"$work/partner.jwt"
  sleep infinity
fi

# name  token  loadgen flags
scenarios=(
  "get-owner       $owner_token   --scenario get --names-file NAMES"
  "get-partner     $partner_token --scenario get --names-file NAMES"
  "check-partner   $partner_token --scenario check --names-file NAMES"
  "list-cases-owner    $owner_token   --scenario list-cases"
  "list-cases-partner  $partner_token --scenario list-cases"
  "participations-partner $partner_token --scenario list-participations --org bench-partner"
  "case-log-owner  $owner_token   --scenario case-log --names-file NAMES"
)
small_postmaster=$(head -1 "$work/pg-small/postmaster.pid")
large_postmaster=$(head -1 "$work/pg/postmaster.pid")
run_one() {  # DB SECONDS TOKEN FLAGS...: one measurement; prints loadgen's line
  local db=$1 secs=$2 token=$3; shift 3
  local addr_var=${db}_addr pid_var=${db}_pid pm_var=${db}_postmaster
  "$loadgen" --addr "${!addr_var}" --token "$token" run "${@//NAMES/$work/$db.names}" --concurrency 16 \
    --seconds "$secs" --cpu "kruispuntd=${!pid_var},postgres=${!pm_var}"
}
# Every database worker prepares its statements on its first calls: not measured.
for entry in "${scenarios[@]}"; do
  read -r name token flags <<<"$entry"
  for db in small large; do run_one "$db" 1 "$token" $flags >/dev/null; done
done
: >"$work/results"
for round in $(seq 1 "$rounds"); do
  for entry in "${scenarios[@]}"; do
    read -r name token flags <<<"$entry"
    for db in small large; do
      line=$(run_one "$db" "$seconds" "$token" $flags)
      echo "round $round $name $db $line" | tee -a "$work/results"
    done
  done
done
python3 - "$work/results" "$rounds" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, _, name, db, rest = line.split(" ", 4)
    fields = dict(re.findall(r"(\w+)=(\S+)", rest))
    rows.setdefault((name, db), []).append(fields)
def med(name, db, key):
    return statistics.median(float(f[key]) for f in rows[(name, db)])
print(f"\nmedians of {sys.argv[2]} rounds at concurrency 16 (small / large, ratio large:small)")
print(f"{'call':24} {'rps small':>10} {'rps large':>10} {'ratio':>6} {'p99 small':>10} {'p99 large':>10} {'ratio':>6}"
      f" {'cpu/call kp s/l':>16} {'cpu/call pg s/l':>16}")
for name in dict.fromkeys(n for n, _ in rows):
    rs, rl = med(name, "small", "rps"), med(name, "large", "rps")
    ps, pl = med(name, "small", "p99_us") / 1000, med(name, "large", "p99_us") / 1000
    ks, kl = med(name, "small", "cpu_us_kruispuntd"), med(name, "large", "cpu_us_kruispuntd")
    gs, gl = med(name, "small", "cpu_us_postgres"), med(name, "large", "cpu_us_postgres")
    print(f"{name:24} {rs:10.0f} {rl:10.0f} {rl / rs:6.2f} {ps:8.1f}ms {pl:8.1f}ms {pl / ps:6.2f}"
          f" {ks:7.0f}/{kl:<6.0f}us {gs:7.0f}/{gl:<6.0f}us")
PY
for db in small large; do
  pid_var=${db}_pid
  echo "kruispuntd ($db) peak RSS: $(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/${!pid_var}/status")"
done
