#!/usr/bin/env bash
# Benchmark of CaseService against the same PostgreSQL doing the equivalent SQL (pgbench), in
# one run, so the service's cost is a ratio: service RPS / raw SQL TPS. Besides:
#   partner-get     GetCase by a partner organisation (team member with consent): decided by
#                   ConsentService (which asks TeamService) and logged by AuditService;
#   unenforced-get  the same reads from a second kruispuntd, built with -DKP_BENCH_BUILD=ON and
#                   started with KP_BENCH_SKIP=decision (no decision, no log), so that
#                   partner-get / unenforced-get is what enforcement plus logging cost;
#   check           CheckAccess by the partner;
#   unlogged-get, unlogged-check
#                   partner-get and check from a third kruispuntd, the same build started with
#                   KP_BENCH_SKIP=log (decided, not logged): what the access log costs;
#   plan            GetCarePlan of plans of 10 goals x 3 actions x 5 evaluations (decided and
#                   logged), against the SQL of the one statement that reads such a plan; after
#                   the rounds, the SQL statements per GetCarePlan are counted (pg_stat_statements);
#   respond-different, respond-same
#                   RespondToAgreement by 16 professionals (so at concurrency 16 at most), each
#                   answering for itself: each an agreement of its own (in a case of its own), or
#                   all one shared agreement; a slot alternates accepting and withdrawing (both
#                   write the party's answer, the status and a log entry), against the SQL of one
#                   answer (lock the case's chain, read the standing, write the answer and status,
#                   append the hashed entry).
#   bench/run.sh [SECONDS]     (default 5 s per measurement, 1 s warm-up)
#   KP_BENCH_BASE=COMMIT       A/B: also builds kruispuntd of COMMIT (once, under build/base-COMMIT)
#                              and runs every scenario against it too, on the same database and
#                              seed, alternating with the current build in each round; reports
#                              new/old per round (bench/ab.sh sets the usual choice)
# Every service measurement also reports the CPU time per call of kruispuntd, of PostgreSQL (all
# its processes) and of the load generator, from /proc over the measured window.
# GetCase (owner's and partner's) is compared with the minimal SQL of an enforced read: the case
# read, the decision's facts (the caller's participation, the consents in force) and the
# access-log append (synchronous_commit = off), four statements; CheckAccess with the same less
# the case read.
#   KP_BENCH_PROFILE="partner-get check respond-different"   also prints, per call at concurrency
#                              16, the statements PostgreSQL ran and their execution time
# Each point is measured KP_BENCH_ROUNDS times (default 3), service and pgbench alternating,
# and reported as medians: on a shared 2-core VM single runs swing by +-20%.
# A private PostgreSQL cluster (durable settings) is created under build/bench-pg and removed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KP_BUILD_DIR:-$root/build}
seconds=${1:-5}
levels=${KP_BENCH_CONCURRENCY:-"1 16 64"}
scenarios=${KP_BENCH_SCENARIOS:-"health get partner-get unenforced-get unlogged-get check unlogged-check create plan respond-different respond-same"}
rounds=${KP_BENCH_ROUNDS:-3}
parties=16  # professionals answering agreements (respond-*): at most this concurrency

"$root/tools/bootstrap.sh"
KP_BUILD_DIR=$build "$root/tools/build.sh" >/dev/null
bench_build=$build-bench
if [[ " $scenarios " == *" unenforced-get "* || " $scenarios " == *" unlogged-"* ]]; then
  cmake -S "$root" -B "$bench_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKP_BENCH_BUILD=ON >/dev/null 2>&1
  cmake --build "$bench_build" --target kruispuntd -j "${KP_JOBS:-2}" >/dev/null
fi
base=${KP_BENCH_BASE:-}
if [ -n "$base" ]; then
  base_dir=$build/base-$(git -C "$root" rev-parse --short "$base")
  if [ ! -x "$base_dir/build/services/kruispuntd" ]; then
    echo "building kruispuntd of $base (once) under $base_dir"
    rm -rf "$base_dir" && mkdir -p "$base_dir/src"
    git -C "$root" archive "$base" | tar -x -C "$base_dir/src"
    cmake -S "$base_dir/src" -B "$base_dir/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$base_dir/build" --target kruispuntd -j "${KP_JOBS:-2}" >/dev/null
  fi
fi

