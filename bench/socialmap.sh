#!/usr/bin/env bash
# The social map's search at Flanders' size (issue 22, item 7): SERVICES services (default
# 20,000) of 300 organisations, written by SQL into a scratch cluster this build migrated (every
# constraint kept): 60 zones of 15 postal codes each (1500 to 2399); most services serve their
# zone, 1 in 50 ten zones; 1 to 3 life domains; age ranges of every kind; Dutch, and French,
# English or Flemish Sign Language for some; 5 % temporarily closed, 5 % inactive; their
# organisations in the partner directory (search leaves out any other's); a description
# of 25 words from a vocabulary of 60. REFERRALS referrals (default 100,000) of clients living in
# the zone 1500 to 1514, each with its first change, in every status, 1 in 5 wait-listed at some
# point, and as many elsewhere, with one unmet need per 20 referrals, all sent in the last quarter
# that has ended (the matrix counts one quarter: this is the most it would count). Then the gap
# matrix of that zone (the median time in the server of 5 calls), and kp-loadgen's map-search at
# concurrency 16
# (a domain for an age near the client, a word near the client, a domain in French near the
# client; pages of 20) through kruispuntd, ROUNDS rounds (default 3) of 10 s, with the CPU per
# call of kruispuntd and PostgreSQL.
#   bench/socialmap.sh [SERVICES] [ROUNDS] [REFERRALS]   (needs tools/build.sh)
#   KP_COMPARE_WITH=/tmp/old/kruispuntd bench/socialmap.sh ...   alternates this build with another
set -euo pipefail
services=${1:-20000}
rounds=${2:-3}
referrals=${3:-100000}
source "$(dirname "$0")/scratch.sh"
scratch_start 54336
"$build/services/kruispuntd" --migrate-only 1 --database-url "$app_url" --migration-database-url "$owner_url" 2>/dev/null

echo "describing $services services ..."
psql -X -q -v ON_ERROR_STOP=1 -v n="$services" "$owner_url" <<'SQL'
SET synchronous_commit = off;
CREATE TEMP TABLE words AS SELECT w, row_number() OVER () - 1 AS i FROM unnest(ARRAY[
  'schulden', 'woning', 'begeleiding', 'jongeren', 'ouderen', 'thuiszorg', 'budget', 'psychisch', 'werk',
  'vrijwilligers', 'gezin', 'kinderen', 'onthaal', 'advies', 'huur', 'energie', 'armoede', 'rechten',
  'verslaving', 'hulp', 'opvoeding', 'mantelzorg', 'dagbesteding', 'vervoer', 'taal', 'inburgering',
  'gezondheid', 'zorg', 'steun', 'groep', 'gesprek', 'afspraak', 'dienst', 'centrum', 'buurt', 'wijk',
  'sociale', 'financiële', 'administratie', 'premies', 'leefloon', 'voedselhulp', 'kledij', 'school',
  'studie', 'vorming', 'sport', 'cultuur', 'eenzaamheid', 'contact', 'bezoek', 'telefoon', 'crisis',
  'veiligheid', 'geweld', 'relatie', 'scheiding', 'rouw', 'zingeving', 'mobiliteit']) AS w;
-- The 300 organisations in the partner directory, active: search and the matrix leave out the
-- services of any other.
INSERT INTO team.organizations (org_id, kbo_number, display_name, kind)
SELECT 'bench-org-' || o, lpad((1000000 + o)::text, 8, '0') || lpad((97 - (1000000 + o) % 97)::text, 2, '0'),
       'Bench ' || o, 9
FROM generate_series(0, 299) AS o;
-- Each trait from a hash of its own of the service's number, so that none follows the zone.
INSERT INTO socialmap.services (organization, display_name, description, life_domains, minimum_age, maximum_age,
                                eligibility, postal_codes, languages, status, email, website)
