#!/usr/bin/python3
"""Live parity check: scikit-learn versus Sift's TypeScript path, on freshly fitted pipelines.

    npm run build
    /usr/bin/python3 scripts/check_parity_live.py [--data-dir ../shared/data] [--texts 300]
        [--kinds NAME ...] [--keep DIR]

For every supported kind of pipeline it fits a fresh model (on the real data sets when
--data-dir holds disaster-tweets/train.csv and airline-sentiment/train.csv, otherwise on the
synthetic corpus, with a message), exports it with sift_sklearn.export_bundle to a temporary
folder and feeds hundreds of texts (held-out rows plus every hard string) through
`node dist/cli/parity.js --bundle DIR` (JSON lines: {"inputs": {...}} in; {"analyzed",
"features", "values", "class_index", "positives"} out), through both of its paths (--path linear,
the in-process linear layer, and --path onnx, onnxruntime). It asserts identical analyzed terms,
features within 1e-6, values within 1e-6 (scores: 1e-6 × max(1, |score|)), identical labels,
then checks that unsupported pipelines are refused with the right message. Non-linear kinds (trees,
boosting, XGBoost, MLP, soft voting: classifier.json kind onnx) have the onnx path only; their
values must be within 1e-5 of predict_proba and their labels identical, except where sklearn's two
largest probabilities differ by at most 1e-6 (float32 may order those either way).

Prints a summary table; exit status 0 when everything matches, 1 otherwise, 2 when the
TypeScript CLIs are missing (run `npm run build`).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from sklearn.feature_extraction.text import (  # noqa: E402
    CountVectorizer,
    HashingVectorizer,
    TfidfTransformer,
    TfidfVectorizer,
)
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.naive_bayes import BernoulliNB, ComplementNB, MultinomialNB  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from sift_sklearn import SiftStemTokenizer, UnsupportedModelError, export_bundle, prime  # noqa: E402
from sift_sklearn.corpus import synthetic_rows  # noqa: E402
from sift_sklearn.densify import Densify  # noqa: E402
from sift_sklearn.expected import reference_outputs  # noqa: E402
from sift_sklearn.hard_strings import HARD_FIELD_VALUES, HARD_STRINGS  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEATURE_TOLERANCE = 1e-6
VALUE_TOLERANCE = 1e-6
ONNX_KIND_TOLERANCE = 1e-5
NEAR_TIE = 1e-6
SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])
LOG_LOSS = "log_loss" if SKLEARN_VERSION >= (1, 1) else "log"


# -- data ---------------------------------------------------------------------------------------

@dataclass
class Dataset:
    """Rows as {field: text} plus targets for the three tasks."""

    source: str
    train: list[dict[str, str]]
    held_out: list[dict[str, str]]
    binary: list[int]
    sentiment: list[str]
    multilabel: np.ndarray


def _clean(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _derived_labels(rows: list[dict[str, str]], binary: list[int]) -> np.ndarray:
    # There is no multi-label data set here; labels derived from the text are enough to exercise
    # the multi-label path (parity, not accuracy, is what this checks).
    return np.array(
        [[b, int("http" in r["text"]), int("#" in r["text"] or "@" in r["text"])] for r, b in zip(rows, binary)],
        dtype=np.int64,
    )


def load_dataset(data_dir: str, train_rows: int, held_out_rows: int) -> Dataset:
    tweets_path = os.path.join(data_dir, "disaster-tweets", "train.csv")
    airline_path = os.path.join(data_dir, "airline-sentiment", "train.csv")
    if os.path.exists(tweets_path) and os.path.exists(airline_path):
        tweets = pd.read_csv(tweets_path, dtype={"keyword": str, "location": str, "text": str})
        airline = pd.read_csv(airline_path, dtype={"text": str, "sentiment": str})
        order = list(range(len(tweets)))
        random.Random(20241122).shuffle(order)
        count = min(len(order), len(airline), train_rows + held_out_rows)
        rows = [
            {
                "text": _clean(tweets.at[i, "text"]),
                "keyword": _clean(tweets.at[i, "keyword"]),
                "location": _clean(tweets.at[i, "location"]),
            }
            for i in order[:count]
        ]
        binary = [int(tweets.at[i, "target"]) for i in order[:count]]
        # Airline texts go with the sentiment task: pair row k of each shuffled set.
        airline_order = list(range(len(airline)))
        random.Random(7).shuffle(airline_order)
        sentiment_texts = [_clean(airline.at[i, "text"]) for i in airline_order[:count]]
        sentiment = [str(airline.at[i, "sentiment"]) for i in airline_order[:count]]
        # Sentiment models read the airline texts; keep them in a separate "text" column set.
        for row, text in zip(rows, sentiment_texts):
            row["airline_text"] = text
        source = f"real data from {data_dir} ({count} rows of each set)"
    else:
        print(f"check_parity_live: no data under {data_dir}; using the synthetic corpus instead")
        synthetic = synthetic_rows(train_rows + held_out_rows, 31)
        rows = [
            {"text": r.text, "keyword": r.keyword, "location": r.location, "airline_text": r.text} for r in synthetic
        ]
        binary = [r.disaster for r in synthetic]
        sentiment = [r.sentiment for r in synthetic]
        count = len(rows)
        source = "synthetic corpus (sift_sklearn.corpus, seed 31)"
    split = min(train_rows, count - min(held_out_rows, count // 4))
    return Dataset(
        source=source,
        train=rows[:split],
        held_out=rows[split:],
        binary=binary,
        sentiment=sentiment,
        multilabel=_derived_labels(rows, binary),
    )


# -- kinds ------------------------------------------------------------------------------------

@dataclass
class Kind:
    name: str
    build: Callable[[], Pipeline]
    task: str  # binary | sentiment | multilabel
    columns: bool = False
    # XGBoost wants labels 0..K-1: sentiment strings are encoded in sorted order.
    encoded_labels: bool = False


def _kinds() -> list[Kind]:
    return [
        Kind("word-tfidf-lr", lambda: Pipeline([("vec", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)), ("clf", LogisticRegression(C=4.0, max_iter=3000))]), "binary"),
        Kind(
            "columns-weighted-lr",
            lambda: Pipeline(
                [
                    (
                        "features",
                        ColumnTransformer(
                            [
                                ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2), "text"),
                                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3), "text"),
                                ("keyword", Pipeline([("count", CountVectorizer()), ("tfidf", TfidfTransformer())]), "keyword"),
                                ("location", TfidfVectorizer(strip_accents="unicode"), "location"),
                            ],
                            transformer_weights={"chars": 0.5, "keyword": 1.5, "location": 0.3},
                        ),
                    ),
                    ("clf", LogisticRegression(C=2.0, max_iter=3000)),
                ]
            ),
            "binary",
            columns=True,
        ),
        Kind("charwb-multinomial-lr", lambda: Pipeline([("vec", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=30000)), ("clf", LogisticRegression(max_iter=3000))]), "sentiment"),
        Kind("char-nolower-sgd-modified-huber", lambda: Pipeline([("vec", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, min_df=2)), ("clf", SGDClassifier(loss="modified_huber", random_state=0))]), "binary"),
        Kind("count-tfidf-transformer-mnb", lambda: Pipeline([("count", CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=2)), ("tfidf", TfidfTransformer(sublinear_tf=True)), ("clf", MultinomialNB(alpha=0.3))]), "sentiment"),
        Kind("count-binary-cnb", lambda: Pipeline([("vec", CountVectorizer(binary=True, min_df=2)), ("clf", ComplementNB())]), "sentiment"),
        Kind("ascii-pattern-linearsvc", lambda: Pipeline([("vec", TfidfVectorizer(strip_accents="ascii", token_pattern=r"[#@]?(\w\w+)", lowercase=False, norm="l1")), ("clf", LinearSVC(random_state=0, max_iter=5000))]), "binary"),
        Kind("unicode-stop-ridge", lambda: Pipeline([("vec", TfidfVectorizer(strip_accents="unicode", stop_words="english", smooth_idf=False, max_df=0.5)), ("clf", RidgeClassifier())]), "sentiment"),
        Kind("count-sgd-hinge", lambda: Pipeline([("vec", CountVectorizer(token_pattern=r"(?u)\b\w+\b")), ("clf", SGDClassifier(loss="hinge", alpha=1e-3, random_state=0))]), "sentiment"),
        Kind("noidf-sgd-log-ovr", lambda: Pipeline([("vec", TfidfVectorizer(use_idf=False, binary=True)), ("clf", SGDClassifier(loss=LOG_LOSS, alpha=1e-4, random_state=0))]), "sentiment"),
        Kind("multilabel-ovr-lr", lambda: Pipeline([("vec", TfidfVectorizer(min_df=2)), ("clf", OneVsRestClassifier(LogisticRegression(max_iter=3000)))]), "multilabel"),
        Kind("multilabel-ovr-mnb", lambda: Pipeline([("vec", CountVectorizer(min_df=2)), ("clf", OneVsRestClassifier(MultinomialNB()))]), "multilabel"),
        Kind(
            "union-word-char-ovr-lr",
            lambda: Pipeline(
                [
                    (
                        "features",
                        FeatureUnion(
                            [("words", TfidfVectorizer(min_df=2)), ("chars", TfidfVectorizer(analyzer="char", ngram_range=(2, 4), min_df=3))],
                            transformer_weights={"chars": 0.6},
                        ),
                    ),
                    ("clf", OneVsRestClassifier(LogisticRegression(max_iter=3000))),
                ]
            ),
            "sentiment",
        ),
        Kind("lancaster-multilabel-svc", lambda: Pipeline([("vec", TfidfVectorizer(tokenizer=SiftStemTokenizer("lancaster", r"(?u)[#@]?(\w[\w']+)"), token_pattern=None, strip_accents="unicode")), ("clf", OneVsRestClassifier(LinearSVC(random_state=0, max_iter=5000)))]), "multilabel"),
        Kind("porter-stem-lr", lambda: Pipeline([("vec", TfidfVectorizer(tokenizer=SiftStemTokenizer("porter"), token_pattern=None, ngram_range=(1, 2), min_df=2)), ("clf", LogisticRegression(C=4.0, max_iter=3000))]), "binary"),
    ] + _nonlinear_kinds()


def _tutorial_features() -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("keyword", CountVectorizer(), "keyword"),
            ("location", CountVectorizer(min_df=2), "location"),
            ("text", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), "text"),
        ]
    )


def _nonlinear_kinds() -> list[Kind]:
    """One kind per non-linear family, sized to fit in a few minutes together on two cores."""
    kinds = [
        Kind("tree-decision-tree", lambda: Pipeline([("vec", TfidfVectorizer(min_df=2)), ("clf", DecisionTreeClassifier(max_depth=20, random_state=0))]), "sentiment"),
        Kind("tree-random-forest", lambda: Pipeline([("vec", TfidfVectorizer(ngram_range=(1, 2), min_df=2)), ("clf", RandomForestClassifier(n_estimators=60, max_depth=25, random_state=0, n_jobs=2))]), "binary"),
        Kind("tree-extra-trees-columns", lambda: Pipeline([("features", _tutorial_features()), ("clf", ExtraTreesClassifier(n_estimators=40, max_depth=25, random_state=0, n_jobs=2))]), "binary", columns=True),
        Kind("tree-gradient-boosting", lambda: Pipeline([("vec", TfidfVectorizer(min_df=2, max_features=3000)), ("clf", GradientBoostingClassifier(n_estimators=40, learning_rate=0.2, random_state=0))]), "sentiment"),
        Kind("tree-hist-gradient-boosting", lambda: Pipeline([("vec", TfidfVectorizer(min_df=3, max_features=800)), ("dense", Densify()), ("clf", HistGradientBoostingClassifier(max_iter=30, random_state=0))]), "binary"),
        Kind("mlp-relu", lambda: Pipeline([("vec", TfidfVectorizer(min_df=2, max_features=8000)), ("clf", MLPClassifier(hidden_layer_sizes=(32,), max_iter=40, random_state=0))]), "sentiment"),
        Kind("mlp-tanh-binary", lambda: Pipeline([("vec", TfidfVectorizer(min_df=2, max_features=8000)), ("clf", MLPClassifier(hidden_layer_sizes=(16,), activation="tanh", max_iter=40, random_state=0))]), "binary"),
        Kind("calibrated-sigmoid-linearsvc", lambda: Pipeline([("vec", TfidfVectorizer(ngram_range=(1, 2), min_df=2)), ("clf", CalibratedClassifierCV(LinearSVC(random_state=0), method="sigmoid", cv=3))]), "binary"),
        Kind("calibrated-isotonic-gb", lambda: Pipeline([("vec", TfidfVectorizer(min_df=2, max_features=2000)), ("clf", CalibratedClassifierCV(GradientBoostingClassifier(n_estimators=20, random_state=0), method="isotonic", cv=3))]), "sentiment"),
        Kind(
            "voting-soft-lr-mlp",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(min_df=2, max_features=5000)),
                    (
                        "clf",
                        VotingClassifier(
                            [
                                ("lr", LogisticRegression(max_iter=3000)),
                                ("mlp", MLPClassifier(hidden_layer_sizes=(16,), activation="logistic", max_iter=40, random_state=0)),
                            ],
                            voting="soft",
                        ),
                    ),
                ]
            ),
            "sentiment",
        ),
    ]
    try:
        from xgboost import XGBClassifier
    except ImportError:
        print("check_parity_live: xgboost is not installed; XGBoost kinds skipped")
        return kinds
    return kinds + [
        Kind("xgboost-tutorial", lambda: Pipeline([("features", _tutorial_features()), ("clf", XGBClassifier(n_estimators=80, max_depth=6, n_jobs=2, random_state=0))]), "binary", columns=True),
        Kind("xgboost-multiclass", lambda: Pipeline([("vec", TfidfVectorizer(min_df=2)), ("clf", XGBClassifier(n_estimators=60, max_depth=5, n_jobs=2, random_state=0))]), "sentiment", encoded_labels=True),
    ]


def _field_rows(rows: list[dict[str, str]], kind: Kind) -> list[dict[str, str]]:
    if kind.columns:
        return [{"text": r["text"], "keyword": r["keyword"], "location": r["location"]} for r in rows]
    field = "airline_text" if kind.task == "sentiment" else "text"
    return [{"text": r[field]} for r in rows]


def _fit_input(rows: list[dict[str, str]], kind: Kind) -> Any:
    if kind.columns:
        return pd.DataFrame(rows, columns=["text", "keyword", "location"])
    return [r["text"] for r in rows]


def _targets(data: Dataset, kind: Kind, count: int) -> Any:
    if kind.task == "binary":
        return data.binary[:count]
    if kind.task == "sentiment" and kind.encoded_labels:
        names = sorted(set(data.sentiment))
        return [names.index(v) for v in data.sentiment[:count]]
    if kind.task == "sentiment":
        return data.sentiment[:count]
    return data.multilabel[:count]


def _comparison_rows(data: Dataset, kind: Kind, texts: int) -> list[dict[str, str]]:
    rows = _field_rows(data.held_out[:texts], kind)
    for i, hard in enumerate(HARD_STRINGS):
        if kind.columns:
            rows.append(
                {"text": hard, "keyword": HARD_FIELD_VALUES[i % len(HARD_FIELD_VALUES)], "location": HARD_STRINGS[-1 - i]}
            )
        else:
            rows.append({"text": hard})
    return rows


# -- the TypeScript side ------------------------------------------------------------------------

def run_parity_cli(node: str, cli: str, bundle: str, rows: list[dict[str, str]], path: str) -> list[dict]:
    payload = "".join(json.dumps({"inputs": row}) + "\n" for row in rows)
    completed = subprocess.run(
        [node, cli, "--bundle", bundle, "--path", path],
        input=payload.encode("ascii"),
        capture_output=True,
        timeout=600,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"parity CLI exited with {completed.returncode}: {completed.stderr.decode('utf-8', 'replace')[-3000:]}"
        )
    # Split on "\n" only: splitlines() also splits on U+2028, U+0085... inside the JSON strings.
    lines = completed.stdout.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(rows):
        raise RuntimeError(f"parity CLI answered {len(lines)} lines for {len(rows)} inputs")
    return [json.loads(line) for line in lines]


@dataclass
class Outcome:
    kind: str
    texts: int
    feature_delta: float = 0.0
    value_delta_linear: float = 0.0
    value_delta_onnx: float = 0.0
    label_mismatches: int = 0
    analyzed_mismatches: int = 0
    error: str = ""
    first_problem: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and self.label_mismatches == 0
            and self.analyzed_mismatches == 0
            and self.feature_delta <= FEATURE_TOLERANCE
            and self.first_problem == ""
        )


def _near_tie(values: list[float]) -> bool:
    top = sorted(values)
    return len(top) > 1 and top[-1] != top[-2] and top[-1] - top[-2] <= NEAR_TIE


def compare(
    expected: list[dict],
    actual: list[dict],
    scores: bool,
    multilabel: bool,
    outcome: Outcome,
    path: str,
    onnx_kind: bool = False,
) -> None:
    """Fold the differences between sklearn (expected) and one TypeScript path into outcome."""
    value_delta = 0.0
    tolerance = ONNX_KIND_TOLERANCE if onnx_kind else VALUE_TOLERANCE
    for exp, got in zip(expected, actual):
        where = f"{path}: " + json.dumps(exp["inputs"], ensure_ascii=False)[:160]
        if (path == "linear" or onnx_kind) and got.get("analyzed") != exp["analyzed"]:  # same vectorizer on both paths
            outcome.analyzed_mismatches += 1
            if not outcome.first_problem:
                outcome.first_problem = f"analyzed differs for {where}"
        want = {int(c): float(v.value if hasattr(v, "value") else v) for c, v in exp["features"]}
        have = {int(c): float(v) for c, v in got.get("features", [])}
        for column in set(want) | set(have):
            delta = abs(want.get(column, 0.0) - have.get(column, 0.0))
            outcome.feature_delta = max(outcome.feature_delta, delta)
        if outcome.feature_delta > FEATURE_TOLERANCE and not outcome.first_problem:
            outcome.first_problem = f"features differ for {where}"
        values = got.get("values", [])
        if len(values) != len(exp["values"]):
            outcome.first_problem = outcome.first_problem or f"{len(values)} values instead of {len(exp['values'])}"
            continue
        for want_value, have_value in zip(exp["values"], values):
            delta = abs(want_value - have_value)
            allowed = tolerance * (max(1.0, abs(want_value)) if scores else 1.0)
            value_delta = max(value_delta, delta / (allowed / tolerance))
            if delta > allowed and not outcome.first_problem:
                outcome.first_problem = f"value {have_value} instead of {want_value} for {where}"
        # Multi-label models are judged by their positive labels (sklearn's predict); their
        # class_index is only a convenience.
        same_class = multilabel or got.get("class_index") == exp["class_index"]
        if onnx_kind and not same_class and _near_tie(exp["values"]):
            top = max(exp["values"])
            index = got.get("class_index")
            same_class = isinstance(index, int) and top - exp["values"][index] <= NEAR_TIE
            if same_class:
                continue
        if not same_class or list(got.get("positives", [])) != exp["positives"]:
            outcome.label_mismatches += 1
            if not outcome.first_problem:
                outcome.first_problem = (
                    f"class {got.get('class_index')}/{got.get('positives')} instead of "
                    f"{exp['class_index']}/{exp['positives']} for {where}"
                )
    if path == "onnx":
        outcome.value_delta_onnx = max(outcome.value_delta_onnx, value_delta)
    else:
        outcome.value_delta_linear = max(outcome.value_delta_linear, value_delta)


def check_kind(kind: Kind, data: Dataset, texts: int, node: str, cli: str, keep: str | None) -> Outcome:
    started = time.monotonic()
    train_rows = _field_rows(data.train, kind)
    X = _fit_input(train_rows, kind)
    pipeline = kind.build()
    rows = _comparison_rows(data, kind, texts)
    outcome = Outcome(kind.name, len(rows))
    try:
        # Stem every token of the training and comparison texts in one CLI call each.
        prime(pipeline, X)
        prime(pipeline, _fit_input(rows, kind))
        # An array: CalibratedClassifierCV counts each class with y == class.
        pipeline.fit(X, np.asarray(_targets(data, kind, len(train_rows))))
        folder = os.path.join(keep, kind.name) if keep else tempfile.mkdtemp(prefix=f"sift-parity-{kind.name}-")
        exported = export_bundle(pipeline, folder, name=kind.name, golden_inputs=rows[:5])
        expected = reference_outputs(pipeline, rows, float32_features=False)
        onnx_kind = exported["post_transform"] == "onnx"
        for path in ("onnx",) if onnx_kind else ("linear", "onnx"):
            actual = run_parity_cli(node, cli, folder, rows, path)
            compare(expected, actual, exported["output"] == "scores", exported["task"] == "multilabel", outcome, path, onnx_kind)
        if not keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    except Exception as error:  # reported in the table; the run continues with the next kind
        outcome.error = f"{type(error).__name__}: {error}"[:600]
    outcome.seconds = time.monotonic() - started
    return outcome


# -- refusals ---------------------------------------------------------------------------------

def _fitted(steps: list, X: Any = None, y: Any = None) -> Pipeline:
    texts = [r.text for r in synthetic_rows(80, 5)]
    labels = [i % 2 for i in range(len(texts))]
    return Pipeline(steps).fit(X if X is not None else texts, y if y is not None else labels)


def _frame() -> tuple[pd.DataFrame, list[int]]:
    rows = synthetic_rows(80, 5)
    frame = pd.DataFrame({"text": [r.text for r in rows], "keyword": [r.keyword for r in rows]})
    return frame, [i % 2 for i in range(len(rows))]


def _refusals() -> list[tuple[str, Callable[[], Any], str]]:
    frame, y = _frame()
    texts = [r.text for r in synthetic_rows(80, 5)]
    sentiment = [("a", "b", "c")[i % 3] for i in range(len(texts))]
    return [
        ("HashingVectorizer", lambda: _fitted([("vec", HashingVectorizer()), ("clf", LogisticRegression())]), "HashingVectorizer is not supported"),
        ("callable analyzer", lambda: _fitted([("vec", TfidfVectorizer(analyzer=str.split)), ("clf", LogisticRegression())]), "callable analyzer"),
        ("custom tokenizer", lambda: _fitted([("vec", TfidfVectorizer(tokenizer=str.split, token_pattern=None)), ("clf", LogisticRegression())]), "custom tokenizer"),
        ("preprocessor", lambda: _fitted([("vec", TfidfVectorizer(preprocessor=str.upper)), ("clf", LogisticRegression())]), "custom preprocessor"),
        ("token pattern $", lambda: _fitted([("vec", TfidfVectorizer(token_pattern=r"\w+$|\w\w+")), ("clf", LogisticRegression())]), "'$' is not supported"),
        ("token pattern (?i)", lambda: _fitted([("vec", TfidfVectorizer(token_pattern=r"(?i)\b\w\w+\b")), ("clf", LogisticRegression())]), "inline flags"),
        ("token pattern look-behind", lambda: _fitted([("vec", TfidfVectorizer(token_pattern=r"(?<=#)\w+")), ("clf", LogisticRegression())]), "look-behind"),
        ("token pattern named group", lambda: _fitted([("vec", TfidfVectorizer(token_pattern=r"(?P<w>\w\w+)")), ("clf", LogisticRegression())]), "named groups"),
        ("token pattern \\A", lambda: _fitted([("vec", TfidfVectorizer(token_pattern=r"\A\w+|\w\w+")), ("clf", LogisticRegression())]), "\\A is not supported"),
        ("decode_error ignore", lambda: _fitted([("vec", TfidfVectorizer(decode_error="ignore")), ("clf", LogisticRegression())]), "decode_error='ignore'"),
        ("input filename", lambda: _refit_input_filename(), "input='filename'"),
        ("remainder passthrough", lambda: _fitted([("f", ColumnTransformer([("t", TfidfVectorizer(), "text")], remainder="passthrough")), ("clf", LogisticRegression())], frame[["text"]].assign(n=1.0), y), "remainder="),
        ("column by position", lambda: _fitted([("f", ColumnTransformer([("t", TfidfVectorizer(), 0)])), ("clf", LogisticRegression())], frame, y), "select exactly one DataFrame column"),
        ("non-text transformer", lambda: _fitted([("f", ColumnTransformer([("t", TfidfVectorizer(), "text"), ("k", FunctionTransformer(), ["keyword"])])), ("clf", LogisticRegression())], frame.assign(keyword=0.0), y), "unsupported transformer FunctionTransformer"),
        ("double tf-idf", lambda: _fitted([("vec", TfidfVectorizer()), ("tfidf", TfidfTransformer()), ("clf", LogisticRegression())]), "TF-IDF twice"),
        ("SVC probability", lambda: _fitted([("vec", TfidfVectorizer()), ("clf", SVC(probability=True, random_state=0))]), "SVC(probability=True) is not supported"),
        ("HistGB without Densify", lambda: _hist_without_densify(), "needs dense input: put sift_sklearn.Densify()"),
        ("hard voting", lambda: _fitted([("vec", TfidfVectorizer()), ("clf", VotingClassifier([("lr", LogisticRegression()), ("rf", RandomForestClassifier(n_estimators=3, random_state=0))], voting="hard"))]), "voting='hard') has no probabilities"),
        ("BernoulliNB", lambda: _fitted([("vec", TfidfVectorizer()), ("clf", BernoulliNB())]), "unsupported classifier BernoulliNB"),
        ("OvR NB multi-class", lambda: _fitted([("vec", TfidfVectorizer()), ("clf", OneVsRestClassifier(MultinomialNB()))], texts, sentiment), "not supported (sklearn breaks its ties"),
        ("not a pipeline", lambda: TfidfVectorizer().fit(texts), "expected a fitted sklearn Pipeline"),
    ]


def _hist_without_densify() -> Pipeline:
    texts = [r.text for r in synthetic_rows(80, 5)]
    vec = TfidfVectorizer().fit(texts)
    clf = HistGradientBoostingClassifier(max_iter=3).fit(vec.transform(texts).toarray(), [i % 2 for i in range(len(texts))])
    return Pipeline([("vec", vec), ("clf", clf)])


def _refit_input_filename() -> Pipeline:
    directory = tempfile.mkdtemp(prefix="sift-refusal-")
    paths = []
    for i, row in enumerate(synthetic_rows(20, 6)):
        path = os.path.join(directory, f"{i}.txt")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(row.text)
        paths.append(path)
    return Pipeline([("vec", TfidfVectorizer(input="filename")), ("clf", LogisticRegression())]).fit(
        paths, [i % 2 for i in range(len(paths))]
    )


def check_refusals() -> list[tuple[str, bool, str]]:
    results = []
    for name, build, expected in _refusals():
        try:
            pipeline = build()
        except Exception as error:  # the pipeline itself could not be fitted: a broken check
            results.append((name, False, f"could not fit: {error}"))
            continue
        try:
            with tempfile.TemporaryDirectory() as folder:
                export_bundle(pipeline, folder, name="refused")
            results.append((name, False, "was exported instead of refused"))
        except UnsupportedModelError as error:
            results.append((name, expected in str(error), str(error)[:200]))
    return results


# -- main -------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="sklearn ↔ TypeScript parity on freshly fitted pipelines")
    parser.add_argument("--data-dir", default=os.path.join(REPO, "..", "shared", "data"))
    parser.add_argument("--texts", type=int, default=300, help="held-out texts per kind (plus the hard strings)")
    parser.add_argument("--train-rows", type=int, default=5000)
    parser.add_argument("--kinds", nargs="*", help="only these kinds")
    parser.add_argument("--keep", help="write the bundles here instead of a temporary folder")
    parser.add_argument("--node", default=os.environ.get("SIFT_NODE", "node"))
    parser.add_argument(
        "--require-data", action="store_true", help="fail instead of using the synthetic corpus when --data-dir has no data"
    )
    args = parser.parse_args(argv)

    cli = os.path.join(REPO, "dist", "cli", "parity.js")
    if not os.path.isfile(cli):
        print(f"check_parity_live: {cli} not found; run `npm run build` first", file=sys.stderr)
        return 2
    data_dir = os.path.abspath(args.data_dir)
    needed = [os.path.join(data_dir, task, "train.csv") for task in ("disaster-tweets", "airline-sentiment")]
    if args.require_data and not all(os.path.exists(path) for path in needed):
        print(
            f"check_parity_live: FAIL: --require-data and no training data under {data_dir} "
            f"(needs {' and '.join(needed)}); README.md, \"Training data\", says where to get it.",
            file=sys.stderr,
        )
        return 1
    data = load_dataset(data_dir, args.train_rows, args.texts)
    print(f"data: {data.source}; train {len(data.train)} rows, {len(data.held_out)} held out; sklearn {sklearn.__version__}")
    kinds = [k for k in _kinds() if not args.kinds or k.name in args.kinds]
    outcomes = []
    for kind in kinds:
        outcome = check_kind(kind, data, args.texts, args.node, cli, args.keep)
        outcomes.append(outcome)
        status = "ok" if outcome.ok else "FAIL"
        print(f"  {kind.name}: {status} ({outcome.seconds:.1f} s)", flush=True)

    # max|Δvalue|: absolute for probabilities; |Δ| / max(1, |score|) for score models.
    header = (
        f"{'kind':34} {'texts':>5} {'max|Δfeature|':>13} {'|Δvalue| lin':>12} {'|Δvalue| onnx':>13} "
        f"{'label≠':>6} {'analyzed≠':>9}  status"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for o in outcomes:
        status = "ok" if o.ok else "FAIL"
        print(
            f"{o.kind:34} {o.texts:5d} {o.feature_delta:13.2e} {o.value_delta_linear:12.2e} "
            f"{o.value_delta_onnx:13.2e} {o.label_mismatches:6d} {o.analyzed_mismatches:9d}  {status}"
        )
        if o.error:
            print(f"    error: {o.error}")
        elif o.first_problem:
            print(f"    first problem: {o.first_problem}")

    refusals = [] if args.kinds else check_refusals()
    if refusals:
        print("\nrefused pipelines")
        for name, ok, message in refusals:
            print(f"  {'ok  ' if ok else 'FAIL'} {name:28} {message}")
    failed = [o for o in outcomes if not o.ok] + [r for r in refusals if not r[1]]
    print(f"\n{len(outcomes)} kinds, {len(refusals)} refusals: {'all passed' if not failed else f'{len(failed)} FAILED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