work=$build/bench-run
pgdata=$build/bench-pg
"$root/deploy/pg.sh" stop "$pgdata" || true
rm -rf "$pgdata" "$work"
mkdir -p "$work"
cleanup() {
  [ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "${unenforced_pid:-}" ] && kill -TERM "$unenforced_pid" 2>/dev/null && wait "$unenforced_pid" 2>/dev/null || true
  [ -n "${unlogged_pid:-}" ] && kill -TERM "$unlogged_pid" 2>/dev/null && wait "$unlogged_pid" 2>/dev/null || true
  [ -n "${base_pid:-}" ] && kill -TERM "$base_pid" 2>/dev/null && wait "$base_pid" 2>/dev/null || true
  "$root/deploy/pg.sh" stop "$pgdata" || true
  rm -rf "$pgdata"
}
trap cleanup EXIT
url=$(KP_PG_STATEMENTS=1 "$root/deploy/pg.sh" start "$pgdata" 54330)
sockdir=$(sed -E 's/.*host=([^&]+).*/\1/' <<<"$url")
pguser=$(sed -E 's|postgresql://([^@]+)@.*|\1|' <<<"$url")
psql_() { psql -h "$sockdir" -p 54330 -U "$pguser" -d kruispunt -v ON_ERROR_STOP=1 -qtA "$@"; }
postmaster_pid=$(head -1 "$pgdata/postmaster.pid")

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
cli="$build/tools/kruispunt"
"$cli" token --key "$work/key.pem" --org kruispunt --sub kruispuntd --role service --ttl 86400 >"$work/service.jwt"
addr=127.0.0.1:50151
"$build/services/kruispuntd" --listen "$addr" --database-url "$url" --token-public-keys "$work/pub.pem" \
  --service-token-file "$work/service.jwt" ${KP_BENCH_SERVER_FLAGS:-} >"$work/kruispuntd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do "$cli" --addr "$addr" health >/dev/null 2>&1 && break; sleep 0.1; done
# The benchmark build, once per shortcut the scenarios need (same database, same keys).
start_bench_build() {  # SKIP ADDRESS
  KP_BENCH_SKIP=$1 "$bench_build/services/kruispuntd" --listen "$2" --database-url "$url" --migrate 0 \
    --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" >"$work/skip-$1.log" 2>&1 &
  bench_pid=$!
  for _ in $(seq 1 100); do "$cli" --addr "$2" health >/dev/null 2>&1 && break; sleep 0.1; done
}
unenforced_addr=127.0.0.1:50152
unlogged_addr=127.0.0.1:50153
if [[ " $scenarios " == *" unenforced-get "* ]]; then
  start_bench_build decision "$unenforced_addr"
  unenforced_pid=$bench_pid
fi
if [[ " $scenarios " == *" unlogged-"* ]]; then
  start_bench_build log "$unlogged_addr"
  unlogged_pid=$bench_pid
fi
base_addr=127.0.0.1:50154
if [ -n "$base" ]; then  # the same database (migrated by the current build), keys and flags
  "$base_dir/build/services/kruispuntd" --listen "$base_addr" --database-url "$url" --migrate 0 \
    --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" ${KP_BENCH_SERVER_FLAGS:-} \
    >"$work/base.log" 2>&1 &
  base_pid=$!
  for _ in $(seq 1 100); do "$cli" --addr "$base_addr" health >/dev/null 2>&1 && break; sleep 0.1; done
fi

# The organisations (a platform administrator adds them) and the partner's professional.
admin=$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub admin --role admin)
kbo=(0123456749 0200000142 0300000016 0400000086 0500000059)
i=0
for org in bench-get bench-create bench-partner bench-plan bench-agree; do
  "$cli" --addr "$addr" --token "$admin" org create $org --name "$org" --kind other --kbo "${kbo[$i]}" >/dev/null
  i=$((i + 1))
done
get_token=$("$cli" token --key "$work/key.pem" --org bench-get --sub bench --ttl 86400)
create_token=$("$cli" token --key "$work/key.pem" --org bench-create --sub bench --ttl 86400)
partner_token=$("$cli" token --key "$work/key.pem" --org bench-partner --sub bench-partner-1 --ttl 86400)
plan_token=$("$cli" token --key "$work/key.pem" --org bench-plan --sub bench --ttl 86400)
agree_token=$("$cli" token --key "$work/key.pem" --org bench-agree --sub bench --ttl 86400)
"$cli" --addr "$addr" --token "$partner_token" person create --professional bench-partner-1 \
  --profession bench --given-name Bench --family-name Partner >/dev/null
