#!/usr/bin/python3
"""Generate the scikit-learn parity fixtures and the small app bundles used by the TypeScript tests.

    /usr/bin/python3 scripts/gen_parity_fixtures.py [--out-dir test/fixtures] [--only NAME ...]
        [--created-at 2024-01-01T00:00:00Z] [--require-stemmer]

Writes
  test/fixtures/parity/index.json            the list of cases (name, description, task, ...)
  test/fixtures/parity/<case>/               a complete bundle (card, vectorizer, unicode,
                                             classifier, model.onnx) plus expected.json:
      {"name", "description", "sklearn_version", "cases": [{"inputs": {field: text},
        "analyzed": [[terms of block 0 in sklearn's build_analyzer order], ...],
        "features": [[column, float32 value], ...]   (nonzeros, sorted by column),
        "values": [...], "label": <sklearn predict>, "class_index": k, "positives": [...]}]}
  test/fixtures/bundles/{tweets-mini,sentiment-mini,toxic-mini}/   small app bundles

Every pipeline is fitted on a synthetic corpus (sift_sklearn.corpus, fixed seeds) plus every hard
string (sift_sklearn.hard_strings); every hard string is also an expected case. Deterministic:
re-running writes identical files (created_at is fixed). Stemming cases need the TypeScript stem
CLI (dist/cli/stem.js, `npm run build`); without it they are skipped with a message (existing
stemming fixtures are left as they are) unless --require-stemmer is given.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.naive_bayes import ComplementNB, MultinomialNB  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from sift_sklearn import SiftStemTokenizer, StemmerUnavailableError, export_bundle, inspect_pipeline, prime  # noqa: E402
from sift_sklearn.corpus import SyntheticRow, synthetic_rows  # noqa: E402
from sift_sklearn.densify import Densify  # noqa: E402
from sift_sklearn.expected import reference_outputs  # noqa: E402
from sift_sklearn.hard_strings import HARD_FIELD_VALUES, HARD_STRINGS  # noqa: E402
from sift_sklearn.jsonfmt import write_json  # noqa: E402
from sift_sklearn.metrics import card_metrics  # noqa: E402
from sift_sklearn.stem import stem_tokens  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXED_CREATED_AT = "2024-01-01T00:00:00Z"
TRAIN_SEED, EVAL_SEED, APP_TRAIN_SEED, APP_TEST_SEED = 7, 99, 11, 12
TRAIN_ROWS = 420
# Fresh synthetic texts per case on top of the hard strings; char analyzers emit many more terms
# per text, so their cases use fewer to keep the fixtures small.
EVAL_ROWS_WORD, EVAL_ROWS_CHAR = 22, 18
SENTIMENTS = ("negative", "neutral", "positive")
LABELS = ("toxic", "obscene", "insult")
SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])


def _log_loss() -> str:
    return "log_loss" if SKLEARN_VERSION >= (1, 1) else "log"


def _ovr_logistic_regression() -> Any:
    # multi_class='ovr' is deprecated from sklearn 1.5; the wrapper is the same model there.
    if SKLEARN_VERSION < (1, 5):
        return LogisticRegression(multi_class="ovr", max_iter=2000)
    return OneVsRestClassifier(LogisticRegression(max_iter=2000))


@dataclass
class Case:
    name: str
    description: str
    build: Callable[[], Pipeline]
    target: str  # disaster | disaster_str | sentiment | multilabel
    columns: bool = False  # fitted on a DataFrame text/keyword/location
    stemming: bool = False
    class_names: dict = field(default_factory=dict)
    # (texts, labels) to fit on instead of the synthetic corpus; their texts join the expected cases.
    training: Callable[[], tuple[list, list]] | None = None


def _cases() -> list[Case]:
    return [
        Case(
            "word-default-lr-binary",
            "TfidfVectorizer defaults, binary LogisticRegression, int labels",
            lambda: Pipeline([("vec", TfidfVectorizer()), ("clf", LogisticRegression(max_iter=2000))]),
            "disaster",
            class_names={0: "Not a disaster", 1: "Real disaster"},
        ),
        Case(
            "word-bigram-english-sublinear-multinomial",
            "word 1-2 grams, stop_words='english', sublinear_tf, max_features; multinomial LR, string labels",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(ngram_range=(1, 2), stop_words="english", sublinear_tf=True, max_features=800)),
                    ("clf", LogisticRegression(max_iter=2000)),
                ]
            ),
            "sentiment",
        ),
        Case(
            "word-trigram-nolower-customstop-svc",
            "lowercase=False, word 1-3 grams, custom stop words (cased, non-ASCII), smooth_idf=False; LinearSVC binary",
            lambda: Pipeline(
                [
                    (
                        "vec",
                        TfidfVectorizer(
                            lowercase=False,
                            ngram_range=(1, 3),
                            stop_words=["the", "The", "THE", "a", "is", "and", "to", "of", "İstanbul", "Σ", "ΑΣ"],
                            smooth_idf=False,
                            max_features=800,
                        ),
                    ),
                    ("clf", LinearSVC(random_state=0, max_iter=5000)),
                ]
            ),
            "disaster_str",
        ),
        Case(
            "word-ascii-single-char-l1-ridge",
            "strip_accents='ascii', token_pattern keeping 1-letter words, norm='l1'; RidgeClassifier multiclass",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(strip_accents="ascii", token_pattern=r"(?u)\b\w+\b", norm="l1")),
                    ("clf", RidgeClassifier()),
                ]
            ),
            "sentiment",
        ),
        Case(
            "word-unicode-group-binary-sgdlog-ovr",
            "strip_accents='unicode', token pattern with one capturing group, binary=True, norm=None; "
            "SGDClassifier(log_loss) multiclass (one-vs-rest probabilities)",
            lambda: Pipeline(
                [
                    (
                        "vec",
                        TfidfVectorizer(strip_accents="unicode", token_pattern=r"[#@]?(\w\w+)", binary=True, norm=None),
                    ),
                    ("clf", SGDClassifier(loss=_log_loss(), random_state=0, max_iter=50, tol=None)),
                ]
            ),
            "sentiment",
        ),
        Case(
            "count-group-empty-token-mnb",
            "CountVectorizer whose single group is empty for '!?#' matches (empty-string tokens); MultinomialNB",
            lambda: Pipeline(
                [
                    ("vec", CountVectorizer(token_pattern=r"(?u)\b(\w\w+)\b|[!?#]")),
                    ("clf", MultinomialNB()),
                ]
            ),
            "sentiment",
        ),
        Case(
            "charwb-2-4-lr-strings",
            "char_wb 2-4 grams, max_features; binary LR with string labels",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), max_features=1000)),
                    ("clf", LogisticRegression(max_iter=2000)),
                ]
            ),
            "disaster_str",
        ),
        Case(
            "char-1-3-nolower-noidf-sgd-huber",
            "char 1-3 grams, lowercase=False, use_idf=False; SGDClassifier(modified_huber) binary",
            lambda: Pipeline(
                [
                    (
                        "vec",
                        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False, use_idf=False, max_features=1000),
                    ),
                    ("clf", SGDClassifier(loss="modified_huber", random_state=0, max_iter=50, tol=None)),
                ]
            ),
            "disaster",
        ),
        Case(
            "char-unigram-unicode-count-tfidf-mnb",
            "CountVectorizer(char 1-grams, strip_accents='unicode') + TfidfTransformer(sublinear_tf); MultinomialNB",
            lambda: Pipeline(
                [
                    ("count", CountVectorizer(analyzer="char", strip_accents="unicode")),
                    ("tfidf", TfidfTransformer(sublinear_tf=True)),
                    ("clf", MultinomialNB()),
                ]
            ),
            "sentiment",
        ),
        Case(
            "count-binary-bigram-mindf-cnb",
            "CountVectorizer(binary, word 1-2 grams, min_df=2, max_df=0.5, max_features); ComplementNB multiclass",
            lambda: Pipeline(
                [
                    (
                        "vec",
                        CountVectorizer(binary=True, ngram_range=(1, 2), min_df=2, max_df=0.5, max_features=800),
                    ),
                    ("clf", ComplementNB()),
                ]
            ),
            "sentiment",
        ),
        Case(
            "count-english-tfidftransformer-noidf-lr-ovr",
            "CountVectorizer(stop_words='english') + TfidfTransformer(use_idf=False, norm='l1'); one-vs-rest LR",
            lambda: Pipeline(
                [
                    ("count", CountVectorizer(stop_words="english")),
                    ("tfidf", TfidfTransformer(use_idf=False, norm="l1")),
                    ("clf", _ovr_logistic_regression()),
                ]
            ),
            "sentiment",
        ),
        Case(
            "columns-weighted-lr",
            "ColumnTransformer: word 1-2 + char_wb 3 on text, Count+TfidfTransformer on keyword, "
            "single-letter words on location, transformer_weights; binary LR",
            lambda: Pipeline(
                [
                    (
                        "features",
                        ColumnTransformer(
                            [
                                ("words", TfidfVectorizer(ngram_range=(1, 2), max_features=1000), "text"),
                                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), max_features=800), "text"),
                                ("keyword", Pipeline([("count", CountVectorizer()), ("tfidf", TfidfTransformer())]), "keyword"),
                                ("location", TfidfVectorizer(token_pattern=r"(?u)\b\w+\b"), "location"),
                            ],
                            transformer_weights={"words": 1.0, "chars": 0.5, "keyword": 2.0, "location": 0.25},
                        ),
                    ),
                    ("clf", LogisticRegression(max_iter=2000)),
                ]
            ),
            "disaster",
            columns=True,
            class_names={0: "Not a disaster", 1: "Real disaster"},
        ),
        Case(
            "union-word-char-sgd-hinge",
            "FeatureUnion of word and char 3-gram TF-IDF (weighted) on text; SGDClassifier(hinge) binary scores",
            lambda: Pipeline(
                [
                    (
                        "features",
                        FeatureUnion(
                            [
                                ("words", TfidfVectorizer()),
                                ("chars", TfidfVectorizer(analyzer="char", ngram_range=(3, 3), max_features=800)),
                            ],
                            transformer_weights={"chars": 0.7},
                        ),
                    ),
                    ("clf", SGDClassifier(loss="hinge", alpha=1e-3, random_state=0, max_iter=50, tol=None)),
                ]
            ),
            "disaster",
        ),
        Case(
            "ridge-binary-nonorm-sublinear",
            "TfidfVectorizer(norm=None, sublinear_tf=True); RidgeClassifier binary scores",
            lambda: Pipeline(
                [("vec", TfidfVectorizer(norm=None, sublinear_tf=True)), ("clf", RidgeClassifier(alpha=3.0))]
            ),
            "disaster",
        ),
        Case(
            "float32-sgd-hinge-multiclass",
            "TfidfVectorizer(dtype=float32, max_df=0.9); SGDClassifier(hinge) multiclass scores",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(dtype=np.float32, max_df=0.9)),
                    ("clf", SGDClassifier(loss="hinge", alpha=1e-3, random_state=0, max_iter=50, tol=None)),
                ]
            ),
            "sentiment",
        ),
        Case(
            "sgd-huber-multiclass",
            "word 1-2 grams; SGDClassifier(modified_huber) multiclass (normalised, uniform when all zero)",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(ngram_range=(1, 2), max_features=1000)),
                    ("clf", SGDClassifier(loss="modified_huber", random_state=0, max_iter=50, tol=None)),
                ]
            ),
            "sentiment",
        ),
        Case(
            "cnb-binary",
            "TfidfVectorizer(min_df=2); ComplementNB binary",
            lambda: Pipeline([("vec", TfidfVectorizer(min_df=2)), ("clf", ComplementNB())]),
            "disaster",
        ),
        Case(
            "ovr-multiclass-lr",
            "TfidfVectorizer(ngram 1-2, max_features); OneVsRestClassifier(LogisticRegression) multiclass",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(ngram_range=(1, 2), max_features=1000)),
                    ("clf", OneVsRestClassifier(LogisticRegression(max_iter=2000))),
                ]
            ),
            "sentiment",
        ),
        Case(
            "ovr-multilabel-lr",
            "TfidfVectorizer; OneVsRestClassifier(LogisticRegression) on a 3-label indicator matrix",
            lambda: Pipeline(
                [("vec", TfidfVectorizer()), ("clf", OneVsRestClassifier(LogisticRegression(max_iter=2000)))]
            ),
            "multilabel",
            class_names={0: "Toxic", 1: "Obscene", 2: "Insult"},
        ),
        Case(
            "ovr-multilabel-mnb",
            "CountVectorizer(word 1-2 grams, max_features); OneVsRestClassifier(MultinomialNB) multi-label",
            lambda: Pipeline(
                [
                    ("vec", CountVectorizer(ngram_range=(1, 2), max_features=1000)),
                    ("clf", OneVsRestClassifier(MultinomialNB())),
                ]
            ),
            "multilabel",
        ),
        Case(
            "ovr-multilabel-svc",
            "char_wb 3-grams; OneVsRestClassifier(LinearSVC) multi-label scores",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), max_features=1000)),
                    ("clf", OneVsRestClassifier(LinearSVC(random_state=0, max_iter=5000))),
                ]
            ),
            "multilabel",
        ),
        Case(
            "ovr-multilabel-sgd-huber",
            "TfidfVectorizer; OneVsRestClassifier(SGDClassifier(modified_huber)) multi-label probabilities",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer()),
                    ("clf", OneVsRestClassifier(SGDClassifier(loss="modified_huber", random_state=0, max_iter=50, tol=None))),
                ]
            ),
            "multilabel",
        ),
        Case(
            "word-porter-lr",
            "TfidfVectorizer(tokenizer=SiftStemTokenizer('porter'), word 1-2 grams); binary LR",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(tokenizer=SiftStemTokenizer("porter"), token_pattern=None, ngram_range=(1, 2), max_features=800)),
                    ("clf", LogisticRegression(max_iter=2000)),
                ]
            ),
            "disaster",
            stemming=True,
        ),
        Case(
            "word-lancaster-pattern-stop-mnb",
            "SiftStemTokenizer('lancaster', custom pattern with a group), stop words on stems, "
            "strip_accents='unicode'; MultinomialNB",
            lambda: Pipeline(
                [
                    (
                        "vec",
                        TfidfVectorizer(
                            tokenizer=SiftStemTokenizer("lancaster", r"(?u)[#@]?(\w[\w']+)"),
                            strip_accents="unicode",
                            stop_words=["the", "a", "is", "fir", "to"],
                            token_pattern=None,
                        ),
                    ),
                    ("clf", MultinomialNB()),
                ]
            ),
            "sentiment",
            stemming=True,
        ),
    ] + _nonlinear_cases()


def _tutorial_features(max_text: int = 600) -> ColumnTransformer:
    # The disaster-tweet tutorial's features: keyword and location counts + text TF-IDF.
    return ColumnTransformer(
        [
            ("keyword", CountVectorizer(), "keyword"),
            ("location", CountVectorizer(), "location"),
            ("text", TfidfVectorizer(ngram_range=(1, 2), max_features=max_text), "text"),
        ]
    )


def _xgb(**options: Any) -> Any:
    from xgboost import XGBClassifier

    return XGBClassifier(n_estimators=25, max_depth=4, learning_rate=0.3, random_state=0, n_jobs=1, **options)


def _nonlinear_cases() -> list[Case]:
    """Every non-linear family (classifier.json kind onnx); small models keep the fixtures small."""
    try:
        import xgboost  # noqa: F401
    except ImportError:
        xgboost_cases: list[Case] = []
        print("xgboost is not installed: XGBoost fixture cases skipped")
    else:
        xgboost_cases = [
            Case(
                "tree-xgboost-tutorial-binary",
                "the tutorial: CountVectorizer keyword + location, TF-IDF text 1-2 → XGBClassifier (absent entries are missing)",
                lambda: Pipeline([("features", _tutorial_features()), ("clf", _xgb())]),
                "disaster",
                columns=True,
                class_names={0: "Not a disaster", 1: "Real disaster"},
            ),
            Case(
                "tree-xgboost-multiclass",
                "TF-IDF word 1-2 → XGBClassifier multi:softprob, 3 classes",
                lambda: Pipeline([("vec", TfidfVectorizer(ngram_range=(1, 2), max_features=800)), ("clf", _xgb())]),
                "sentiment_int",
            ),
            Case(
                "tree-xgboost-dense",
                "TF-IDF → Densify → XGBClassifier: zeros are values, not missing",
                lambda: Pipeline([("vec", TfidfVectorizer(max_features=300)), ("dense", Densify()), ("clf", _xgb())]),
                "disaster",
            ),
        ]
    return xgboost_cases + [
        Case(
            "tree-ties",
            "the tie rule: identical texts with both labels end in a [0.5, 0.5] leaf; sklearn and Sift pick the first class",
            lambda: Pipeline([("vec", TfidfVectorizer()), ("clf", DecisionTreeClassifier(random_state=0))]),
            "disaster",
            training=lambda: (
                ["fire downtown", "fire downtown now", "calm day", "calm day today", "both sides", "both sides"] * 2,
                [1, 1, 0, 0, 0, 1] * 2,
            ),
        ),
        Case(
            "tree-decision-tree-multiclass",
            "TF-IDF → DecisionTreeClassifier (max_depth 8), string labels",
            lambda: Pipeline([("vec", TfidfVectorizer()), ("clf", DecisionTreeClassifier(max_depth=8, random_state=0))]),
            "sentiment",
        ),
        Case(
            "tree-random-forest-binary",
            "TF-IDF word 1-2 → RandomForestClassifier (15 trees, depth 10)",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(ngram_range=(1, 2), max_features=1500)),
                    ("clf", RandomForestClassifier(n_estimators=15, max_depth=10, random_state=0)),
                ]
            ),
            "disaster",
        ),
        Case(
            "tree-extra-trees-columns",
            "ColumnTransformer (tutorial features) → ExtraTreesClassifier (15 trees, depth 10), string labels",
            lambda: Pipeline(
                [("features", _tutorial_features()), ("clf", ExtraTreesClassifier(n_estimators=15, max_depth=10, random_state=0))]
            ),
            "disaster_str",
            columns=True,
        ),
        Case(
            "tree-gradient-boosting-binary",
            "char_wb 2-4 → GradientBoostingClassifier (30 stages, learning_rate 0.2, prior init)",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), max_features=1500)),
                    ("clf", GradientBoostingClassifier(n_estimators=30, learning_rate=0.2, max_depth=3, random_state=0)),
                ]
            ),
            "disaster",
        ),
        Case(
            "tree-gradient-boosting-multiclass",
            "TF-IDF → GradientBoostingClassifier (20 stages × 3 classes, subsample 0.8, init='zero')",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(max_features=1000)),
                    (
                        "clf",
                        GradientBoostingClassifier(n_estimators=20, subsample=0.8, init="zero", max_depth=3, random_state=0),
                    ),
                ]
            ),
            "sentiment",
        ),
        Case(
            "tree-hist-gradient-boosting",
            "TF-IDF → Densify → HistGradientBoostingClassifier (3 classes)",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(max_features=400)),
                    ("dense", Densify()),
                    ("clf", HistGradientBoostingClassifier(max_iter=25, random_state=0)),
                ]
            ),
            "sentiment",
        ),
        Case(
            "mlp-relu-binary",
            "TF-IDF word 1-2 → MLPClassifier (relu, 32 hidden, logistic output)",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(ngram_range=(1, 2), max_features=2000)),
                    ("clf", MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0)),
                ]
            ),
            "disaster",
        ),
        Case(
            "mlp-tanh-two-layers-multiclass",
            "TF-IDF → MLPClassifier (tanh, 24 + 12 hidden, softmax output)",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(max_features=1500)),
                    ("clf", MLPClassifier(hidden_layer_sizes=(24, 12), activation="tanh", max_iter=300, random_state=0)),
                ]
            ),
            "sentiment",
        ),
        Case(
            "mlp-logistic-identity",
            "two MLPClassifier activations in one soft vote: logistic (16) and identity (8), multiclass",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(max_features=1500)),
                    (
                        "clf",
                        VotingClassifier(
                            [
                                ("logistic", MLPClassifier(hidden_layer_sizes=(16,), activation="logistic", max_iter=400, random_state=0)),
                                ("identity", MLPClassifier(hidden_layer_sizes=(8,), activation="identity", max_iter=400, random_state=0)),
                            ],
                            voting="soft",
                        ),
                    ),
                ]
            ),
            "sentiment",
        ),
        Case(
            "calibrated-sigmoid-linearsvc",
            "TF-IDF word 1-2 → CalibratedClassifierCV(LinearSVC, sigmoid, 3 folds), binary",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(ngram_range=(1, 2), max_features=1500)),
                    ("clf", CalibratedClassifierCV(LinearSVC(random_state=0), method="sigmoid", cv=3)),
                ]
            ),
            "disaster",
        ),
        Case(
            "calibrated-isotonic-forest-multiclass",
            "TF-IDF → CalibratedClassifierCV(RandomForest 10 trees, isotonic, 3 folds), 3 classes",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(max_features=1000)),
                    (
                        "clf",
                        CalibratedClassifierCV(
                            RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0), method="isotonic", cv=3
                        ),
                    ),
                ]
            ),
            "sentiment_array",
        ),
        Case(
            "voting-soft-lr-forest",
            "TF-IDF → soft VotingClassifier(LogisticRegression, RandomForest 10 trees, weights 2:1)",
            lambda: Pipeline(
                [
                    ("vec", TfidfVectorizer(max_features=1500)),
                    (
                        "clf",
                        VotingClassifier(
                            [
                                ("lr", LogisticRegression(max_iter=2000)),
                                ("rf", RandomForestClassifier(n_estimators=10, max_depth=8, random_state=0)),
                            ],
                            voting="soft",
                            weights=[2, 1],
                        ),
                    ),
                ]
            ),
            "disaster",
        ),
    ]


def _target(rows: list[SyntheticRow], target: str) -> Any:
    if target == "disaster":
        return [r.disaster for r in rows]
    if target == "disaster_str":
        return [("not_disaster", "disaster")[r.disaster] for r in rows]
    if target == "sentiment":
        return [r.sentiment for r in rows]
    if target == "sentiment_array":
        # CalibratedClassifierCV counts classes with y == class: a list of strings would not do.
        return np.array([r.sentiment for r in rows])
    if target == "sentiment_int":
        return [SENTIMENTS.index(r.sentiment) for r in rows]
    if target == "multilabel":
        return np.array([[r.toxic, r.obscene, r.insult] for r in rows], dtype=np.int64)
    raise ValueError(target)


def _frame(rows: list[SyntheticRow]) -> pd.DataFrame:
    return pd.DataFrame(
        {"text": [r.text for r in rows], "keyword": [r.keyword for r in rows], "location": [r.location for r in rows]}
    )


def _fit_input(rows: list[SyntheticRow], columns: bool) -> Any:
    return _frame(rows) if columns else [r.text for r in rows]


def _training_rows() -> list[SyntheticRow]:
    # Hard strings twice, so their terms survive min_df=2 and small max_features.
    rows = synthetic_rows(TRAIN_ROWS, TRAIN_SEED, include_hard=True)
    return rows + [r for r in rows[TRAIN_ROWS:]]


def _evaluation_inputs(columns: bool, count: int) -> list[dict[str, str]]:
    fresh = synthetic_rows(count, EVAL_SEED)
    if not columns:
        return [{"text": s} for s in HARD_STRINGS] + [{"text": r.text} for r in fresh]
    values = HARD_FIELD_VALUES
    rows = [
        {"text": s, "keyword": values[i % len(values)], "location": values[(i * 5 + 3) % len(values)]}
        for i, s in enumerate(HARD_STRINGS)
    ]
    # Hard strings in the short fields too, with ordinary tweets.
    rows += [
        {"text": fresh[i % len(fresh)].text, "keyword": HARD_STRINGS[i], "location": HARD_STRINGS[-1 - i]}
        for i in range(0, len(HARD_STRINGS), 4)
    ]
    rows += [{"text": r.text, "keyword": r.keyword, "location": r.location} for r in fresh]
    return rows


def _examples(columns: bool) -> list[dict]:
    examples = [
        {"title": "Wildfire", "inputs": {"text": "Forest fire near La Ronge Sask. Canada", "keyword": "wildfire", "location": "Canada"}},
        {"title": "Everyday", "inputs": {"text": "I love fruits and this sunny weekend :)", "keyword": "", "location": "London, UK"}},
    ]
    if not columns:
        for example in examples:
            example["inputs"] = {"text": example["inputs"]["text"]}
    return examples


def _stemmer_available() -> bool:
    try:
        stem_tokens(["running"], "porter")
        return True
    except StemmerUnavailableError as error:
        print(f"stemming cases skipped: {error}")
        return False


def generate_case(case: Case, out_root: str, created_at: str, train: list[SyntheticRow]) -> dict:
    pipeline = case.build()
    if case.training is not None:
        X, y = case.training()
    else:
        X, y = _fit_input(train, case.columns), _target(train, case.target)
    if case.stemming:
        prime(pipeline, X)
    pipeline.fit(X, y)
    spec, _ = inspect_pipeline(pipeline)
    has_char = any(block.spec["analyzer"] != "word" for block in spec.blocks)
    rows = _evaluation_inputs(case.columns, EVAL_ROWS_CHAR if has_char else EVAL_ROWS_WORD)
    if case.training is not None:
        rows += [{"text": text} for text in dict.fromkeys(case.training()[0])]
    directory = os.path.join(out_root, case.name)
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    result = export_bundle(
        pipeline,
        directory,
        name=case.name,
        title=case.name,
        description=case.description,
        class_names=case.class_names or None,
        examples=_examples(case.columns),
        golden_inputs=rows[:6] + rows[len(HARD_STRINGS) : len(HARD_STRINGS) + 6],
        training={"pipeline": _pipeline_text(pipeline), "corpus": _corpus_note()},
        created_at=created_at,
    )
    expected = {
        "name": case.name,
        "description": case.description,
        "sklearn_version": sklearn.__version__,
        "cases": reference_outputs(pipeline, rows),
    }
    write_json(os.path.join(directory, "expected.json"), expected)
    return _index_entry(case.name, case.description, result, len(rows), case.stemming)


def _index_entry(name: str, description: str, result: dict, cases: int, stemming: bool) -> dict:
    """One case of index.json."""
    return {
        "name": name,
        "description": description,
        "task": result["task"],
        "estimator": result["estimator"],
        "output": result["output"],
        "post_transform": result["post_transform"],
        "fields": result["fields"],
        "width": result["width"],
        "cases": cases,
        "stemming": stemming,
    }


TORCH_CASE = "byo-torch-mlp"


def generate_torch_case(out_root: str, created_at: str, train: list[SyntheticRow]) -> dict | None:
    """Bring-your-own ONNX: scripts/torch_mlp_example.py's MLP, expected values by PyTorch itself."""
    try:
        import torch
    except ImportError:
        print(f"torch is not installed: {TORCH_CASE} skipped")
        return None
    from sift_sklearn.byo import export_onnx_bundle
    from sift_sklearn.expected import add_occlusions, outputs_of
    from torch_mlp_example import export_torch_onnx, fit_torch_mlp, torch_probabilities

    torch.set_num_threads(1)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), max_features=1200).fit([r.text for r in train])
    features = vectorizer.transform([r.text for r in train]).toarray().astype(np.float32)
    labels = np.array([SENTIMENTS.index(r.sentiment) for r in train])
    model = fit_torch_mlp(features, labels, len(SENTIMENTS), hidden=16, epochs=40)
    directory = os.path.join(out_root, TORCH_CASE)
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    os.makedirs(directory)
    import tempfile

    rows = _evaluation_inputs(False, EVAL_ROWS_WORD)
    with tempfile.TemporaryDirectory() as scratch:
        onnx_path = os.path.join(scratch, "model.onnx")
        export_torch_onnx(model, features.shape[1], onnx_path)
        result = export_onnx_bundle(
            vectorizer,
            onnx_path,
            directory,
            name=TORCH_CASE,
            classes=list(SENTIMENTS),
            model_object=torch_probabilities(model),
            post_transform="softmax",
            estimator="PyTorch MLP (torch.onnx.export)",
            title=TORCH_CASE,
            description="bring your own ONNX: torch.onnx.export of a ReLU MLP over TF-IDF, logits + declared softmax",
            examples=_examples(False),
            golden_inputs=rows[:6] + rows[len(HARD_STRINGS) : len(HARD_STRINGS) + 6],
            training={"corpus": _corpus_note(), "torch": torch.__version__},
            created_at=created_at,
        )
    spec_features = vectorizer.transform([r["text"] for r in rows])
    values = torch_probabilities(model)(spec_features.toarray())
    labels_out = [SENTIMENTS[int(np.argmax(v))] for v in values]
    from sift_sklearn.byo import feature_spec_of

    cases = outputs_of(feature_spec_of(vectorizer), rows, spec_features, values, labels_out, list(SENTIMENTS), False)
    add_occlusions(cases, lambda x: torch_probabilities(model)(x.toarray()), False, spec_features)
    write_json(
        os.path.join(directory, "expected.json"),
        {"name": TORCH_CASE, "description": "PyTorch's own probabilities", "sklearn_version": sklearn.__version__, "cases": cases},
    )
    return _index_entry(TORCH_CASE, "bring your own ONNX: PyTorch MLP", result, len(rows), False)


