#!/usr/bin/env bash
# The current build against an earlier commit's kruispuntd, on the same database and seed, in
# alternating rounds (bench/run.sh with KP_BENCH_BASE): the decided reads, CheckAccess, creates,
# care plans and agreement answers at concurrency 16.
#   bench/ab.sh [COMMIT] [SECONDS]   (default: 4e2a96d, the last commit before services hosted in
#                                     one process called each other directly; 10 s)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export KP_BENCH_BASE=${1:-4e2a96d}
export KP_BENCH_SCENARIOS=${KP_BENCH_SCENARIOS:-"get partner-get check create plan respond-different"}
export KP_BENCH_CONCURRENCY=${KP_BENCH_CONCURRENCY:-16}
export KP_BENCH_ROUNDS=${KP_BENCH_ROUNDS:-3}
exec "$root/bench/run.sh" "${2:-10}"