loadgen="$build/bench/kp-loadgen"
# Every case of bench-get has the partner's professional in its team, with READ_CASE, and the
# client's consent for the partner's organisation to see the case.
"$loadgen" --addr "$addr" --token "$get_token" seed --cases 1000 --partner organizations/bench-partner/people/bench-partner-1 \
  --partner-org bench-partner >/dev/null
create_client=$("$loadgen" --addr "$addr" --token "$create_token" seed --cases 0)
create_client_id=${create_client#clients/}
if [[ " $scenarios " == *" plan "* ]]; then
  "$loadgen" --addr "$addr" --token "$plan_token" seed-plan --cases 20 --goals 10 --actions 3 --evaluations 5 >/dev/null
  psql_ -c "CREATE TABLE bench_plans AS SELECT row_number() OVER (ORDER BY case_id) AS n, case_id FROM careplan.plans"
fi
if [[ " $scenarios " == *" respond-"* ]]; then
  "$loadgen" --addr "$addr" --token "$agree_token" seed-agreements --parties "$parties" >/dev/null
  # For pgbench: answer k of each scenario (the party and agreement of bench-party-k).
  for mode in different same; do
    [ $mode = different ] && having="= 1" || having="> 1"
    psql_ -c "CREATE TABLE bench_answers_$mode AS
                SELECT row_number() OVER (ORDER BY p.case_id, p.party) AS k, p.case_id, p.agreement_id, p.party
                FROM agreements.parties p WHERE p.agreement_id IN
                  (SELECT agreement_id FROM agreements.parties GROUP BY agreement_id HAVING count(*) $having)"
  done
fi
read -r lo hi < <(psql_ -F ' ' -c "SELECT min(case_seq), max(case_seq) FROM cases.cases WHERE owner_org = 'bench-get'")
psql_ -c "CREATE TABLE bench_cases (n bigint PRIMARY KEY, case_id uuid NOT NULL)" \
      -c "INSERT INTO bench_cases SELECT case_seq, case_id FROM cases.cases WHERE owner_org = 'bench-get'"

# The equivalent SQL: what a careful implementation must run at least, as prepared statements
# (a new case also registers its team, with the client as its first participant).
cat >"$work/get_case.sql" <<SQL
\set n random($lo, $hi)
SELECT c.case_id, c.client_id, c.owner_org, c.title, c.summary, array_to_string(c.life_domains, ','),
       c.state, c.state_reason, c.create_time, c.update_time, c.version,
       cl.insz, cl.given_name, cl.family_name, cl.birth_date
  FROM cases.cases c JOIN cases.clients cl USING (client_id)
 WHERE c.owner_org = 'bench-get' AND c.case_seq = :n;
SQL
cat >"$work/create_case.sql" <<SQL
WITH cl AS (SELECT client_id, insz, given_name, family_name, birth_date FROM cases.clients
             WHERE client_id = '$create_client_id'::uuid AND registering_org = 'bench-create'),
     c AS (INSERT INTO cases.cases (client_id, owner_org, title, summary, life_domains, created_by)
           SELECT client_id, 'bench-create', 'bench case', '', '{2}'::smallint[], 'bench' FROM cl RETURNING *),
     h AS (INSERT INTO cases.case_status_changes (case_id, from_state, to_state, changed_by_org, changed_by_person)
           SELECT case_id, NULL, state, owner_org, created_by FROM c),
     t AS (INSERT INTO team.cases (case_id, owner_org, client_id, case_state)
           SELECT case_id, owner_org, client_id, state FROM c RETURNING case_id, client_id),
     p AS (INSERT INTO team.participations (case_id, client_id, role, permissions, added_by_org, added_by_person)
           SELECT case_id, client_id, 1, 102, 'bench-create', 'bench' FROM t RETURNING case_id, participant_id),
     tc AS (INSERT INTO team.team_changes (case_id, participant_id, kind, role, reason, changed_by_org, changed_by_person)
           SELECT case_id, participant_id, 1, 1, 'case opened', 'bench-create', 'bench' FROM p)
SELECT c.case_id FROM c JOIN cl USING (client_id);
SQL

# An enforced read at its minimum, as four statements (round trips): the decision's facts (the
# case's owner and the caller's organisation's active participations; the consents in force), the
# access-log entry (its commit not waiting for the disk, as the service's), then the case itself.
# CheckAccess is the same without the case read.
decision_sql="\\set n random($lo, $hi)
SELECT c.owner_org,
       bit_or(p.permissions) FILTER (WHERE p.organization = 'bench-partner' AND p.end_time IS NULL
                                       AND p.valid_from <= now() AND (p.valid_until IS NULL OR p.valid_until > now())),
       string_agg(p.participant_id::text, ',') FILTER (WHERE p.person_id = 'bench-partner/bench-partner-1' AND p.end_time IS NULL
                                       AND p.valid_from <= now() AND (p.valid_until IS NULL OR p.valid_until > now()))
  FROM team.cases c LEFT JOIN team.participations p USING (case_id)
 WHERE c.case_id = (SELECT case_id FROM bench_cases WHERE n = :n) GROUP BY c.owner_org;
SELECT k.consent_id, k.recipient_orgs, k.recipient_participants, k.categories, k.purpose FROM consent.consents k
 WHERE k.case_id = (SELECT case_id FROM bench_cases WHERE n = :n)
   AND k.valid_from <= now() AND (k.valid_until IS NULL OR k.valid_until > now())
   AND NOT EXISTS (SELECT 1 FROM consent.withdrawals w WHERE w.case_id = k.case_id AND w.consent_id = k.consent_id);
INSERT INTO audit.access_log (case_id, organization, person, category, action, purpose, decision, ground,
                              deny_reason, consents, rpc, request_id)
SELECT (SELECT case_id FROM bench_cases WHERE n = :n), 'bench-partner', 'bench-partner-1', 2, 1, 1, 1, 2, 0,
       '{}'::uuid[], 'pgbench', 'pgbench' FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async;"
printf '%s\n' "$decision_sql" >"$work/check_case.sql"
printf '%s\n' "$decision_sql" >"$work/enforced_case.sql"
sed 1d "$work/get_case.sql" >>"$work/enforced_case.sql"

# GetCarePlan's SQL: the statement CarePlanService runs (services/careplan/repo).
cat >"$work/plan_case.sql" <<SQL
\set n random(1, 20)
SELECT careplan.plan_json(p, COALESCE((SELECT json_agg(careplan.goal_json(g, true) ORDER BY g.priority, g.position)
     FROM careplan.goals g WHERE g.case_id = p.case_id), '[]'::json))::text
  FROM careplan.plans p WHERE p.case_id = (SELECT case_id FROM bench_plans WHERE n = :n);
SQL

# One answer to an agreement: what RespondToAgreement runs (services/agreements/repo), the hash
# computed in SQL.
for mode in different same; do
  cat >"$work/respond-${mode}_case.sql" <<SQL
\set k :client_id % $parties + 1
BEGIN;
INSERT INTO agreements.chain_heads AS h (case_id) SELECT case_id FROM bench_answers_$mode WHERE k = :k
  ON CONFLICT (case_id) DO UPDATE SET last_sequence = h.last_sequence RETURNING h.last_sequence AS seq, h.last_hash AS prev \gset
SELECT a.current_version, a.status, p.party, p.answer FROM agreements.agreements a
  JOIN agreements.parties p ON p.case_id = a.case_id AND p.agreement_id = a.agreement_id AND p.version = a.current_version
 WHERE (a.case_id, a.agreement_id) = (SELECT case_id, agreement_id FROM bench_answers_$mode WHERE k = :k) ORDER BY p.ordinal;
WITH b AS (SELECT * FROM bench_answers_$mode WHERE k = :k),
     p AS (UPDATE agreements.parties t SET answer = 1, answered_by = 'bench', answered_by_org = 'bench-agree',
                  answer_time = now(), withdrawn = false, withdrawal_reason = ''
             FROM b WHERE t.case_id = b.case_id AND t.agreement_id = b.agreement_id AND t.version = 1 AND t.party = b.party)
UPDATE agreements.agreements a SET status = 1, update_time = now() FROM b
 WHERE a.case_id = b.case_id AND a.agreement_id = b.agreement_id;
\set next :seq + 1
WITH b AS (SELECT * FROM bench_answers_$mode WHERE k = :k),
     c AS (SELECT '{"answer":"ACCEPT","sequence":' || :next || '}' AS canonical),
     l AS (INSERT INTO agreements.log (case_id, sequence, kind, agreement_id, version, event_time, canonical, previous_hash, hash)
           SELECT b.case_id, :next, 2, b.agreement_id, 1, now(), c.canonical, :prev,
                  encode(sha256(convert_to(:prev || E'\n' || c.canonical, 'UTF8')), 'hex') FROM b, c
           RETURNING case_id, hash)
UPDATE agreements.chain_heads h SET last_sequence = :next, last_hash = l.hash FROM l WHERE h.case_id = l.case_id;
END;
SQL
done

results=$work/results.txt
: >"$results"
for round in $(seq 1 "$rounds"); do
for scenario in $scenarios; do
  for c in $levels; do
    target=$addr
    case $scenario in
      get) token=$get_token; flags=(--scenario get) ;;
      partner-get) token=$partner_token; flags=(--scenario get --list-token "$get_token") ;;
      unenforced-get) token=$partner_token; flags=(--scenario get --list-token "$get_token"); target=$unenforced_addr ;;
      unlogged-get) token=$partner_token; flags=(--scenario get --list-token "$get_token"); target=$unlogged_addr ;;
      check) token=$partner_token; flags=(--scenario check --list-token "$get_token") ;;
      unlogged-check) token=$partner_token; flags=(--scenario check --list-token "$get_token"); target=$unlogged_addr ;;
      plan) token=$plan_token; flags=(--scenario plan) ;;
      respond-*) token=$agree_token
        if [ "$c" -gt "$parties" ]; then  # each slot answers as a party of its own
          echo "$scenario at concurrency $c skipped: $parties answering parties are seeded"
          continue
        fi
        flags=(--scenario "$scenario" --list-token "$agree_token" --key "$work/key.pem" --org bench-agree) ;;
      *) token=$create_token; flags=(--scenario "$scenario") ;;
    esac
    measure() {  # KIND ADDRESS SERVER-PID
      local line
      line=$("$loadgen" --addr "$2" --token "$token" run "${flags[@]}" --concurrency "$c" \
        --seconds "$seconds" --client "$create_client" --channels ${KP_BENCH_CHANNELS:-4} \
        --cpu "kruispuntd=$3,postgres=$postmaster_pid")
      line=${line/scenario=get/scenario=$scenario}
      echo "$1 round=$round ${line/scenario=check/scenario=$scenario}" | tee -a "$results"
    }
    server_pid=$pid
    [ "$target" = "$unenforced_addr" ] && server_pid=$unenforced_pid
    [ "$target" = "$unlogged_addr" ] && server_pid=$unlogged_pid
    measure service "$target" "$server_pid"
    [ -n "$base" ] && [ "$target" = "$addr" ] && measure base "$base_addr" "$base_pid"
    case $scenario in
      get|partner-get) script=$work/enforced_case.sql ;;
      *) script=$work/${scenario}_case.sql ;;
    esac
    [ -f "$script" ] || continue  # health: gRPC's own floor, no SQL counterpart
    threads=$(( c < 2 ? 1 : 2 ))
    rm -f "$work"/pgb.*
    tps=$(cd "$work" && pgbench -h "$sockdir" -p 54330 -U "$pguser" -n -M prepared -c "$c" -j "$threads" -T "$seconds" \
            -l --log-prefix=pgb -f "$script" kruispunt 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
    # Raw SQL's own p99 (pgbench logs each transaction's latency in us, third field).
    p99=$(cat "$work"/pgb.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)]}')
    echo "pgbench round=$round scenario=$scenario concurrency=$c tps=$tps p99_us=$p99" | tee -a "$results"
  done
