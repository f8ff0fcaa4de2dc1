#!/usr/bin/python3
"""Train one of the models Sift ships and write its bundle (docs/bundle-format.md).

    /usr/bin/python3 scripts/train.py --task disaster-tweets      # → artifacts/disaster-tweets
    /usr/bin/python3 scripts/train.py --task airline-sentiment    # → artifacts/airline-sentiment
    /usr/bin/python3 scripts/train.py --task disaster-tweets-xgboost   # the tutorial's XGBoost model
    /usr/bin/python3 scripts/train.py --task disaster-tweets --data ../shared/data/disaster-tweets/train.csv \
        --out /tmp/dt --stem auto --seed 42 --jobs 2 --created-at 2026-01-01T00:00:00Z

Steps: read the CSV (all columns as strings, empty cells ''), hold out a stratified 20% test split,
grid-search feature blocks and classifier settings with stratified k-fold CV on the rest (each
candidate's score is printed as it is computed), refit the best candidate on the training split,
evaluate it on the held-out split, and export that very model with sift_sklearn.export_bundle.
The held-out rows are used for the metrics only, and the shipped model is the evaluated one (it
is not refitted on all rows afterwards), so the card's metrics describe exactly what is served.

--stem auto (the default) tries every word block with and without natural's Porter stemmer
(stems come from the server's TypeScript, `node dist/cli/stem.js`; build it first with
`npm run build`) and keeps the better; the card's training.stemming section records both CV
scores. --quick runs a tiny grid with 3 folds (for tests). disaster-tweets-xgboost has no search: it
fits the tutorial's fixed pipeline (keyword + location counts, text TF-IDF → XGBClassifier) on the
same training split and is evaluated on the same held-out rows as disaster-tweets. Same data + same arguments → the same
bundle, byte for byte, except card.json's created_at (pass --created-at to pin it).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(SCRIPTS)
sys.path.insert(0, SCRIPTS)

import numpy as np  # noqa: E402
from sklearn.model_selection import StratifiedKFold, train_test_split  # noqa: E402

from sift_sklearn import StemmerUnavailableError, export_bundle, prime  # noqa: E402
from sift_sklearn.stem import stem_tokens  # noqa: E402
from sift_train.data import fingerprint, read_table  # noqa: E402
from sift_train.metrics import format_metrics, heldout_metrics  # noqa: E402
from sift_train.search import SearchResult, run_search  # noqa: E402
from sift_train.space import STEM_MODES, ClassifierSpace, build_pipeline, expand_stemming  # noqa: E402
from sift_train.tasks import TASKS, TaskSpec  # noqa: E402

DEFAULT_DATA_DIR = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "data"))
TEST_FRACTION = 0.2


def log(message: str = "") -> None:
    print(message, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--task", choices=sorted(TASKS), default="disaster-tweets", help="which model (default: disaster-tweets)"
    )
    parser.add_argument("--data", help="the training CSV (default: DATA_DIR/<task>/train.csv)")
    parser.add_argument(
        "--data-dir", default=DEFAULT_DATA_DIR, help=f"where the data sets live (default: {DEFAULT_DATA_DIR})"
    )
    parser.add_argument("--out", help="bundle folder (default: artifacts/<task> in the repository)")
    parser.add_argument(
        "--stem", choices=STEM_MODES, default="auto", help="word stemming: none, porter, or auto = try both (default)"
    )
    parser.add_argument("--quick", action="store_true", help="tiny grid and 3 folds (for tests)")
    parser.add_argument(
        "--seed", type=int, default=42, help="seed of the split, the folds and the estimators (default 42)"
    )
    parser.add_argument("--folds", type=int, help="cross-validation folds (default 5, --quick 3)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (default 2)")
    parser.add_argument("--created-at", help="card.json created_at (default: now, UTC); pin it to compare runs")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.folds is not None and args.folds < 2:
        parser.error("--folds must be at least 2")
    return args


def check_stemmer_available(slots: list) -> None:
    stemmers = {option.stemmer for slot in slots for option in slot.options if option is not None and option.stemmer}
    for stemmer in sorted(stemmers):
        try:
            stem_tokens(["running"], stemmer)
        except StemmerUnavailableError as error:
            raise SystemExit(f"--stem needs the TypeScript stemmer: {error}\n(or run with --stem none)") from error


def load(task: TaskSpec, path: str):
    frame = read_table(path, [*task.fields, task.label_column])
    y = task.parse_labels(frame[task.label_column]).to_numpy()
    found = sorted(set(y.tolist()))
    unknown = [label for label in found if label not in task.classes]
    if unknown:
        raise SystemExit(f"{path}: unexpected {task.label_column} values {unknown[:10]}; expected {list(task.classes)}")
    missing = [label for label in task.classes if label not in found]
    if missing:
        raise SystemExit(f"{path}: no rows of class {missing}")
    return frame[task.fields], y


def stemming_report(mode: str, result: SearchResult) -> dict:
    chosen = result.best.candidate.stemmer() or "none"
    if mode != "auto":
        summary = f"not compared (--stem {mode}); run with --stem auto"
        return {"mode": mode, "chosen": chosen, "compared": False, "summary": summary}
    by_stemmer: dict[str, float] = {}
    for score in result.scores:
        key = score.candidate.stemmer() or "none"
        by_stemmer[key] = max(by_stemmer.get(key, float("-inf")), score.mean)
    without, porter = by_stemmer["none"], by_stemmer["porter"]
    difference = porter - without
    verb = "raised" if difference > 0 else "lowered" if difference < 0 else "did not change"
    spread = result.best.std
    size = "within" if abs(difference) <= spread else "beyond"
    return {
        "mode": "auto",
        "compared": True,
        "stemmer": "porter (natural's PorterStemmer, run through the server's TypeScript: node dist/cli/stem.js)",
        "natural_version": natural_version(),
        f"best_cv_{result.scoring}_without_stemming": round(without, 6),
        f"best_cv_{result.scoring}_with_porter": round(porter, 6),
        "difference": round(difference, 6),
        "helped": difference > 0,
        "chosen": chosen,
        "summary": (
            f"Porter stemming {verb} the best cross-validated {result.scoring}: {without:.4f} without, "
            f"{porter:.4f} with ({difference:+.4f}, {size} the fold-to-fold spread of ±{spread:.4f}); "
            f"the shipped model uses {'Porter stems' if chosen == 'porter' else 'unstemmed words'}."
        ),
    }


def natural_version() -> str:
    try:
        with open(os.path.join(REPO_ROOT, "node_modules", "natural", "package.json"), encoding="utf-8") as handle:
            return str(json.load(handle)["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def reproduce_command(task: TaskSpec, args: argparse.Namespace) -> str:
    """The train.py invocation that rebuilds this bundle (data and output paths left at their defaults)."""
    parts = ["/usr/bin/python3 scripts/train.py", f"--task {task.name}", f"--stem {args.stem}", f"--seed {args.seed}"]
    if args.quick:
        parts.append("--quick")
    if args.folds is not None:
        parts.append(f"--folds {args.folds}")
    return " ".join(parts)


def training_section(
    task: TaskSpec,
    args: argparse.Namespace,
    slots: list,
    space: ClassifierSpace,
    result: SearchResult,
    train_size: int,
    test_size: int,
    stemming: dict,
) -> dict:
    ranked = sorted(result.scores, key=lambda s: (-s.mean, s.index))
    return {
        "command": reproduce_command(task, args),
        "method": (
            f"grid search, stratified {result.folds}-fold cross-validation (shuffled, seed {args.seed}) on the "
            "training split; every fold's vectorizers are fitted on that fold's training part only; the "
            "candidate with the highest mean score wins (ties: the earlier one in grid order)"
        ),
        "split": (
            f"stratified, {int(TEST_FRACTION * 100)}% held out (seed {args.seed}): "
            f"{train_size} training rows, {test_size} held-out rows"
        ),
        "shipped_model": (
            "the best candidate refitted on the training split only; the held-out rows were used for the "
            "metrics and nothing else, and the model was not refitted on all rows afterwards, so the "
            "metrics describe exactly the model in this bundle"
        ),
        "scoring": result.scoring,
        "scoring_reason": task.scoring_reason,
        "quick": bool(args.quick),
        "seed": args.seed,
        "folds": result.folds,
        "candidates": len(result.scores),
        "grid": {
            **{
                slot.name: [({"field": slot.field, **o.card_entry()} if o else None) for o in slot.options]
                for slot in slots
            },
            "classifier": {
                "estimator": "LogisticRegression",
                "fixed": dict(space.base),
                "tuned": [dict(g) for g in space.grid],
            },
        },
        "best": result.best.candidate.card_entry(),
        "best_cv": {
            "mean": round(result.best.mean, 6),
            "std": round(result.best.std, 6),
            "folds": [round(s, 6) for s in result.best.fold_scores],
        },
        "top": [
            {"rank": rank, "cv_mean": round(s.mean, 6), "cv_std": round(s.std, 6), "candidate": s.candidate.describe()}
            for rank, s in enumerate(ranked[:5], start=1)
        ],
        "stemming": stemming,
    }


def fixed_training_section(task: TaskSpec, args: argparse.Namespace, train_size: int, test_size: int) -> dict:
    import xgboost

    return {
        "command": reproduce_command(task, args),
        "method": "no search: the tutorial's fixed settings, fitted once on the training split",
        "split": (
            f"stratified, {int(TEST_FRACTION * 100)}% held out (seed {args.seed}): "
            f"{train_size} training rows, {test_size} held-out rows (the same split as disaster-tweets)"
        ),
        "shipped_model": "the fitted pipeline itself; the held-out rows were used for the metrics only",
        "settings": task.fixed_settings,
        "seed": args.seed,
        "xgboost_version": xgboost.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    task = TASKS[args.task]
    data_path = args.data or os.path.join(args.data_dir, task.file)
    out_dir = args.out or os.path.join(REPO_ROOT, "artifacts", task.name)
    if not os.path.isfile(data_path):
        raise SystemExit(
            f"train.py: training data not found: {data_path}. Pass --data FILE or --data-dir DIR; "
            'README.md, "Training data", says where the data sets come from and how to get them.'
        )
    started = time.monotonic()

    slots = expand_stemming(task.quick_slots if args.quick else task.slots, args.stem)
    space = task.quick_classifier if args.quick else task.classifier
    if task.fixed is None:
        check_stemmer_available(slots)

    X, y = load(task, data_path)
    data = fingerprint(data_path)
    log(f"{task.name}: {data['rows']:,} rows from {data_path} (sha256 {data['sha256'][:12]}…)")
    counts = {str(label): int((y == label).sum()) for label in task.classes}
    log(f"  classes: {counts}")

    train_index, test_index = train_test_split(
        np.arange(len(y)), test_size=TEST_FRACTION, stratify=y, random_state=args.seed
    )
    X_train, y_train = X.iloc[train_index].reset_index(drop=True), y[train_index]
    X_test, y_test = X.iloc[test_index].reset_index(drop=True), y[test_index]
    folds = args.folds or (3 if args.quick else 5)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=args.seed)
    splits = list(cv.split(np.zeros(len(y_train)), y_train))
    log(f"  split: {len(y_train):,} training rows, {len(y_test):,} held out; stemming: {args.stem}")

    if task.fixed is not None:
        pipeline = task.fixed(args.seed)
        fit_started = time.monotonic()
        pipeline.fit(X_train, y_train)
        log(f"  fitted the fixed pipeline in {time.monotonic() - fit_started:.1f} s")
        result = None
    else:
        result = run_search(X_train, y_train, slots, space, splits, task.scoring, args.seed, args.jobs, log)
        best = result.best
        log(
            f"search finished in {result.seconds:.1f} s; best {task.scoring} {best.mean:.4f} ± {best.std:.4f} "
            f"(candidate {best.index})"
        )
        log(f"  best: {best.candidate.describe()}")
        stemming = stemming_report(args.stem, result)
        log(f"  stemming: {stemming['summary']}")
        pipeline = build_pipeline(best.candidate, space, args.seed)
        prime(pipeline, X_train)
        pipeline.fit(X_train, y_train)
    prime(pipeline, X_test)
    classes = list(pipeline.classes_)
    if [c.item() if isinstance(c, np.generic) else c for c in classes] != list(task.classes):
        raise RuntimeError(f"classifier classes {classes} differ from the task's {list(task.classes)}")
    probabilities = pipeline.predict_proba(X_test)
    predictions = pipeline.predict(X_test)
    positive_index = task.classes.index(task.positive_class) if task.positive_class is not None else None
    metrics = heldout_metrics(task.classes, y_test, predictions, probabilities, positive_index, len(y_train))

    if result is None:
        training = fixed_training_section(task, args, len(y_train), len(y_test))
    else:
        training = training_section(task, args, slots, space, result, len(y_train), len(y_test), stemming)
    exported = export_bundle(
        pipeline,
        out_dir,
        name=task.name,
        title=task.title,
        description=task.description,
        class_names=task.class_names,
        inputs=task.inputs,
        examples=[dict(e) for e in task.examples],
        golden_inputs=[dict(g) for g in task.golden_inputs],
        metrics=metrics,
        data=data,
        training=training,
        created_at=args.created_at,
        positive_class=positive_index,
        threshold=0.5 if positive_index is not None else None,
    )
    sizes = {name: os.path.getsize(os.path.join(out_dir, name)) for name in exported["files"]}
    log("")
    log(format_metrics(metrics, task.class_names, task.title))
    log("")
    log(f"bundle: {out_dir} ({exported['width']:,} features, {sum(sizes.values()) / 1e6:.1f} MB: "
        + ", ".join(f"{name} {size / 1e6:.2f}" for name, size in sizes.items()) + ")")
    log(f"{'' if result is None else f'search {result.seconds:.1f} s, '}total {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