def _pipeline_text(pipeline: Pipeline) -> str:
    return " ".join(repr(pipeline).split())


def _corpus_note() -> str:
    return f"sift_sklearn.corpus synthetic rows (seed {TRAIN_SEED}) + hard strings; no real data"


# -- app bundles -------------------------------------------------------------------------------

def _app_rows() -> tuple[list[SyntheticRow], list[SyntheticRow]]:
    return synthetic_rows(900, APP_TRAIN_SEED, include_hard=True), synthetic_rows(240, APP_TEST_SEED)


def _data_fingerprint(rows: list[SyntheticRow]) -> dict:
    digest = hashlib.sha256()
    for r in rows:
        digest.update("\x1f".join([r.text, r.keyword, r.location]).encode("utf-8", "surrogatepass") + b"\x1e")
    return {"file": "synthetic (sift_sklearn.corpus)", "sha256": digest.hexdigest(), "rows": len(rows)}


def _app_golden(columns: bool, test: list[SyntheticRow]) -> list[dict[str, str]]:
    picks = [HARD_STRINGS[i] for i in (0, 1, 3, 4, 9, 14, 16, 19, 20)] + [r.text for r in test[:11]]
    if columns:
        return [
            {"text": t, "keyword": HARD_FIELD_VALUES[i % len(HARD_FIELD_VALUES)], "location": (test[i].location)}
            for i, t in enumerate(picks)
        ]
    return [{"text": t} for t in picks]


