# Sourced by the benchmarks that need a database of their own: a scratch PostgreSQL cluster
# (deploy/pg.sh) in a temporary folder, with a token key pair and the service token, all removed
# on exit together with the server the benchmark started ($pid).
#   source "$(dirname "$0")/scratch.sh"; scratch_start PORT
# Sets root, build, cli and work, and after scratch_start owner_url and app_url; the keys and the
# token are $work/key.pem, $work/pub.pem and $work/service.jwt.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KP_BUILD_DIR:-$root/build}
cli=$build/tools/kruispunt
work=$(mktemp -d)
chmod 755 "$work"  # the cluster runs as its own user (deploy/pg.sh)
scratch_cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi  # unset: nothing (kill 0 would end the whole group)
  "$root/deploy/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap scratch_cleanup EXIT
scratch_start() {  # PORT
  owner_url=$(KP_PG_FAST=1 "$root/deploy/pg.sh" start "$work/pg" "$1")
  app_url=$("$root/deploy/pg.sh" app-url "$work/pg" "$1")
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem" 2>/dev/null
  openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem"
  "$cli" token --key "$work/key.pem" --org kruispunt --sub kruispuntd --role service >"$work/service.jwt"
}
