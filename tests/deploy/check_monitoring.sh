#!/usr/bin/env bash
# The monitoring files an operator loads: Prometheus's own check of the alert rules, and the
# Grafana dashboard parsed; every query of both names only metrics Kruispunt serves.
set -euo pipefail
deploy=$1
: "${KP_PROMTOOL:?run through tests/run.sh (tools/promtool.sh)}"
"$KP_PROMTOOL" check rules "$deploy/prometheus/alerts.yml"
python3 - "$deploy/grafana/kruispunt.json" "$deploy/prometheus/alerts.yml" <<'PY'
import json, re, sys
served = {"kruispunt_rpc_handled_total", "kruispunt_rpc_handling_seconds_bucket", "kruispunt_access_decisions_total",
          "kruispunt_access_log_append_seconds_bucket", "kruispunt_agreement_log_broken_total",
          "kruispunt_db_pool_connections", "kruispunt_db_pool_busy", "kruispunt_db_pool_waiting",
          "kruispunt_database_up", "kruispunt_migrations_applied", "kruispunt_build_info",
          "kruispunt_access_log_months_ahead"}
dashboard = json.load(open(sys.argv[1]))
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        for name in re.findall(r"kruispunt_[a-z_]+", target["expr"]):
            assert name in served, f"panel {panel['title']!r} asks for {name}, which Kruispunt does not serve"
for name in re.findall(r"kruispunt_[a-z_]+", open(sys.argv[2]).read()):
    assert name in served, f"an alert asks for {name}, which Kruispunt does not serve"
PY
echo "monitoring files pass"
