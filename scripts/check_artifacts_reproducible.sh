#!/usr/bin/env bash
# Checks that the committed bundles in artifacts/ are exactly what scripts/train.py produces from
# the shared training data: retrains every shipped model into a temporary folder (with the
# committed card's created_at passed back in, the only field allowed to differ) and compares the
# folders byte for byte; when they differ (another CPU: numpy's float path), with
# scripts/compare_bundles.py: what the data and settings determine must match, fitted values
# are reported.
#
#   bash scripts/check_artifacts_reproducible.sh [DATA_DIR]     (default: ../shared/data)
#
# Fails (exit 1) with where to get the training data when it is not there: a check that did not
# run must not look like one that passed. Needs /usr/bin/python3 with scikit-learn, onnx,
# pandas and xgboost, and the TypeScript stem CLI (dist/cli/stem.js, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR=${1:-../shared/data}
PYTHON=${SIFT_PYTHON:-/usr/bin/python3}
# task:data set (the XGBoost tutorial model trains on the disaster tweets too).
TASKS=(disaster-tweets:disaster-tweets airline-sentiment:airline-sentiment disaster-tweets-xgboost:disaster-tweets)

missing=()
for entry in "${TASKS[@]}"; do
  [ -f "$DATA_DIR/${entry#*:}/train.csv" ] || missing+=("$DATA_DIR/${entry#*:}/train.csv")
done
if [ ${#missing[@]} -gt 0 ]; then
  {
    echo "FAIL: cannot check the shipped artifacts: training data not found: ${missing[*]}"
    echo "  Pass the folder holding disaster-tweets/train.csv and airline-sentiment/train.csv as the"
    echo "  first argument (default ../shared/data). README.md, \"Training data\", says where the two"
    echo "  data sets come from and how to get them."
  } >&2
  exit 1
fi

if [ ! -f dist/cli/stem.js ]; then
  echo "building the TypeScript stem CLI (train.py gets its stems from dist/cli/stem.js)"
  npx tsc -p tsconfig.build.json
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
for entry in "${TASKS[@]}"; do
  task=${entry%%:*}
  data=${entry#*:}
  committed="artifacts/$task"
  if [ ! -f "$committed/card.json" ]; then
    echo "FAIL: $committed/card.json is missing; train it with: /usr/bin/python3 scripts/train.py --task $task"
    status=1
    continue
  fi
  created_at=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["created_at"])' "$committed/card.json")
  echo "== $task: retraining from $DATA_DIR/$data/train.csv (created_at pinned to $created_at)"
  started=$(date +%s)
  if ! "$PYTHON" scripts/train.py --task "$task" --data "$DATA_DIR/$data/train.csv" --out "$tmp/$task" \
    --created-at "$created_at" >"$tmp/$task.log" 2>&1; then
    tail -n 40 "$tmp/$task.log"
    echo "FAIL: scripts/train.py failed for $task (log above)"
    status=1
    continue
  fi
  grep -E '^search finished|^  fitted|^  (accuracy|stemming)' "$tmp/$task.log" || true
  if diff -r -q "$committed" "$tmp/$task" >"$tmp/$task.diff"; then
    echo "OK: $committed is exactly what train.py produces ($(($(date +%s) - started)) s)"
  elif "$PYTHON" scripts/compare_bundles.py "$committed" "$tmp/$task"; then
    echo "OK: $committed is what train.py produces, up to fitted values on this CPU ($(($(date +%s) - started)) s)"
  else
    echo "FAIL: $committed differs from what train.py produces now:"
    cat "$tmp/$task.diff"
    for file in card.json classifier.json vectorizer.json; do
      if [ -f "$committed/$file" ] && [ -f "$tmp/$task/$file" ] && ! cmp -s "$committed/$file" "$tmp/$task/$file"; then
        echo "--- first differences in $file (committed vs retrained):"
        diff -u "$committed/$file" "$tmp/$task/$file" | head -n 40 || true
      fi
    done
    echo "If the change is intended, retrain with: /usr/bin/python3 scripts/train.py --task $task"
    status=1
  fi
done

# The sequence reference model (Keras tokenizer + PyTorch LSTM): byte-identical on the machine that
# trained it; elsewhere compared like the others (data and settings exact, fitted values reported).
task=disaster-tweets-lstm
committed="artifacts/$task"
created_at=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["created_at"])' "$committed/card.json")
echo "== $task: retraining with scripts/train_sequence.py (created_at pinned to $created_at)"
if ! "$PYTHON" scripts/train_sequence.py --task "$task" --data "$DATA_DIR/disaster-tweets/train.csv" --out "$tmp/$task" \
  --created-at "$created_at" >"$tmp/$task.log" 2>&1; then
  tail -n 40 "$tmp/$task.log"
  echo "FAIL: scripts/train_sequence.py failed for $task (log above)"
  status=1
elif diff -r -q "$committed" "$tmp/$task" >"$tmp/$task.diff"; then
  echo "OK: $committed is exactly what train_sequence.py produces"
elif "$PYTHON" scripts/compare_bundles.py "$committed" "$tmp/$task"; then
  # Seeded, one thread, deterministic algorithms, yet torch's CPU kernels (oneDNN/MKL, chosen by
  # CPU features) still move weights in the 6th digit between machines: the tokenizer, vocabulary
  # and graph must match, fitted values are reported (check_sequence_parity.sh checks the answers).
  echo "OK: $committed is what train_sequence.py produces, up to fitted values on this CPU"
else
  echo "FAIL: $committed differs from what train_sequence.py produces now:"
  cat "$tmp/$task.diff"
  echo "If the change is intended, retrain with: /usr/bin/python3 scripts/train_sequence.py --task $task"
  status=1
fi
exit "$status"
