#!/usr/bin/env bash
# The compose file, checked offline as docker-compose reads it (both profiles), with placeholder
# passwords (the real ones come from the operator's .env).
set -euo pipefail
compose=$(cd "$(dirname "$0")/../.." && pwd)/deploy/compose/compose.yaml
export POSTGRES_PASSWORD=placeholder KRUISPUNT_APP_PASSWORD=placeholder
docker-compose -f "$compose" config -q
services=$(docker-compose -f "$compose" --profile split config --services | sort | tr '\n' ' ')
[ "$services" = "agreements audit careplan cases consent feed kruispuntd migrate postgres referrals socialmap team " ] ||
  { echo "unexpected services: $services"; exit 1; }
echo "compose: valid, both profiles"
