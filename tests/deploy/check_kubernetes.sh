#!/usr/bin/env bash
# The Kubernetes manifests, validated offline against the Kubernetes API schemas
# (tools/k8s-validate: npm's kubernetes-models, installed from its lock file on first use), and
# every resource the kustomization names exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
manifests=$root/deploy/kubernetes
validator=$root/tools/k8s-validate
[ -d "$validator/node_modules" ] || (cd "$validator" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
for kustomization in "$manifests/kustomization.yaml" "$manifests/split/kustomization.yaml"; do
  for resource in $(sed -n 's/^  - \(.*\.yaml\)$/\1/p' "$kustomization"); do
    [ -f "$(dirname "$kustomization")/$resource" ] || { echo "$kustomization names $resource, which does not exist"; exit 1; }
  done
done
node "$validator/validate.mjs" $(ls "$manifests"/*.yaml "$manifests"/split/*.yaml | grep -v kustomization.yaml)