done
done

# What PostgreSQL does per RPC, everything included (the access decision's reads, the access log's
# append, BEGIN/COMMIT), from pg_stat_statements over one run: statements and execution time per
# call, by the schema they touch. GetCarePlan's statements are counted over sequential calls (the
# issue asks how many round trips a call costs); KP_BENCH_PROFILE names scenarios to profile at
# concurrency 16 as well (where concurrent calls share statements).
profile() {  # SCENARIO CONCURRENCY TOKEN LOADGEN-FLAGS...
  local scenario=$1 c=$2 token=$3
  shift 3
  psql_ -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
  local line calls
  line=$("$loadgen" --addr "$addr" --token "$token" run "$@" --concurrency "$c" --seconds 3 --warmup 0)
  calls=$(sed -nE 's/.* ok=([0-9]+).*/\1/p' <<<"$line")
  echo "$scenario at concurrency $c, per call over $calls calls: statements, ms in PostgreSQL"
  psql_ -F ' ' -c "SELECT CASE WHEN query ~* '^(begin|commit|rollback)' THEN 'transaction-control'
                                 WHEN query ~ 'careplan\.' THEN 'careplan' WHEN query ~ 'agreements\.' THEN 'agreements'
                                 WHEN query ~ 'consent\.' THEN 'consent' WHEN query ~ 'team\.' THEN 'team'
                                 WHEN query ~ 'audit\.' THEN 'audit' WHEN query ~ 'cases\.' THEN 'cases' ELSE 'other' END,
                            sum(calls), sum(total_exec_time) FROM pg_stat_statements
                    WHERE query NOT LIKE '%pg_stat_statements%' GROUP BY 1 ORDER BY 1" |
    awk -v n="$calls" '{ s += $2; t += $3; printf "  %-20s %6.2f %7.3f\n", $1, $2 / n, $3 / n }
                       END { printf "  %-20s %6.2f %7.3f\n", "total", s / n, t / n }'
}
if [[ " $scenarios " == *" plan "* ]]; then
  profile plan 1 "$plan_token" --scenario plan | tee -a "$work/statements-summary.txt"
