#!/usr/bin/env bash
# The committed parity fixtures and app bundles must be what the generator writes. Byte for byte on
# the machine that wrote them; on another CPU, numpy's float path differs in the last bits and the
# solvers follow it, so scripts/compare_bundles.py then requires only what the data and settings
# determine (vocabularies, cases, features, idf, graph structure) and reports fitted values.
# Needs dist/ (stemming cases call dist/cli/stem.js): run `npm run build` first. Leaves
# test/fixtures as committed.
set -euo pipefail
cd "$(dirname "$0")/.."
committed=$(mktemp -d)
trap 'rm -rf test/fixtures && cp -a "$committed/fixtures" test/fixtures && rm -rf "$committed"' EXIT
cp -a test/fixtures "$committed/fixtures"
/usr/bin/python3 scripts/gen_parity_fixtures.py --require-stemmer
/usr/bin/python3 scripts/gen_sequence_fixtures.py
if diff -r -q "$committed/fixtures" test/fixtures >/dev/null; then
  echo "parity fixtures: reproducible byte for byte"
  exit 0
fi
echo "parity fixtures: not byte for byte (another CPU?); comparing what the data and settings determine"
if ! /usr/bin/python3 scripts/compare_bundles.py "$committed/fixtures" test/fixtures; then
  echo "test/fixtures differs from what scripts/gen_parity_fixtures.py writes (above);" >&2
  echo "if the generator changed on purpose, run it and commit test/fixtures" >&2
  exit 1
fi
echo "parity fixtures: reproducible (fitted values within this CPU's float path)"
