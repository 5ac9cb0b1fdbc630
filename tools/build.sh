#!/usr/bin/env bash
# Configures and builds everything into build/ (KP_BUILD_DIR to change it). Extra arguments go
# to cmake's configure step, e.g. -DKP_SANITIZE=ON.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KP_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
# 2 parallel jobs: protobuf/gRPC translation units need ~1 GB each; more only thrashes 2 cores.
cmake --build "$build" -j "${KP_JOBS:-2}"
