#!/usr/bin/env bash
# The proto contract as a gate: `buf lint` (buf.yaml says which rules and why), and `buf breaking`
# against the previous commit, so that no change breaks integrators' clients by accident. An
# incompatible change is allowed only in a commit that announces it in CHANGELOG.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
buf=$root/tools/buf/node_modules/@bufbuild/buf-linux-x64/bin/buf
[ -x "$buf" ] || (cd "$root/tools/buf" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cd "$root"
"$buf" lint
if git rev-parse -q --verify HEAD~1 >/dev/null; then
  if git diff --quiet HEAD~1 -- CHANGELOG.md; then
    "$buf" breaking proto --against ".git#ref=HEAD~1,subdir=proto"
    echo "protos: lint passes, nothing breaks against the previous commit"
  else
    echo "protos: lint passes; CHANGELOG.md announces changes here, so breaking is not checked"
  fi
fi
