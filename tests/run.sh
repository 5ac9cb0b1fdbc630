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
# The servers under test run as the run-time role; migrations and the tests' own SQL as the owner.
KRUISPUNT_TEST_APP_DATABASE_URL=$("$root/deploy/pg.sh" app-url "$pgdata" 54329)
export KRUISPUNT_TEST_DATABASE_URL KRUISPUNT_TEST_APP_DATABASE_URL
# Prometheus's checker, for the metrics a server serves and the alert rules (tools/promtool.sh).
KP_PROMTOOL=$("$root/tools/promtool.sh" "$build")
export KP_PROMTOOL

# Only read by sanitizer builds (tests/run.sh -DKP_SANITIZE=ON): undefined behaviour fails the
# test (by default UBSan only prints, unseen in a passing test); known third-party leaks.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# Full stacks for allocations: the fast unwinder stops inside libraries built without frame
# pointers (OpenSSL), and a suppression must see the library function that allocated.
export ASAN_OPTIONS="fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"

cd "$build"
ctest --output-on-failure -j 2 --timeout 300
