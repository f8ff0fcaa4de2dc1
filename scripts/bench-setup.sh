#!/usr/bin/env bash
# What `npm run bench` needs besides node_modules, installed or explained:
#   - the seeds' stack: Flask, gunicorn and scikit-learn for the Python that runs them
#     (Debian: python3-flask gunicorn python3-sklearn);
#   - wrk, the load generator (Debian: wrk). Without it the bench falls back to autocannon (npm),
#     which competes harder with the servers for the CPU.
# Usage: bash scripts/bench-setup.sh [--check]   (--check: report only, install nothing)
# The Python used is SIFT_BENCH_PYTHON, else /usr/bin/python3, else python3 (as the bench does).
# Exit status: 0 when the bench can run, 1 when something it cannot do without is missing.
set -euo pipefail

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

log() { printf 'bench-setup: %s\n' "$*" >&2; }

if [ -n "${SIFT_BENCH_PYTHON:-}" ]; then
  python=$SIFT_BENCH_PYTHON
elif [ -x /usr/bin/python3 ]; then
  python=/usr/bin/python3
else
  python=python3
fi

# Debian package for each missing piece.
missing_packages() {
  local need=()
  if ! command -v "$python" >/dev/null 2>&1; then
    need+=(python3 python3-flask gunicorn python3-sklearn)
  else
    "$python" -c 'import flask' 2>/dev/null || need+=(python3-flask)
    "$python" -c 'import gunicorn' 2>/dev/null || need+=(gunicorn)
    "$python" -c 'import sklearn, scipy, numpy' 2>/dev/null || need+=(python3-sklearn)
  fi
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  [ ${#need[@]} -eq 0 ] || printf '%s\n' "${need[@]}"
}

can_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" = 0 ] && return 0
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

mapfile -t need < <(missing_packages)

# Debian's Python packages only help Debian's Python: with SIFT_BENCH_PYTHON set, apt installs wrk only.
installable=()
for package in "${need[@]}"; do
  if [ -z "${SIFT_BENCH_PYTHON:-}" ] || [ "$package" = wrk ]; then installable+=("$package"); fi
done

if [ ${#installable[@]} -gt 0 ] && [ "$check_only" = false ]; then
  if can_install; then
    log "installing ${installable[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y -qq --no-install-recommends "${installable[@]}" >/dev/null 2>&1; then
      # A fresh machine or container has no package lists yet.
      as_root apt-get update -qq >/dev/null
      as_root apt-get install -y -qq --no-install-recommends "${installable[@]}" >/dev/null
    fi
    mapfile -t need < <(missing_packages)
  else
    log "cannot install ${installable[*]}: no apt-get, or not root and no password-less sudo"
  fi
fi

python_missing=()
for package in "${need[@]}"; do
  if [ "$package" = wrk ]; then
    log "wrk is not installed: the bench will use autocannon instead (install wrk for lower load-generator" \
      "overhead: apt-get install wrk, brew install wrk)."
  else
    python_missing+=("$package")
  fi
done
if [ ${#python_missing[@]} -gt 0 ]; then
  log "the seeds' stack (Flask + gunicorn + scikit-learn for $python) is missing: ${python_missing[*]}"
  log "  Debian/Ubuntu (as root): apt-get update && apt-get install -y ${python_missing[*]}"
  log "  anywhere else: python3 -m pip install flask gunicorn scikit-learn, then SIFT_BENCH_PYTHON=\$(command -v python3)"
  exit 1
fi

if [ ! -d node_modules ] && [ ! -d "$(dirname "$0")/../node_modules" ]; then
  log "node_modules is missing: run npm ci first"
  exit 1
fi
log "ready: $("$python" -c 'import sys, sklearn; from importlib.metadata import version; print("python", sys.version.split()[0], "scikit-learn", sklearn.__version__, "flask", version("flask"), "gunicorn", version("gunicorn"))')" \
  "$(if command -v wrk >/dev/null 2>&1; then { wrk -v 2>&1 || true; } | head -n 1 | cut -d' ' -f1-2; else echo 'no wrk (autocannon)'; fi)"
