#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for development, tests and benchmarks.
#   deploy/pg.sh start DATA_DIR PORT   initialise (first time) and start; prints the database URL
#   deploy/pg.sh stop DATA_DIR         stop it
#   deploy/pg.sh url DATA_DIR PORT     print the database URL
#   deploy/pg.sh app-url DATA_DIR PORT print the URL of the run-time role
# Two roles (README, Database roles): the cluster's user owns the database and its schemas and
# runs the migrations (the URL 'start' prints); kruispunt_app is the role the services run as, and
# gets only the privileges the migrations grant it.
# It listens on a unix socket only (no TCP), in a 0700 folder owned by the cluster's user.
# initdb refuses to run as root, so as root the cluster runs as the system user 'kruispunt'.
# KP_PG_MALLOC_TUNABLES replaces the server's glibc malloc settings below (empty: glibc's defaults).
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
cmd=${1:?usage: pg.sh start|stop|url DATA_DIR [PORT]}
data=$(realpath -m "${2:?data dir required}")
port=${3:-5433}

if [ "$(id -u)" -eq 0 ]; then
  pguser=kruispunt
  id -u "$pguser" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pguser"
  as_pg() { runuser -u "$pguser" -- "$@"; }
else
  pguser=$(id -un)
  as_pg() { "$@"; }
fi

# glibc's malloc gives a freed heap top of more than 128 kB back to the kernel at once. A backend
# whose statements use a few hundred kB (Kruispunt's batched statements do) then shrinks and
# regrows its heap with brk() on every statement, and each shrink flushes the TLB of every core:
# 16 % of PostgreSQL's CPU under CheckAccess load on a 2-core VM (README, Benchmark). Keeping up
# to 4 MB of freed heap per backend (blocks from 1 MB on are mapped and unmapped on their own, as
# before) ends that; the README gives the same setting for an operator's own PostgreSQL.
malloc_tunables=${KP_PG_MALLOC_TUNABLES-glibc.malloc.trim_threshold=4194304:glibc.malloc.mmap_threshold=1048576}

# Short, per-cluster socket folder: unix socket paths are limited to ~107 bytes.
sockdir=/tmp/kruispunt-pg-$(printf '%s' "$data" | sha1sum | cut -c1-10)
url="postgresql://${pguser}@/kruispunt?host=${sockdir}&port=${port}"
app_url="postgresql://kruispunt_app@/kruispunt?host=${sockdir}&port=${port}"

case "$cmd" in
  url) echo "$url" ;;
  app-url) echo "$app_url" ;;
  start)
    mkdir -p "$data" "$sockdir"
    chown "$pguser" "$data" "$sockdir"
    chmod 700 "$data" "$sockdir"
    if ! as_pg test -w "$data"; then
      echo "pg.sh: user $pguser cannot reach $data (a parent folder is private); choose another DATA_DIR" >&2
      exit 1
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_pg "$PGBIN/initdb" -D "$data" -U "$pguser" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      cat >> "$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$sockdir'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 256MB
lc_messages = 'C'
CONF
      # The benchmark counts statements per RPC: KP_PG_STATEMENTS=1 loads pg_stat_statements.
      if [ "${KP_PG_STATEMENTS:-0}" = 1 ]; then
        echo "shared_preload_libraries = 'pg_stat_statements'" >> "$data/postgresql.conf"
      fi
      # Tests ask for speed over durability; KP_PG_FAST=1 turns off fsync for them only.
      if [ "${KP_PG_FAST:-0}" = 1 ]; then
        printf "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" >> "$data/postgresql.conf"
      fi
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_pg env GLIBC_TUNABLES="$malloc_tunables" "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -o "-p $port" -w -t 60 start >/dev/null
    fi
    as_pg psql -h "$sockdir" -p "$port" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='kruispunt'" | grep -q 1 ||
      as_pg psql -h "$sockdir" -p "$port" -d postgres -qc "CREATE DATABASE kruispunt" >/dev/null
    as_pg psql -h "$sockdir" -p "$port" -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='kruispunt_app'" | grep -q 1 ||
      as_pg psql -h "$sockdir" -p "$port" -d postgres -qc "CREATE ROLE kruispunt_app LOGIN" >/dev/null
    echo "$url"
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ]; then
      as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *) echo "usage: pg.sh start|stop|url DATA_DIR [PORT]" >&2; exit 2 ;;
esac
