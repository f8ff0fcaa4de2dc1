#!/usr/bin/python3
"""Per-family cost: Sift in process (vectorize + classify, no HTTP) beside the same fitted model in
Python (pipeline.predict_proba), one row at a time and in batches of 100, plus the cost of one
explained row in Sift (occlusion for non-linear models, exact for linear ones).

    npm run build && npx tsc -p bench/tsconfig.json
    /usr/bin/python3 bench/families.py [--data-dir ../shared/data] [--seconds 2] [--kinds NAME ...]

Every family is one kind of scripts/check_parity_live.py (same pipelines, same data), fitted fresh,
exported to a temporary folder and measured by dist/bench/bench/inprocess.js. Both sides run one
thread of work on the same machine in the same run; compare rows of one run only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))

import check_parity_live as live  # noqa: E402
from sift_sklearn import export_bundle, prime  # noqa: E402

DEFAULT_KINDS = (
    "word-tfidf-lr",
    "tree-decision-tree",
    "tree-random-forest",
    "tree-gradient-boosting",
    "tree-hist-gradient-boosting",
    "xgboost-tutorial",
    "mlp-relu",
    "voting-soft-lr-mlp",
)


def python_cost(pipeline, frame_of, rows, batch: int, seconds: float) -> float:
    """µs per row of pipeline.predict_proba on batches of `batch` rows."""
    batches = [frame_of([rows[(start + i) % len(rows)] for i in range(batch)]) for start in range(0, len(rows), batch)]
    for b in batches[:3]:
        pipeline.predict_proba(b)
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or calls < 3:
        pipeline.predict_proba(batches[calls % len(batches)])
        calls += 1
    return (time.perf_counter() - started) / (calls * batch) * 1e6


def sift_cost(node: str, script: str, folder: str, name: str, rows, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(rows, handle)
        rows_path = handle.name
    try:
        done = subprocess.run(
            [node, script, "--artifacts", folder, "--model", name, "--rows", rows_path, "--seconds", str(seconds),
             "--batch-sizes", "1,100", "--explain-batch-sizes", "1"],
            capture_output=True, text=True, timeout=600,
        )
    finally:
        os.unlink(rows_path)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    report = json.loads(done.stdout)
    cost = {}
    for b in report["batches"]:
        key = "explain" if b["explain"] else f"batch{b['batch']}"
        cost[key] = 1e6 / b["textsPerSecond"]
    return cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.path.join(REPO, "..", "shared", "data"))
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--kinds", nargs="*", default=list(DEFAULT_KINDS))
    parser.add_argument("--node", default=os.environ.get("SIFT_NODE", "node"))
    args = parser.parse_args(argv)
    script = os.path.join(REPO, "dist", "bench", "bench", "inprocess.js")
    if not os.path.isfile(script):
        print(f"{script} not found: npm run build && npx tsc -p bench/tsconfig.json", file=sys.stderr)
        return 2
    data = live.load_dataset(os.path.abspath(args.data_dir), 5000, 300)
    kinds = {k.name: k for k in live._kinds()}
    unknown = [k for k in args.kinds if k not in kinds]
    if unknown:
        parser.error(f"unknown kinds {unknown}; known: {sorted(kinds)}")
    print(f"data: {data.source}; {args.seconds:g} s per measurement")
    header = f"{'family':30} {'Sift 1 row':>11} {'Python 1 row':>12} {'Sift ×100':>10} {'Python ×100':>11} {'Sift explain':>12}"
    lines = [header, "-" * len(header)]
    for name in args.kinds:
        kind = kinds[name]
        train = live._field_rows(data.train, kind)
        pipeline = kind.build()
        X = live._fit_input(train, kind)
        prime(pipeline, X)
        pipeline.fit(X, live._targets(data, kind, len(train)))
        rows = live._field_rows(data.held_out, kind)
        with tempfile.TemporaryDirectory() as folder:
            export_bundle(pipeline, os.path.join(folder, name), name=name, golden_inputs=rows[:5])
            sift = sift_cost(args.node, script, folder, name, rows, args.seconds)
        frame_of = lambda batch, kind=kind: live._fit_input(batch, kind)  # noqa: E731
        one = python_cost(pipeline, frame_of, rows, 1, args.seconds)
        hundred = python_cost(pipeline, frame_of, rows, 100, args.seconds)
        lines.append(
            f"{name:30} {sift['batch1']:9.0f}µs {one:10.0f}µs {sift['batch100']:8.0f}µs {hundred:9.0f}µs "
            f"{sift['explain']:10.0f}µs"
        )
        print(lines[-1], flush=True)
    print("\nµs per row (lower is better); Sift = node, in process, vectorize + classify; Python = pipeline.predict_proba")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
