"""Fitted sklearn linear classifiers → the linear layer of classifier.json / model.onnx.

Every supported estimator is written as z = x·Wᵀ + b followed by a fixed post-transform
(docs/bundle-format.md). Because sklearn's probability formulas have changed across versions
(LogisticRegression's `multi_class`, ComplementNB's prior), the layer is never trusted on the
strength of the estimator's name alone: `extract_linear_layer` checks it against the estimator's
own predict_proba / decision_function / predict on probe inputs and refuses the model when no
candidate formula matches.

Supported: LogisticRegression(CV), SGDClassifier (log_loss → like LR, modified_huber → its
probability formula, other losses → scores), LinearSVC, RidgeClassifier(CV), MultinomialNB,
ComplementNB, and OneVsRestClassifier of those (multi-label on an indicator matrix, or
multi-class).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .errors import UnsupportedModelError

__all__ = ["LinearLayer", "extract_linear_layer", "label_value", "sklearn_values", "sklearn_labels"]

_LR_NAMES = ("LogisticRegression", "LogisticRegressionCV")
_SCORE_NAMES = ("LinearSVC", "RidgeClassifier", "RidgeClassifierCV")
_NB_NAMES = ("MultinomialNB", "ComplementNB")
_LOG_LOSSES = ("log_loss", "log")


@dataclass
class LinearLayer:
    estimator: str
    coefficients: np.ndarray  # (rows, width), float64 as computed; exported as float32
    intercepts: np.ndarray  # (rows,)
    post_transform: str  # logistic | softmax | logistic_l1 | modified_huber | none
    multilabel: bool
    classes: list  # label values in row order (int, float or str)

    @property
    def output(self) -> str:
        return "scores" if self.post_transform == "none" else "probabilities"

    def as_float32(self) -> "LinearLayer":
        return LinearLayer(
            self.estimator,
            self.coefficients.astype(np.float32).astype(np.float64),
            self.intercepts.astype(np.float32).astype(np.float64),
            self.post_transform,
            self.multilabel,
            self.classes,
        )

    def raw(self, features: Any) -> np.ndarray:
        z = features @ self.coefficients.T
        return np.asarray(z, dtype=np.float64) + self.intercepts

    def values(self, features: Any) -> np.ndarray:
        """Probabilities or scores, as the server computes them (in float64 here)."""
        return apply_post_transform(self.raw(features), self.post_transform, self.multilabel)

    def class_indices(self, features: Any) -> np.ndarray:
        """Index of the first maximum of z (what LinearClassifier's `label` output gives)."""
        return np.argmax(self.raw(features), axis=1)


def apply_post_transform(z: np.ndarray, post: str, multilabel: bool) -> np.ndarray:
    if post == "none":
        return z
    if post == "logistic":
        return expit(z)
    if post == "softmax":
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    if post == "logistic_l1":
        p = expit(z)
        return p / p.sum(axis=1, keepdims=True)
    if post == "modified_huber":
        p = (np.clip(z, -1.0, 1.0) + 1.0) / 2.0
        if multilabel or z.shape[1] == 2:
            return p
        # sklearn: rows whose probabilities are all zero become uniform, others are normalised.
        total = p.sum(axis=1, keepdims=True)
        zero = total[:, 0] == 0
        p[zero, :] = 1.0
        total[zero, 0] = z.shape[1]
        return p / total
    raise ValueError(f"unknown post_transform {post!r}")


def label_value(value: Any) -> int | float | str:
    """A class label as a JSON-friendly Python value (ints and strings; finite floats)."""
    if isinstance(value, (bool, np.bool_)):
        raise UnsupportedModelError(f"boolean class label {value!r} is not supported; use 0/1 or strings")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not np.isfinite(number):
            raise UnsupportedModelError(f"class label {value!r} is not finite")
        return number
    if isinstance(value, (str, np.str_)):
        return str(value)
    raise UnsupportedModelError(f"class label {value!r} of type {type(value).__name__} is not supported")


def _dense(matrix: Any) -> np.ndarray:
    if sp.issparse(matrix):
        matrix = matrix.toarray()
    return np.asarray(matrix, dtype=np.float64)


def _intercepts(estimator: Any, rows: int) -> np.ndarray:
    intercept = np.asarray(getattr(estimator, "intercept_", 0.0), dtype=np.float64).ravel()
    if intercept.size == 1 and rows != 1:
        intercept = np.repeat(intercept, rows)
    if intercept.size != rows:
        raise UnsupportedModelError(f"{type(estimator).__name__}: intercept_ has {intercept.size} values for {rows} rows")
    return intercept


def _kind(estimator: Any) -> str:
    """'logistic' | 'modified_huber' | 'scores' | 'nb' for a supported estimator; refuse others."""
    name = type(estimator).__name__
    if name in _LR_NAMES:
        return "logistic"
    if name == "SGDClassifier":
        if estimator.loss in _LOG_LOSSES:
            return "logistic"
        if estimator.loss == "modified_huber":
            return "modified_huber"
        return "scores"
    if name in _SCORE_NAMES:
        return "scores"
    if name in _NB_NAMES:
        return "nb"
    raise UnsupportedModelError(
        f"unsupported classifier {name}: Sift serves LogisticRegression, SGDClassifier, LinearSVC, "
        "RidgeClassifier, MultinomialNB, ComplementNB and OneVsRestClassifier of those in process, and "
        "DecisionTree, RandomForest, ExtraTrees, GradientBoosting, HistGradientBoosting, XGBClassifier, "
        "MLPClassifier and soft VotingClassifier through ONNX; for anything else export your own ONNX "
        "graph and bring it with export_sklearn.py --vectorizer … --onnx …"
    )


def _check_module(estimator: Any) -> None:
    module = type(estimator).__module__
    if not module.startswith("sklearn."):
        raise UnsupportedModelError(f"unsupported classifier {type(estimator).__module__}.{type(estimator).__name__}")


def _classes(estimator: Any) -> list:
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise UnsupportedModelError(f"{type(estimator).__name__} is not fitted")
    return [label_value(c) for c in classes]


def _centered(w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Softmax is unchanged by adding the same amount to every class. Naive Bayes log
    # probabilities are large negative numbers (about -10 per feature); centring each column keeps
    # only the differences between classes, which float32 holds with far less rounding error.
    return w - w.mean(axis=0, keepdims=True), b - b.mean()


def _single_layer_candidates(clf: Any, width: int) -> list[LinearLayer]:
    name = type(clf).__name__
    kind = _kind(clf)
    classes = _classes(clf)
    if len(classes) < 2:
        raise UnsupportedModelError(f"{name} was fitted on a single class; nothing to predict")
    if kind == "nb":
        w = np.asarray(clf.feature_log_prob_, dtype=np.float64)
        priors = np.asarray(clf.class_log_prior_, dtype=np.float64)
        options = [priors] if name == "MultinomialNB" else [np.zeros_like(priors), priors]
        return [LinearLayer(name, *_centered(w, b), "softmax", False, classes) for b in options]
    w = _dense(clf.coef_)
    b = _intercepts(clf, w.shape[0])
    if w.shape[1] != width:
        raise UnsupportedModelError(f"{name} expects {w.shape[1]} features, the vectorizer makes {width}")
    binary = w.shape[0] == 1
    if binary and len(classes) != 2:
        raise UnsupportedModelError(f"{name}: one coefficient row for {len(classes)} classes")
    if binary:
        w, b = np.vstack([-w[0], w[0]]), np.array([-b[0], b[0]])
    if kind == "scores":
        return [LinearLayer(name, w, b, "none", False, classes)]
    if kind == "modified_huber":
        return [LinearLayer(name, w, b, "modified_huber", False, classes)]
    if binary:
        return [LinearLayer(name, w, b, "logistic", False, classes)]
    return [
        LinearLayer(name, w, b, "softmax", False, classes),
        LinearLayer(name, w, b, "logistic_l1", False, classes),
    ]


def _binary_function(estimator: Any, label: Any) -> list[tuple[np.ndarray, float, str]]:
    """Candidate (w, b, post) with p(label) = post(w·x + b) for one binary sub-estimator."""
    name = type(estimator).__name__
    if not hasattr(estimator, "classes_"):
        raise UnsupportedModelError(
            f"OneVsRestClassifier: label {label!r} has a constant value in the training data "
            f"({name}); every label needs positive and negative examples"
        )
    kind = _kind(estimator)
    if len(estimator.classes_) != 2:
        raise UnsupportedModelError(f"OneVsRestClassifier: sub-estimator for {label!r} is not binary")
    if kind == "nb":
        flp = np.asarray(estimator.feature_log_prob_, dtype=np.float64)
        clp = np.asarray(estimator.class_log_prior_, dtype=np.float64)
        w = flp[1] - flp[0]
        options = [clp[1] - clp[0]] if name == "MultinomialNB" else [0.0, clp[1] - clp[0]]
        return [(w, float(b), "logistic") for b in options]
    w = _dense(estimator.coef_)
    if w.shape[0] != 1:
        raise UnsupportedModelError(f"OneVsRestClassifier: sub-estimator for {label!r} has {w.shape[0]} rows")
    b = float(_intercepts(estimator, 1)[0])
    post = {"logistic": "logistic", "modified_huber": "modified_huber", "scores": "none"}[kind]
    return [(w[0], b, post)]


def _one_vs_rest_candidates(ovr: Any, width: int) -> list[LinearLayer]:
    estimators = getattr(ovr, "estimators_", None)
    if estimators is None:
        raise UnsupportedModelError("OneVsRestClassifier is not fitted")
    classes = _classes(ovr)
    multilabel = bool(getattr(ovr, "multilabel_", False))
    inner = type(ovr.estimator).__name__
    name = f"OneVsRestClassifier({inner})"
    inner_kind = _kind(ovr.estimator)
    if not multilabel and len(estimators) > 2 and inner_kind == "nb":
        # OneVsRestClassifier.predict compares the sub-models' probabilities and lets the LAST
        # maximum win; naive Bayes rows without known terms tie exactly, so sklearn's labels would
        # differ from the first-maximum rule every runtime uses.
        raise UnsupportedModelError(
            f"{name} for multi-class labels is not supported (sklearn breaks its ties toward the last "
            f"class); use {inner} directly, or OneVsRestClassifier for multi-label targets"
        )
    per_label = [_binary_function(e, label) for e, label in zip(estimators, classes)]
    option_count = max(len(options) for options in per_label)
    layers: list[LinearLayer] = []
    for option in range(option_count):
        chosen = [options[min(option, len(options) - 1)] for options in per_label]
        w = np.vstack([c[0] for c in chosen])
        b = np.array([c[1] for c in chosen])
        post = chosen[0][2]
        if w.shape[1] != width:
            raise UnsupportedModelError(f"{name} expects {w.shape[1]} features, the vectorizer makes {width}")
        if multilabel:
            if len(classes) < 2:
                raise UnsupportedModelError(f"{name}: a multi-label model needs at least 2 labels")
            layers.append(LinearLayer(name, w, b, post, True, classes))
        elif len(estimators) == 1:
            layers.append(LinearLayer(name, np.vstack([-w[0], w[0]]), np.array([-b[0], b[0]]), post, False, classes))
        else:
            multi_post = {"logistic": "logistic_l1", "modified_huber": "modified_huber", "none": "none"}[post]
            layers.append(LinearLayer(name, w, b, multi_post, False, classes))
    return layers


def sklearn_values(clf: Any, features: Any, output: str) -> np.ndarray:
    """sklearn's predict_proba, or decision_function as [-d, d] for binary score models."""
    if output == "probabilities":
        return np.asarray(clf.predict_proba(features), dtype=np.float64)
    decision = np.asarray(clf.decision_function(features), dtype=np.float64)
    if decision.ndim == 1:
        decision = np.column_stack([-decision, decision])
    return decision


def sklearn_labels(clf: Any, features: Any, multilabel: bool, classes: Sequence[Any]) -> list:
    """sklearn's predict as label values (multi-label: the list of positive labels per row)."""
    predicted = clf.predict(features)
    if multilabel:
        indicator = predicted.toarray() if sp.issparse(predicted) else np.asarray(predicted)
        return [[classes[j] for j in np.flatnonzero(row)] for row in indicator]
    return [label_value(v) for v in np.asarray(predicted).ravel()]


def _layer_labels(layer: LinearLayer, features: Any) -> list:
    if layer.multilabel:
        z = layer.raw(features)
        return [[layer.classes[j] for j in np.flatnonzero(row > 0)] for row in z]
    return [layer.classes[i] for i in layer.class_indices(features)]


def _mismatch(layer: LinearLayer, clf: Any, features: Any) -> str | None:
    """None when the layer reproduces sklearn on these features; otherwise what differs."""
    try:
        expected = sklearn_values(clf, features, layer.output)
    except AttributeError as error:
        return f"sklearn has no {'predict_proba' if layer.output == 'probabilities' else 'decision_function'}: {error}"
    got = layer.values(features)
    if expected.shape != got.shape:
        return f"shape {got.shape} instead of {expected.shape}"
    if not np.allclose(got, expected, rtol=1e-7, atol=1e-9):
        return f"{layer.post_transform}: values differ by up to {np.max(np.abs(got - expected)):.3g}"
    ours = _layer_labels(layer, features)
    theirs = sklearn_labels(clf, features, layer.multilabel, layer.classes)
    for row, (mine, expected_label) in enumerate(zip(ours, theirs)):
        if mine == expected_label:
            continue
        # OneVsRestClassifier breaks exact ties toward the last class, and compares probabilities
        # that saturate at 1.0; a tie in sklearn's own values is not a formula mismatch.
        if not layer.multilabel:
            mine_value = expected[row, layer.classes.index(mine)]
            their_value = expected[row, layer.classes.index(expected_label)]
            if mine_value == their_value:
                continue
        return f"{layer.post_transform}: predicted labels differ (row {row}: {mine!r} instead of {expected_label!r})"
    return None


def probe_features(width: int, known_rows: Any = None, seed: int = 20241122) -> Any:
    """Rows to compare candidate layers on: the given rows plus random sparse non-negative ones."""
    rng = np.random.default_rng(seed)
    count = 64
    density = min(1.0, 24.0 / max(width, 1))
    random_rows = sp.random(count, width, density=density, format="csr", random_state=rng, dtype=np.float64)
    # Some rows scaled up so that decisions spread far enough apart to tell formulas apart.
    scale = sp.diags(np.repeat([0.5, 1.0, 2.0, 4.0], count // 4))
    parts = [scale @ random_rows, sp.csr_matrix((1, width))]
    if known_rows is not None and known_rows.shape[0] > 0:
        parts.insert(0, sp.csr_matrix(known_rows, dtype=np.float64))
    return sp.vstack(parts, format="csr")


def extract_linear_layer(clf: Any, width: int, known_rows: Any = None) -> LinearLayer:
    """The verified linear layer of a fitted classifier; UnsupportedModelError otherwise."""
    name = type(clf).__name__
    if name == "OneVsRestClassifier":
        _check_module(clf)
        candidates = _one_vs_rest_candidates(clf, width)
    else:
        _kind(clf)
        _check_module(clf)
        candidates = _single_layer_candidates(clf, width)
    features = probe_features(width, known_rows)
    problems: list[str] = []
    for layer in candidates:
        problem = _mismatch(layer, clf, features)
        if problem is None:
            return layer
        problems.append(problem)
    raise UnsupportedModelError(
        f"{candidates[0].estimator}: no supported formula reproduces sklearn's outputs ({'; '.join(problems)})"
    )
