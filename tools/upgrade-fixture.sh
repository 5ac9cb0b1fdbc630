#!/usr/bin/env bash
# Makes a database fixture for tests/upgrade from an earlier commit: builds that commit's
# integration tests in a worktree, runs the tests that write a case's whole story (team, consents,
# care plan, agreements, access log) against a fresh PostgreSQL, and dumps what they wrote.
#   tools/upgrade-fixture.sh COMMIT [GTEST_FILTER]   writes tests/upgrade/from-COMMIT.sql.gz
# The data is synthetic (the tests' made-up clients). Takes a clean build's time (~10 minutes).
set -euo pipefail
commit=$(git rev-parse --short "${1:?usage: tools/upgrade-fixture.sh COMMIT [GTEST_FILTER]}")
# Not the tests that tamper with the agreement log in SQL: the fixture is what the API wrote.
filter=${2:-ConsentTest.MariasConsentsFromTheScenario:ConsentTest.ARepresentativeConsentsForAClientWithoutCapacity:CarePlanTest.*:AgreementTest.*:TeamTest.*:-AgreementTest.TamperingIsDetected:AgreementTest.ARemovedTailIsDetectedAndTheChainIsNotExtended}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); chmod 711 "$work"
port=$((40000 + RANDOM % 10000))
cleanup() {
  "$root/deploy/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  git -C "$root" worktree remove --force "$work/src" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$root" worktree add --detach "$work/src" "$commit" >/dev/null
KP_BUILD_DIR="$work/build" KP_BUILD_TARGETS=kp_integration_tests "$work/src/tools/build.sh"
owner=$(KP_PG_FAST=1 "$root/deploy/pg.sh" start "$work/pg" $port)
app=$("$root/deploy/pg.sh" app-url "$work/pg" $port)
KRUISPUNT_TEST_DATABASE_URL=$owner KRUISPUNT_TEST_APP_DATABASE_URL=$app \
  "$work/build/tests/kp_integration_tests" --gtest_filter="$filter" >"$work/tests.log" 2>&1 ||
  { tail -40 "$work/tests.log"; exit 1; }
pg_dump --no-owner --no-privileges "$owner" | gzip -9n >"$root/tests/upgrade/from-$commit.sql.gz"
echo "wrote tests/upgrade/from-$commit.sql.gz"
