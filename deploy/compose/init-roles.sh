#!/bin/sh
# Runs once, when PostgreSQL's data volume is new: the services' role (README, Database roles).
# The schemas' owner is POSTGRES_USER; the migration job grants kruispunt_app what it needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$KRUISPUNT_APP_PASSWORD" <<'SQL'
CREATE ROLE kruispunt_app LOGIN PASSWORD :'app_password';
REVOKE ALL ON DATABASE kruispunt FROM PUBLIC;
GRANT CONNECT ON DATABASE kruispunt TO kruispunt_app;
SQL
