"""In-process throughput of the seeds' stack: scikit-learn transform + predict_proba, no HTTP.

    /usr/bin/python3 bench/baselines/sklearn_inprocess.py --bundle artifacts/disaster-tweets \
        --rows rows.json [--train-csv train.csv] [--seconds 3] [--batch-sizes 1,1000]

Prints one JSON object: {"sklearn": version, "batches": [{"batch", "texts", "seconds",
"texts_per_s"}], ...}. rows.json is a JSON list of rows ({field: text}); batches cycle over it.
"""

import argparse
import json
import sys
import time

import sklearn

from seed_model import SeedModel


def measure(model, rows, batch, seconds):
    batches = [
        [rows[(start + i) % len(rows)] for i in range(batch)] for start in range(0, len(rows), batch)
    ]
    for chunk in batches[:3]:
        model.predict_proba(chunk)  # warm-up: first calls allocate and fill caches
    texts = 0
    calls = 0
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds or calls < 3:
        model.predict_proba(batches[calls % len(batches)])
        texts += batch
        calls += 1
        elapsed = time.perf_counter() - started
    return {"batch": batch, "texts": texts, "calls": calls, "seconds": elapsed, "texts_per_s": texts / elapsed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--rows", required=True)
    parser.add_argument("--train-csv")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--batch-sizes", default="1,1000")
    args = parser.parse_args()

    with open(args.rows, encoding="utf-8") as handle:
        rows = json.load(handle)
    model = SeedModel(args.bundle, args.train_csv, rows)
    results = [measure(model, rows, int(b), args.seconds) for b in args.batch_sizes.split(",")]
    json.dump(
        {
            "sklearn": sklearn.__version__,
            "python": sys.version.split()[0],
            "model": model.name,
            "trained_on": model.trained_on,
            "stemming": model.stemming,
            "startup_seconds": model.startup_seconds,
            "batches": results,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