def generate_app_bundles(out_root: str, created_at: str) -> list[str]:
    train, test = _app_rows()
    written = []

    # tweets-mini: binary disaster model over text + keyword + location.
    tweets = Pipeline(
        [
            (
                "features",
                ColumnTransformer(
                    [
                        ("text", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=1100), "text"),
                        ("keyword", TfidfVectorizer(max_features=200), "keyword"),
                        ("location", TfidfVectorizer(max_features=150), "location"),
                    ]
                ),
            ),
            ("clf", LogisticRegression(C=4.0, max_iter=2000)),
        ]
    ).fit(_frame(train), _target(train, "disaster"))
    test_frame = _frame(test)
    predicted = tweets.predict(test_frame)
    export_bundle(
        tweets,
        os.path.join(out_root, "tweets-mini"),
        name="tweets-mini",
        title="Disaster tweets (mini)",
        description="Is this tweet about a real disaster? A small test model fitted on synthetic tweets.",
        class_names={0: "Not a disaster", 1: "Real disaster"},
        inputs={
            "text": {"label": "Tweet", "required": True, "multiline": True},
            "keyword": {"label": "Keyword", "required": False, "multiline": False},
            "location": {"label": "Location", "required": False, "multiline": False},
        },
        examples=[
            {"title": "Wildfire", "inputs": {"text": "Forest fire near La Ronge Sask. Canada", "keyword": "wildfire", "location": "Canada"}},
            {"title": "Flood warning", "inputs": {"text": "Flood warning issued, evacuation ordered near the river #flood", "keyword": "flood", "location": "München"}},
            {"title": "Not a disaster", "inputs": {"text": "This new album is fire 🔥 love it", "keyword": "", "location": "London, UK"}},
        ],
        golden_inputs=_app_golden(True, test),
        metrics=card_metrics(
            _target(test, "disaster"),
            predicted,
            [0, 1],
            positive_scores=tweets.predict_proba(test_frame)[:, 1],
            train_size=len(train),
        ),
        data=_data_fingerprint(train),
        training={"pipeline": _pipeline_text(tweets), "corpus": "synthetic, no real data"},
        created_at=created_at,
    )
    written.append("tweets-mini")

    # sentiment-mini: three string classes over text only.
    texts = [r.text for r in train]
    sentiment = Pipeline(
        [
            ("vec", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=1200)),
            ("clf", LogisticRegression(C=4.0, max_iter=2000)),
        ]
    ).fit(texts, _target(train, "sentiment"))
    test_texts = [r.text for r in test]
    export_bundle(
        sentiment,
        os.path.join(out_root, "sentiment-mini"),
        name="sentiment-mini",
        title="Airline sentiment (mini)",
        description="Negative, neutral or positive? A small test model fitted on synthetic tweets.",
        class_names={"negative": "Negative", "neutral": "Neutral", "positive": "Positive"},
        inputs={"text": {"label": "Tweet", "required": True, "multiline": True}},
        examples=[
            {"title": "Delayed", "inputs": {"text": "@united worst flight ever, delayed again and lost my luggage"}},
            {"title": "Thanks", "inputs": {"text": "Thanks for the smooth boarding, friendly crew! 👍🏽"}},
            {"title": "Question", "inputs": {"text": "Which gate for the connection to Zürich tomorrow?"}},
        ],
        golden_inputs=_app_golden(False, test),
        metrics=card_metrics(_target(test, "sentiment"), sentiment.predict(test_texts), list(SENTIMENTS), train_size=len(train)),
        data=_data_fingerprint(train),
        training={"pipeline": _pipeline_text(sentiment), "corpus": "synthetic, no real data"},
        created_at=created_at,
    )
    written.append("sentiment-mini")

    # toxic-mini: three labels, one-vs-rest.
    toxic = Pipeline(
        [
            ("vec", TfidfVectorizer(sublinear_tf=True, max_features=1000)),
            ("clf", OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=2000))),
        ]
    ).fit(texts, _target(train, "multilabel"))
    export_bundle(
        toxic,
        os.path.join(out_root, "toxic-mini"),
        name="toxic-mini",
        title="Toxic comments (mini)",
        description="Which of toxic / obscene / insult apply? A small multi-label test model on synthetic text.",
        class_names={0: "Toxic", 1: "Obscene", 2: "Insult"},
        inputs={"text": {"label": "Comment", "required": True, "multiline": True}},
        examples=[
            {"title": "Insult", "inputs": {"text": "shut up you idiot, nobody likes you"}},
            {"title": "Polite", "inputs": {"text": "Thanks for the helpful answer, have a great weekend"}},
        ],
        golden_inputs=_app_golden(False, test),
        metrics=card_metrics(
            _target(test, "multilabel"),
            toxic.predict(test_texts),
            [0, 1, 2],
            train_size=len(train),
            multilabel=True,
        ),
        data=_data_fingerprint(train),
        training={"pipeline": _pipeline_text(toxic), "corpus": "synthetic, no real data"},
        created_at=created_at,
    )
    written.append("toxic-mini")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate parity fixtures and app bundles")
    parser.add_argument("--out-dir", default=os.path.join(REPO, "test", "fixtures"))
    parser.add_argument("--only", nargs="*", help="case names to (re)generate; default all")
    parser.add_argument("--created-at", default=FIXED_CREATED_AT)
    parser.add_argument("--require-stemmer", action="store_true", help="fail instead of skipping stemming cases")
    parser.add_argument("--skip-apps", action="store_true", help="do not write test/fixtures/bundles")
    args = parser.parse_args(argv)

    parity_root = os.path.join(args.out_dir, "parity")
    os.makedirs(parity_root, exist_ok=True)
    cases = _cases()
    known = {c.name for c in cases}
    if args.only:
        unknown = set(args.only) - known - {"apps", TORCH_CASE}
        if unknown:
            parser.error(f"unknown cases {sorted(unknown)}")
    stemming = any(c.stemming for c in cases if not args.only or c.name in args.only) and _stemmer_available()
    if args.require_stemmer and not stemming:
        print("stem CLI unavailable and --require-stemmer given", file=sys.stderr)
        return 1

    train = _training_rows()
    index_path = os.path.join(parity_root, "index.json")
    previous = {}
    if os.path.exists(index_path):
        import json

        with open(index_path, encoding="utf-8") as handle:
            previous = {entry["name"]: entry for entry in json.load(handle).get("cases", [])}
    entries = []
    for case in cases:
        selected = not args.only or case.name in args.only
        if selected and (stemming or not case.stemming):
            entry = generate_case(case, parity_root, args.created_at, train)
            print(f"parity/{case.name}: {entry['cases']} cases, {entry['width']} features, {entry['post_transform']}")
            entries.append(entry)
        elif case.name in previous and os.path.isdir(os.path.join(parity_root, case.name)):
            entries.append(previous[case.name])
    if not args.only or TORCH_CASE in args.only:
        entry = generate_torch_case(parity_root, args.created_at, train)
        if entry is not None:
            print(f"parity/{TORCH_CASE}: {entry['cases']} cases, {entry['width']} features")
            entries.append(entry)
    elif TORCH_CASE in previous and os.path.isdir(os.path.join(parity_root, TORCH_CASE)):
        entries.append(previous[TORCH_CASE])
    # Folders of cases that no longer exist would be tested forever: remove them.
    for name in sorted(os.listdir(parity_root)):
        path = os.path.join(parity_root, name)
        if os.path.isdir(path) and name not in known and name != TORCH_CASE:
            shutil.rmtree(path)
            print(f"removed stale parity/{name}")
    order = {c.name: i for i, c in enumerate(cases)}
    order[TORCH_CASE] = len(order)
    entries.sort(key=lambda e: order[e["name"]])
    write_json(index_path, {"created_with": {"sklearn": sklearn.__version__}, "cases": entries})

    if not args.skip_apps and (not args.only or "apps" in args.only):
        bundles_root = os.path.join(args.out_dir, "bundles")
        for name in generate_app_bundles(bundles_root, args.created_at):
            print(f"bundles/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
