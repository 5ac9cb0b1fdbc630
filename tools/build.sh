#!/usr/bin/env bash
# Configures and builds everything into build/ (KP_BUILD_DIR to change it). Extra arguments go
# to cmake's configure step, e.g. -DKP_SANITIZE=ON. KP_BUILD_TARGETS="a b" builds only those
# targets (deploy/up.sh needs just the server and the CLI; the tests build the rest).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KP_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# 2 parallel jobs: protobuf/gRPC translation units need ~1 GB each; more only thrashes 2 cores.
targets=()
for target in ${KP_BUILD_TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build" -j "${KP_JOBS:-2}" "${targets[@]}"
