#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as errors, starts a
# throwaway PostgreSQL cluster under build/, runs every test (unit and integration) with ctest,
# and removes the cluster again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KP_BUILD_DIR:-$root/build}

"$root/tools/bootstrap.sh"
KP_BUILD_DIR=$build "$root/tools/build.sh" -DKP_WARNINGS_AS_ERRORS=ON "$@"

pgdata=$build/test-pg
"$root/deploy/pg.sh" stop "$pgdata" || true
rm -rf "$pgdata"
cleanup() { "$root/deploy/pg.sh" stop "$pgdata" || true; rm -rf "$pgdata"; }
trap cleanup EXIT
KRUISPUNT_TEST_DATABASE_URL=$(KP_PG_FAST=1 "$root/deploy/pg.sh" start "$pgdata" 54329)
export KRUISPUNT_TEST_DATABASE_URL

cd "$build"
ctest --output-on-failure -j 2 --timeout 300