SELECT 'bench-org-' || (g % 300),
       initcap((SELECT w FROM words WHERE i = g % 60)) || ' ' || (g % 60 + 1),
       (SELECT string_agg(w, ' ') FROM words WHERE i IN (SELECT (2147483647 & hashint4(g * 31 + k)) % 60 FROM generate_series(1, 25) k)),
       ARRAY(SELECT DISTINCT 1 + (2147483647 & hashint4(g * 3 + k + 7)) % 13 FROM generate_series(1, 1 + (2147483647 & hashint4(g)) % 3) k)::smallint[],
       (ARRAY[0, 0, 12, 18, 18, 65])[1 + (2147483647 & hashint4(g + 1)) % 6],
       (ARRAY[NULL, 25, 25, NULL, 64, NULL])[1 + (2147483647 & hashint4(g + 1)) % 6],
       'Inwoners van de zone',
       ARRAY(SELECT (1500 + zone * 15 + p)::text
             FROM generate_series(0, 59) zone, generate_series(0, 14) p
             WHERE zone = g % 60 OR (g % 50 = 0 AND (zone - g % 60 + 60) % 60 < 10)),
       ARRAY['nl'] || CASE WHEN (2147483647 & hashint4(g + 2)) % 5 = 0 THEN ARRAY['fr'] ELSE '{}' END
                   || CASE WHEN (2147483647 & hashint4(g + 3)) % 7 = 0 THEN ARRAY['en'] ELSE '{}' END
                   || CASE WHEN (2147483647 & hashint4(g + 4)) % 50 = 0 THEN ARRAY['vgt'] ELSE '{}' END,
       CASE (2147483647 & hashint4(g + 5)) % 20 WHEN 0 THEN 2 WHEN 1 THEN 3 ELSE 1 END,
       'onthaal@bench.example', 'https://bench.example/' || g
FROM generate_series(1, :n) AS g;
VACUUM ANALYZE socialmap.services;
SQL
echo "$(psql -X -At "$owner_url" -c "SELECT count(*) || ' services, ' || pg_size_pretty(pg_total_relation_size('socialmap.services')) || ' with indexes' FROM socialmap.services")"

echo "sending $referrals referrals in the zone 1500-1514 and as many elsewhere ..."
psql -X -q -v ON_ERROR_STOP=1 -v n="$referrals" "$owner_url" <<'SQL'
SET synchronous_commit = off;
-- Sent in the last quarter that has ended (Belgian time): the triggers that give each row the
-- time of its insert are off while the benchmark writes its history (their owner may; the
-- run-time role may not).
ALTER TABLE referrals.referrals DISABLE TRIGGER referrals_keep_create_time;
ALTER TABLE referrals.unmet_needs DISABLE TRIGGER unmet_needs_stamp;
-- Each trait from a hash of its own of the referral's number; the first n in the zone (1500 to
-- 1514), the next n in the other zones.
INSERT INTO referrals.referrals (case_id, referring_org, referring_person, receiving_org, kind, question, life_domain,
                                 shared_categories, answer_days, due_date, status, outcome, ever_waitlisted,
                                 client_postal_code, client_age_group, create_time)
SELECT gen_random_uuid(), 'bench-org-' || (g % 300), 'bench-person', 'bench-org-' || ((g * 7 + 1) % 300),
       1 + g % 3, 'Hulp gevraagd', 1 + (2147483647 & hashint4(g)) % 13, 4, 2, current_date,
       1 + (2147483647 & hashint4(g + 1)) % 8, 0, (2147483647 & hashint4(g + 2)) % 5 = 0,
       CASE WHEN g <= :n THEN 1500 + (2147483647 & hashint4(g + 3)) % 15
            ELSE 1515 + (2147483647 & hashint4(g + 3)) % 885 END::text,
       1 + (2147483647 & hashint4(g + 4)) % 3,
       date_trunc('quarter', now() AT TIME ZONE 'Europe/Brussels') AT TIME ZONE 'Europe/Brussels' - (1 + (2147483647 & hashint4(g + 7)) % (80 * 86400)) * interval '1 second'
FROM generate_series(1, 2 * :n) AS g;
INSERT INTO referrals.changes (case_id, referral_id, revision, status, outcome, on_hold, due_date, by_org, by_person)
SELECT case_id, referral_id, 1, 1, 0, false, due_date, referring_org, referring_person FROM referrals.referrals;
INSERT INTO referrals.unmet_needs (case_id, life_domain, client_postal_code, client_age_group, by_org, by_person,
                                   create_time)
SELECT gen_random_uuid(), 1 + (2147483647 & hashint4(g + 5)) % 13,
       CASE WHEN g <= :n / 20 THEN 1500 + g % 15 ELSE 1515 + g % 885 END::text,
       1 + (2147483647 & hashint4(g + 6)) % 3, 'bench-org-' || (g % 300), 'bench-person',
       date_trunc('quarter', now() AT TIME ZONE 'Europe/Brussels') AT TIME ZONE 'Europe/Brussels' - (1 + (2147483647 & hashint4(g + 8)) % (80 * 86400)) * interval '1 second'
