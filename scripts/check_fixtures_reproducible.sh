#!/usr/bin/env bash
# The committed parity fixtures and app bundles must be exactly what the generator writes.
# Needs dist/ (stemming cases call dist/cli/stem.js): run `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
/usr/bin/python3 scripts/gen_parity_fixtures.py --require-stemmer
if ! git diff --quiet -- test/fixtures || [ -n "$(git status --porcelain -- test/fixtures)" ]; then
  echo "test/fixtures differs from what scripts/gen_parity_fixtures.py writes:" >&2
  git status --short -- test/fixtures >&2
  git diff --stat -- test/fixtures >&2
  exit 1
fi
echo "parity fixtures: reproducible"
