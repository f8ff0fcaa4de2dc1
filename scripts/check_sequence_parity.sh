#!/usr/bin/env bash
# Sequence models, end to end on the real data: trains both reference networks
# (scripts/train_sequence.py: Keras tokenizer + PyTorch embedding/LSTM, single- and multi-label),
# writes for each a bundle whose golden examples are 400 held-out tweets with PyTorch's
# probabilities, and loads it with the server's own loader (dist/cli/selftest.js): Sift's
# TypeScript tokenization and onnxruntime-node must reproduce every probability within 1e-5 and
# every label. Needs dist/ (npm run build), python3-torch and python3-keras-preprocessing.
#
#   bash scripts/check_sequence_parity.sh [DATA_DIR]     (default: ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${1:-../shared/data}
PYTHON=${SIFT_PYTHON:-/usr/bin/python3}
data="$DATA_DIR/disaster-tweets/train.csv"
if [ ! -f "$data" ]; then
  echo "FAIL: $data not found (README.md, \"Training data\", says where it comes from)" >&2
  exit 1
fi
[ -f dist/cli/selftest.js ] || npx tsc -p tsconfig.build.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for task in disaster-tweets-lstm disaster-topics-lstm; do
  started=$(date +%s)
  "$PYTHON" scripts/train_sequence.py --task "$task" --data "$data" --out "$tmp/$task" \
    --check-dir "$tmp/$task-check" --check-rows 400 2>"$tmp/$task.log" | grep -v '^check bundle' || {
    tail -n 30 "$tmp/$task.log"
    echo "FAIL: training $task"
    status=1
    continue
  }
  if report=$(node dist/cli/selftest.js --bundle "$tmp/$task-check"); then
    echo "OK: $task: $report ($(($(date +%s) - started)) s)"
  else
    echo "FAIL: $task: $report"
    status=1
  fi
done
exit "$status"