FROM generate_series(1, :n / 10) AS g;
ALTER TABLE referrals.referrals ENABLE TRIGGER referrals_keep_create_time;
ALTER TABLE referrals.unmet_needs ENABLE TRIGGER unmet_needs_stamp;
VACUUM ANALYZE referrals.referrals;
VACUUM ANALYZE referrals.unmet_needs;
SQL
echo "$(psql -X -At "$owner_url" -c "SELECT count(*) || ' referrals, ' || pg_size_pretty(pg_total_relation_size('referrals.referrals')) || ' with indexes' FROM referrals.referrals")"

port=$((20000 + RANDOM % 20000))
export KRUISPUNT_ADDR=127.0.0.1:$port
"$build/services/kruispuntd" --listen "$KRUISPUNT_ADDR" --database-url "$app_url" --migrate 0 \
  --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" --log-format json >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do "$cli" health >/dev/null 2>&1 && break; sleep 0.1; done
admin=$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub admin-1 --role admin --ttl 86400)
postmaster=$(head -1 "$work/pg/postmaster.pid")

# What a page looks like: how many services each shape finds (the first page's size, up to 20).
echo "a domain for 67 in 1510:    $("$cli" --token "$admin" --json socialmap search --domain finances --age 67 --postal-code 1510 --page-size 20 | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("services", [])))') services on the first page"
echo "'schulden' in 1510:         $("$cli" --token "$admin" --json socialmap search --query schulden --postal-code 1510 --page-size 20 | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("services", [])))') services on the first page"
echo "a domain in French in 1510: $("$cli" --token "$admin" --json socialmap search --domain housing --language fr --postal-code 1510 --page-size 20 | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("services", [])))') services on the first page"

# The gap matrix of a zone of 15 postal codes (1500 to 1514), its offer and its demand in the last
# quarter that has ended: the median of 5 calls' time in the server (its log line's duration_us).
"$cli" --token "$admin" zone create elz-bench --name "ELZ Bench" $(for p in $(seq 1500 1514); do echo --postal-code $p; done) >/dev/null
times=()
for _ in 1 2 3 4 5; do
  "$cli" --token "$admin" zone matrix zones/elz-bench >"$work/matrix"
  sleep 1.1  # the server flushes its log every second
  times+=($(python3 -c 'import json,sys
lines = [json.loads(l) for l in open(sys.argv[1]) if "\"msg\":\"rpc\"" in l]
print(next(l["duration_us"] for l in reversed(lines) if l["method"] == "GetGapMatrix"))' "$work/log"))
done
echo "gap matrix of a zone ($(grep -c . "$work/matrix") lines): $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{ printf "%.1f", $1 / 1000 }') ms in the server (median of 5)"
head -4 "$work/matrix"
sed -n '/^referrals/,+3p' "$work/matrix"

loadgen=$build/bench/kp-loadgen
# KP_COMPARE_WITH=/path/to/another/kruispuntd: each round runs this build's server and then that
# one on the same map (alternating rounds, as the VM's noise asks).
servers=("$build/services/kruispuntd")
[ -n "${KP_COMPARE_WITH:-}" ] && servers+=("$KP_COMPARE_WITH")
for round in $(seq 1 "$rounds"); do
  for server in "${servers[@]}"; do
    if [ "$server" != "$build/services/kruispuntd" ] || [ "$round" -gt 1 ]; then
      kill "$pid"; wait "$pid" 2>/dev/null || true
      "$server" --listen "$KRUISPUNT_ADDR" --database-url "$app_url" --migrate 0 --token-public-keys "$work/pub.pem" \
        --service-token-file "$work/service.jwt" --log-format json >>"$work/log" 2>&1 &
      pid=$!
      for _ in $(seq 1 100); do "$cli" health >/dev/null 2>&1 && break; sleep 0.1; done
    fi
    echo -n "$(basename "$(dirname "$(dirname "$server")")")/$(basename "$server"): "
    "$loadgen" --addr "$KRUISPUNT_ADDR" --token "$admin" run --scenario map-search --concurrency 16 --seconds 10 \
      --cpu "kruispuntd=$pid,postgres=$postmaster"
  done
done
