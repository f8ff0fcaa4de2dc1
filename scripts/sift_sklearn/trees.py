"""Fitted tree ensembles (scikit-learn, XGBoost) → one neutral representation: trees of float32
splits with per-leaf score vectors, a base score vector and a post-transform.

The same representation is evaluated here in numpy (exactly as onnxruntime's TreeEnsemble
operators do: float32 inputs, float32 thresholds, `<=` or `<`, NaN following the missing branch)
and written to ONNX by nonlinear_graph.py, so the exporter can check it against the estimator's own
predict_proba before anything is written.

Comparison rules (docs/onnx-trees-notes): scikit-learn trees test `float32(x) <= threshold` with a
float64 threshold, which equals `float32(x) <= t32` for t32 = the largest float32 not above it;
HistGradientBoosting tests the float64 value of x against a float64 threshold that is often a
data value itself (features are float32 here: its thresholds are rounded to the nearest float32, so
x == threshold stays on the left); XGBoost tests `x < threshold` in float32 and
treats entries absent from a CSR input as missing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import UnsupportedModelError

__all__ = ["Tree", "Ensemble", "sklearn_tree_ensemble", "xgboost_ensemble", "float32_at_most"]


@dataclass
class Tree:
    feature: np.ndarray  # int64 per node (ignored for leaves)
    threshold: np.ndarray  # float32 per node
    true_child: np.ndarray  # int64 per node: taken when the comparison holds
    false_child: np.ndarray
    missing_true: np.ndarray  # bool per node: NaN takes the true branch
    leaf: np.ndarray  # bool per node
    values: np.ndarray  # float64 (nodes, outputs): the leaf's contribution to each score column


@dataclass
class Ensemble:
    estimator: str
    trees: list[Tree]
    mode: str  # "BRANCH_LEQ" | "BRANCH_LT"
    outputs: int  # score columns (= classes)
    base: np.ndarray  # float64 (outputs,)
    post: str  # "none" (scores are probabilities) | "logistic" | "softmax"
    missing_absent: bool  # absent sparse entries are missing values (XGBoost on CSR input)
    used_features: list[int] = field(default_factory=list)

    def scores(self, features: Any) -> np.ndarray:
        """Raw scores [N, outputs] as float32 accumulation of float32 leaf weights."""
        x = _float32_rows(features, self.missing_absent)
        total = np.zeros((x.shape[0], self.outputs), dtype=np.float32)
        for tree in self.trees:
            total += tree.values.astype(np.float32)[_leaves(tree, x, self.mode)]
        return total.astype(np.float64) + self.base.astype(np.float32)

    def probabilities(self, features: Any) -> np.ndarray:
        z = self.scores(features)
        if self.post == "logistic":
            return 1.0 / (1.0 + np.exp(-z))
        if self.post == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return z


def _float32_rows(features: Any, missing_absent: bool) -> np.ndarray:
    import scipy.sparse as sp

    if sp.issparse(features):
        csr = sp.csr_matrix(features)
        dense = np.full(csr.shape, np.nan if missing_absent else 0.0, dtype=np.float32)
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
        dense[rows, csr.indices] = csr.data.astype(np.float32)
        return dense
    return np.asarray(features, dtype=np.float32)


def _leaves(tree: Tree, x: np.ndarray, mode: str) -> np.ndarray:
    node = np.zeros(x.shape[0], dtype=np.int64)
    for _ in range(len(tree.leaf) + 1):
        active = ~tree.leaf[node]
        if not active.any():
            return node
        rows = np.flatnonzero(active)
        n = node[rows]
        value = x[rows, tree.feature[n]]
        threshold = tree.threshold[n]
        holds = value <= threshold if mode == "BRANCH_LEQ" else value < threshold
        holds = np.where(np.isnan(value), tree.missing_true[n], holds)
        node[rows] = np.where(holds, tree.true_child[n], tree.false_child[n])
    raise UnsupportedModelError("a tree has a cycle")


def float32_at_most(threshold: np.ndarray) -> np.ndarray:
    """The largest float32 ≤ each float64 threshold: float32(x) <= t ⇔ float32(x) <= this."""
    t = np.asarray(threshold, dtype=np.float64)
    t32 = t.astype(np.float32)
    above = t32.astype(np.float64) > t
    t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
    return t32


def _sklearn_tree(tree: Any, values: np.ndarray) -> Tree:
    t = tree.tree_
    leaf = t.children_left < 0
    feature = np.where(leaf, 0, t.feature).astype(np.int64)
    threshold = np.where(leaf, 0.0, float32_at_most(np.where(leaf, 0.0, t.threshold))).astype(np.float32)
    return Tree(
        feature=feature,
        threshold=threshold,
        true_child=np.where(leaf, 0, t.children_left).astype(np.int64),
        false_child=np.where(leaf, 0, t.children_right).astype(np.int64),
        missing_true=np.zeros(len(leaf), dtype=bool),
        leaf=leaf,
        values=values,
    )


def _leaf_fractions(tree: Any) -> np.ndarray:
    # tree_.value holds weighted counts (scikit-learn < 1.4) or fractions (newer): normalise both.
    value = np.asarray(tree.tree_.value, dtype=np.float64)
    if value.shape[1] != 1:
        raise UnsupportedModelError(f"{type(tree).__name__} was fitted on several outputs; Sift serves one target")
    value = value[:, 0, :]
    total = value.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return value / total


def _used(trees: list[Tree]) -> list[int]:
    used: set[int] = set()
    for tree in trees:
        used.update(int(f) for f in tree.feature[~tree.leaf])
    return sorted(used)


def _refuse_multioutput(clf: Any) -> None:
    if getattr(clf, "n_outputs_", 1) != 1:
        raise UnsupportedModelError(f"{type(clf).__name__} was fitted on several outputs; Sift serves one target")


def _boosting_base(clf: Any, ensemble: Ensemble, width: int, scale: float = 1.0) -> np.ndarray:
    """base = the estimator's raw score (× scale) of an all-absent row minus the trees' sum there."""
    import scipy.sparse as sp

    zero = sp.csr_matrix((1, width))
    probe = zero if not getattr(clf, "_sift_dense", False) else zero.toarray()
    raw = np.asarray(clf.decision_function(probe), dtype=np.float64).reshape(1, -1) * scale
    saved = ensemble.base
    ensemble.base = np.zeros(ensemble.outputs)
    trees = ensemble.scores(probe)
    ensemble.base = saved
    if raw.shape[1] == 1:
        return np.array([-raw[0, 0], raw[0, 0]]) - trees[0]
    return raw[0] - trees[0]


def sklearn_tree_ensemble(clf: Any, width: int, dense: bool) -> Ensemble:
    name = type(clf).__name__
    _refuse_multioutput(clf)
    classes = len(clf.classes_)
    if name == "DecisionTreeClassifier":
        trees = [_sklearn_tree(clf, _leaf_fractions(clf))]
        return Ensemble(name, trees, "BRANCH_LEQ", classes, np.zeros(classes), "none", False, _used(trees))
    if name in ("RandomForestClassifier", "ExtraTreesClassifier"):
        count = len(clf.estimators_)
        trees = [_sklearn_tree(t, _leaf_fractions(t) / count) for t in clf.estimators_]
        return Ensemble(name, trees, "BRANCH_LEQ", classes, np.zeros(classes), "none", False, _used(trees))
    if name == "GradientBoostingClassifier":
        return _gradient_boosting(clf, width, dense)
    if name == "HistGradientBoostingClassifier":
        return _hist_gradient_boosting(clf, width, dense)
    raise UnsupportedModelError(f"{name} is not a supported tree ensemble")


def _gradient_boosting(clf: Any, width: int, dense: bool) -> Ensemble:
    name = type(clf).__name__
    loss = str(getattr(clf, "loss", "log_loss"))
    classes = len(clf.classes_)
    rate = float(clf.learning_rate)
    # exponential loss: p = expit(2·raw); written as the same trees with doubled leaves.
    scale = 2.0 if loss == "exponential" else 1.0
    trees: list[Tree] = []
    for stage in clf.estimators_:
        for k, regressor in enumerate(stage):
            leaf_value = np.asarray(regressor.tree_.value, dtype=np.float64)[:, 0, 0] * rate * scale
            values = np.zeros((len(leaf_value), classes))
            if classes == 2:
                values[:, 0], values[:, 1] = -leaf_value, leaf_value
            else:
                values[:, k] = leaf_value
            trees.append(_sklearn_tree(regressor, values))
    post = "logistic" if classes == 2 else "softmax"
    ensemble = Ensemble(name, trees, "BRANCH_LEQ", classes, np.zeros(classes), post, False, _used(trees))
    clf._sift_dense = dense
    ensemble.base = _boosting_base(clf, ensemble, width, scale)
    return ensemble


def _hist_gradient_boosting(clf: Any, width: int, dense: bool) -> Ensemble:
    name = type(clf).__name__
    if not dense:
        raise UnsupportedModelError(
            f"{name} needs dense input: put sift_sklearn.Densify() (or a FunctionTransformer that calls "
            ".toarray()) between the vectorizer and the classifier"
        )
    classes = len(clf.classes_)
    trees: list[Tree] = []
    for iteration in clf._predictors:
        for k, predictor in enumerate(iteration):
            nodes = predictor.nodes
            if "is_categorical" in nodes.dtype.names and nodes["is_categorical"].any():
                raise UnsupportedModelError(f"{name} with categorical features is not supported; drop categorical_features")
            leaf = nodes["is_leaf"].astype(bool)
            values = np.zeros((len(nodes), classes))
            value = np.asarray(nodes["value"], dtype=np.float64)
            if classes == 2:
                values[:, 0], values[:, 1] = -value, value
            else:
                values[:, k] = value
            trees.append(
                Tree(
                    feature=np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64),
                    # HistGradientBoosting tests the float64 value x <= t, and its thresholds are
                    # often data values themselves (percentiles of repeated TF-IDF values): the
                    # nearest float32 keeps x == t on the left, where rounding down would not.
                    threshold=np.where(leaf, 0.0, nodes["num_threshold"]).astype(np.float32),
                    true_child=np.where(leaf, 0, nodes["left"]).astype(np.int64),
                    false_child=np.where(leaf, 0, nodes["right"]).astype(np.int64),
                    missing_true=nodes["missing_go_to_left"].astype(bool),
                    leaf=leaf,
                    values=np.where(leaf[:, None], values, 0.0),
                )
            )
    post = "logistic" if classes == 2 else "softmax"
    ensemble = Ensemble(name, trees, "BRANCH_LEQ", classes, np.zeros(classes), post, False, _used(trees))
    clf._sift_dense = True
    ensemble.base = _boosting_base(clf, ensemble, width)
    return ensemble


def xgboost_ensemble(clf: Any, width: int, dense: bool) -> Ensemble:
    """XGBClassifier from its booster's JSON dump (gbtree, numerical splits)."""
    name = type(clf).__name__
    booster = clf.get_booster()
    config = json.loads(booster.save_config())
    learner = config["learner"]
    objective = learner["objective"]["name"]
    if objective not in ("binary:logistic", "multi:softprob", "multi:softmax"):
        raise UnsupportedModelError(f"{name} with objective {objective!r} is not supported; use binary:logistic or multi:softprob")
    booster_kind = learner["gradient_booster"]["name"]
    if booster_kind != "gbtree":
        raise UnsupportedModelError(f"{name} with booster {booster_kind!r} is not supported; use booster='gbtree'")
    missing = getattr(clf, "missing", np.nan)
    if missing is not None and not (isinstance(missing, float) and np.isnan(missing)):
        raise UnsupportedModelError(f"{name} with missing={missing!r} is not supported; keep the default missing=nan")
    model = json.loads(booster.save_raw("json"))["learner"]
    base_score = float(model["learner_model_param"]["base_score"])
    classes = len(clf.classes_)
    trees_json = model["gradient_booster"]["model"]["trees"]
    tree_info = model["gradient_booster"]["model"]["tree_info"]
    best = getattr(clf, "best_iteration", None)
    limit = None if best is None else (best + 1) * (1 if classes == 2 else classes)
    if limit is not None and limit < len(trees_json):
        raise UnsupportedModelError(
            f"{name} was fitted with early stopping; predict_proba uses the first {limit} of {len(trees_json)} "
            "trees: refit with n_estimators=best_iteration + 1"
        )
    trees: list[Tree] = []
    for tree_json, group in zip(trees_json, tree_info):
        if tree_json.get("categories_nodes"):
            raise UnsupportedModelError(f"{name} with categorical splits is not supported")
        left = np.asarray(tree_json["left_children"], dtype=np.int64)
        right = np.asarray(tree_json["right_children"], dtype=np.int64)
        leaf = left < 0
        conditions = np.asarray(tree_json["split_conditions"], dtype=np.float32)
        leaf_value = np.where(leaf, conditions.astype(np.float64), 0.0)
        values = np.zeros((len(left), classes))
        if classes == 2:
            values[:, 0], values[:, 1] = -leaf_value, leaf_value
        else:
            values[:, int(group)] = leaf_value
        trees.append(
            Tree(
                feature=np.where(leaf, 0, np.asarray(tree_json["split_indices"], dtype=np.int64)),
                threshold=np.where(leaf, 0, conditions).astype(np.float32),
                true_child=np.where(leaf, 0, left),
                false_child=np.where(leaf, 0, right),
                missing_true=np.asarray(tree_json["default_left"], dtype=bool),
                leaf=leaf,
                values=values,
            )
        )
    if classes == 2:
        margin = float(np.log(base_score / (1.0 - base_score)))
        base = np.array([-margin, margin])
        post = "logistic"
    else:
        base = np.full(classes, base_score)
        post = "softmax"
    return Ensemble(name, trees, "BRANCH_LT", classes, base, post, not dense, _used(trees))
