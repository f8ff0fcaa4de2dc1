#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository, including the sift-up script that
# ec2-user-data.sh writes on the host (a quoted heredoc, which shellcheck does not look inside).
# Usage: bash scripts/lint-shell.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null || {
  echo "lint-shell: shellcheck is required (apt-get install shellcheck)" >&2
  exit 1
}
embedded=$(mktemp --suffix=-sift-up.sh)
trap 'rm -f "$embedded"' EXIT
awk '/^write_sift_up\(\)/ { inside = 1 } inside && /<<.EOF.$/ { body = 1; next } body && /^EOF$/ { exit } body { print }' \
  scripts/ec2-user-data.sh >"$embedded"
[ -s "$embedded" ] || {
  echo "lint-shell: could not find the sift-up heredoc in scripts/ec2-user-data.sh" >&2
  exit 1
}
shellcheck scripts/*.sh .ci/run
shellcheck --shell=bash "$embedded"
echo "lint-shell: $(find scripts -maxdepth 1 -name '*.sh' | wc -l) scripts, .ci/run and the embedded sift-up are clean"
