#!/usr/bin/env bash
# Installs the Debian 12 packages Kruispunt needs, only those missing. Idempotent.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc grpc-proto libprotobuf-dev protobuf-compiler
  golang-github-gogo-googleapis-dev
  libpqxx-dev libspdlog-dev nlohmann-json3-dev libssl-dev zlib1g-dev openssl libgtest-dev prometheus-cpp-dev
  postgresql-15 postgresql-client-15 postgresql-contrib curl systemd
  docker-compose
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
