#!/usr/bin/env bash
# The change feed under load (issue 20, item 9): 50 organisations, each taking part in one case of
# bench-owner with the client's consent for its agreements, each holding a WatchChanges stream,
# while bench-owner proposes agreements in their cases.
#   1. Latency: proposals at RATE a second (default 200) for SECONDS (20); for each, the time from
#      the proposal's call to its delivery on its case's organisation's stream: p50, p99, max. Every
#      proposal must be delivered (missing=0).
#   2. The feed's cost on the writers: proposals as fast as 8 writers can, for 10 s, without
#      subscribers and with the 50, in ROUNDS (3) alternating rounds; the medians and their ratio.
# Each run also reports the CPU time kruispuntd and PostgreSQL spent per write (with the
# subscribers' reads).
# One kruispuntd on a scratch cluster, with its defaults (a stream looks every 100 ms; a poll waits
# for calls waiting for a database worker, up to 1 s: --feed-poll-max-delay-ms).
#   bench/feed.sh [RATE] [SECONDS] [ROUNDS]        (needs tools/build.sh)
#   KP_SERVER=build-bench/services/kruispuntd KP_BENCH_SKIP=decision bench/feed.sh ...
#                                                  the same with a server that skips the access
#                                                  decisions (built as bench/run.sh does): their share
set -euo pipefail
rate=${1:-200}
seconds=${2:-20}
rounds=${3:-3}
source "$(dirname "$0")/scratch.sh"
loadgen=$build/bench/kp-loadgen
scratch_start 54337
port=$((20000 + RANDOM % 20000))
"${KP_SERVER:-$build/services/kruispuntd}" --listen "127.0.0.1:$port" --database-url "$app_url" --migration-database-url "$owner_url" \
  --token-public-keys "$work/pub.pem" --service-token-file "$work/service.jwt" >"$work/server.log" 2>&1 &
pid=$!
export KRUISPUNT_ADDR=127.0.0.1:$port
for _ in $(seq 1 100); do "$cli" health >/dev/null 2>&1 && break; sleep 0.1; done
admin=$("$cli" token --key "$work/key.pem" --org kruispunt-platform --sub admin-1 --role admin)
"$cli" --token "$admin" org create bench-owner --name bench-owner --kind other --kbo 0123456749 >/dev/null
feed() { "$loadgen" --addr "$KRUISPUNT_ADDR" feed --key "$work/key.pem" --org bench-owner "$@"; }
postgres_pid=$(head -1 "$work/pg/postmaster.pid")
cpu_ms() {  # PID: CPU time (ms) of the process and its descendants so far
  python3 - "$1" <<'PY'
import os, sys
ticks, parent = {}, {}
for p in filter(str.isdigit, os.listdir("/proc")):
    try: f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
    except OSError: continue
    parent[int(p)], ticks[int(p)] = int(f[1]), int(f[11]) + int(f[12])
todo, total = [int(sys.argv[1])], 0
while todo:
    p = todo.pop(); total += ticks.get(p, 0); todo += [c for c, q in parent.items() if q == p]
print(total * 1000 // os.sysconf("SC_CLK_TCK"))
PY
}
measured() {  # runs feed "$@" and adds the CPU per write of kruispuntd and PostgreSQL
  local k0 p0 out writes
  k0=$(cpu_ms "$pid"); p0=$(cpu_ms "$postgres_pid")
  out=$(feed "$@")
  writes=$(sed -E 's/.*writes_per_s=([0-9.]+).*/\1/' <<<"$out")
  python3 -c "import sys; k,p,w,s=map(float,sys.argv[1:5]); print(sys.argv[5], f'cpu_ms_per_write_kruispuntd={k/(w*s):.2f} cpu_ms_per_write_postgres={p/(w*s):.2f}')" \
    "$(( $(cpu_ms "$pid") - k0 ))" "$(( $(cpu_ms "$postgres_pid") - p0 ))" "$writes" "$seconds_run" "$out"
}

feed --rate 0 --seconds 0 --subscribe 0 >/dev/null  # the organisations and their cases, once

echo "== latency: $rate proposals/s for $seconds s, 50 subscribers"
seconds_run=$seconds measured --rate "$rate" --seconds "$seconds" --subscribe 1 | tee "$work/latency"

echo "== writers flat out (8), 10 s, without and with 50 subscribers, $rounds alternating rounds"
for r in $(seq 1 "$rounds"); do
  seconds_run=10 measured --rate 0 --seconds 10 --subscribe 0 | tee -a "$work/alone"
  seconds_run=10 measured --rate 0 --seconds 10 --subscribe 1 | tee -a "$work/watched"
done
python3 - "$work/alone" "$work/watched" <<'PY'
import re, statistics, sys
def rates(path):
    return [float(re.search(r"writes_per_s=([\d.]+)", l).group(1)) for l in open(path) if "writes_per_s" in l]
alone, watched = statistics.median(rates(sys.argv[1])), statistics.median(rates(sys.argv[2]))
print(f"writes/s median: alone {alone:.0f}, with 50 subscribers {watched:.0f}, ratio {watched / alone:.2f}")
PY