fi
for scenario in ${KP_BENCH_PROFILE:-}; do
  case $scenario in
    partner-get) profile "$scenario" 16 "$partner_token" --scenario get --list-token "$get_token" ;;
    check) profile "$scenario" 16 "$partner_token" --scenario check --list-token "$get_token" ;;
    plan) profile "$scenario" 16 "$plan_token" --scenario plan ;;
    respond-*) profile "$scenario" 16 "$agree_token" --scenario "$scenario" --list-token "$agree_token" \
                 --key "$work/key.pem" --org bench-agree ;;
    *) echo "KP_BENCH_PROFILE: no profile for $scenario" ;;
  esac
done

# The servers' resident memory after every measurement (VmRSS).
for server in "new:${pid:-}" "old:${base_pid:-}"; do
  server_pid=${server#*:}
  [ -n "$server_pid" ] && echo "kruispuntd (${server%%:*}) RSS after the run: $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' /proc/$server_pid/status)"
done

python3 - "$results" "$rounds" "$base" <<'PY'
import re, statistics, sys
service, old_build, sql = {}, {}, {}
for line in open(sys.argv[1]):
    kv = dict(re.findall(r"(\w+)=([\w.-]+)", line))
    key = (kv["scenario"], int(kv["concurrency"]))
    kind = {"service": service, "base": old_build}.get(line.split()[0], sql)
    kind.setdefault(key, {})[kv["round"]] = kv
med = statistics.median
print(f"\nmedians of {sys.argv[2]} rounds")
print(f"{'RPC':<14}{'conc':>5}{'service rps':>13}{'p50 ms':>8}{'p99 ms':>8}{'errors':>8}{'SQL tps':>10}{'SQL p99':>9}{'ratio':>7}  ratio per round")
names = {"get": "GetCase", "partner-get": "GetCase/p", "unenforced-get": "GetCase/u", "unlogged-get": "GetCase/l",
         "check": "CheckAccess", "unlogged-check": "CheckAccess/l",
         "create": "CreateCase", "health": "Health", "plan": "GetCarePlan",
         "respond-different": "Respond/d", "respond-same": "Respond/s"}
# Ratios to the same calls served by the benchmark build in the same round, not to SQL: what the
# decision and its log cost (partner-get), the decision alone (unlogged-get), the log (check).
baseline = {"partner-get": "unenforced-get", "unlogged-get": "unenforced-get", "check": "unlogged-check"}
summary = {}
log_cost = {}
for key, rounds in sorted(service.items()):
    scenario, c = key
    rps = med(float(r["rps"]) for r in rounds.values())
    p50 = med(int(r["p50_us"]) for r in rounds.values()) / 1000
    p99 = med(int(r["p99_us"]) for r in rounds.values()) / 1000
    errors = sum(int(r["errors"]) for r in rounds.values())
    line = f"{names[scenario]:<14}{c:>5}{rps:>13.0f}{p50:>8.2f}{p99:>8.2f}{errors:>8}"
    base = service.get((baseline.get(scenario), c), {})
    if base:
        ratios = [float(rounds[k]["rps"]) / float(base[k]["rps"]) for k in sorted(rounds) if k in base]
        line += (f"{'-':>10}{'-':>9}{med(ratios):>7.2f}  " + " ".join(f"{r:.2f}" for r in ratios) +
                 f"  (vs {names[baseline[scenario]]})")
        summary[key] = (med(ratios), p99)
    elif key in sql:
        ratios = [float(rounds[k]["rps"]) / float(sql[key][k]["tps"]) for k in sorted(rounds) if k in sql[key]]
        tps = med(float(r["tps"]) for r in sql[key].values())
        sql_p99 = med(int(r["p99_us"]) for r in sql[key].values()) / 1000
        line += f"{tps:>10.0f}{sql_p99:>9.2f}{med(ratios):>7.2f}  " + " ".join(f"{r:.2f}" for r in ratios)
        summary[key] = (med(ratios), p99)
    else:
        line += f"{'-':>10}{'-':>9}{'-':>7}"
    print(line)
    unlogged = service.get(("unlogged-get", c), {})
    if scenario == "partner-get" and unlogged:
        log_cost[c] = [float(rounds[k]["rps"]) / float(unlogged[k]["rps"]) for k in sorted(rounds) if k in unlogged]
def cpu(rounds, who):
    values = [int(r["cpu_us_" + who]) for r in rounds.values() if "cpu_us_" + who in r]
    return f"{med(values):>7.0f}" if values else f"{'-':>7}"
print(f"\nCPU microseconds per call (medians), from /proc over each measured window")
print(f"{'RPC':<14}{'conc':>5}{'build':>7}{'server':>8}{'postgres':>9}{'loadgen':>8}")
for key, rounds in sorted(service.items()):
    for build, runs in (("new", rounds), ("old", old_build.get(key))):
        if runs:
            print(f"{names[key[0]]:<14}{key[1]:>5}{build:>7} {cpu(runs, 'kruispuntd')} {cpu(runs, 'postgres')} {cpu(runs, 'loadgen')}")
if old_build:
    print(f"\nA/B: this build (new) against {sys.argv[3]} (old), same database and seed, alternating in each round")
    print(f"{'RPC':<14}{'conc':>5}{'new rps':>9}{'old rps':>9}{'new p99':>9}{'old p99':>9}{'new/old':>8}  per round")
    for key, old in sorted(old_build.items()):
        new = service.get(key, {})
        ratios = [float(new[k]["rps"]) / float(old[k]["rps"]) for k in sorted(old) if k in new]
        if not ratios:
            continue
        print(f"{names[key[0]]:<14}{key[1]:>5}{med(float(r['rps']) for r in new.values()):>9.0f}"
              f"{med(float(r['rps']) for r in old.values()):>9.0f}"
              f"{med(int(r['p99_us']) for r in new.values()) / 1000:>9.2f}"
              f"{med(int(r['p99_us']) for r in old.values()) / 1000:>9.2f}{med(ratios):>8.2f}  "
              + " ".join(f"{r:.2f}" for r in ratios))
print()
print("GetCase, GetCase/p: their SQL is the minimal enforced read (facts, consents, log entry, case).")
print("Respond/d, Respond/s: answers to 16 different agreements (in 16 cases), or to one shared agreement.")
print("GetCase/p: GetCase by a partner organisation: decided by ConsentService and logged; its ratio")
print("           is to GetCase/u, the same reads from a build without the decision, in the same round.")
print("GetCase/l, CheckAccess/l: decided but not written to the access log (KP_BENCH_SKIP=log).")
for c, ratios in sorted(log_cost.items()):
    print(f"the access log's cost at concurrency {c}: GetCase/p is {med(ratios):.2f} of GetCase/l  "
          + " ".join(f"{r:.2f}" for r in ratios))
print()
for scenario, target, p99_target in (("get", 0.3, 10), ("create", 0.5, 10), ("partner-get", 0.5, None)):
    if (scenario, 16) in summary:
        ratio, p99 = summary[(scenario, 16)]
        ok = ratio >= target and (p99_target is None or p99 < p99_target)
        wanted = f"ratio >= {target}" + (f" and p99 < {p99_target} ms" if p99_target else "")
        print(f"target at concurrency 16, {names[scenario]}: {wanted}: {ratio:.2f}, {p99:.2f} ms -> "
              f"{'meets' if ok else 'MISSES'}")
if ("check", 16) in service:
    p99 = med(int(r["p99_us"]) for r in service[("check", 16)].values()) / 1000
    print(f"target at concurrency 16, CheckAccess: p99 < 5 ms: {p99:.2f} ms -> {'meets' if p99 < 5 else 'MISSES'}")
PY
