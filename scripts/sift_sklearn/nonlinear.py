"""Non-linear classifiers → an ONNX graph `features` float32 [N, width] → `probabilities` float32
[N, C], served by onnxruntime only (classifier.json kind "onnx", docs/bundle-format.md).

Every converter yields a `Converted`: the graph part (built with onnx.helper) and the same
computation in numpy. `convert_nonlinear` compares the numpy side against the estimator's own
predict_proba / predict on probe rows and refuses the model when they disagree, so a graph is never
written on the strength of an estimator's name alone. The server takes the label from the
probabilities (first maximum, as scikit-learn), never from a `label` output.

Supported: DecisionTree / RandomForest / ExtraTrees / GradientBoosting / HistGradientBoosting
classifiers (trees.py), XGBClassifier, MLPClassifier, soft VotingClassifier of supported members
(linear members with logistic or softmax outputs too).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import onnx
import scipy.sparse as sp
from onnx import TensorProto, helper

from .classifiers import extract_linear_layer, label_value, probe_features
from .errors import UnsupportedModelError
from .trees import Ensemble, sklearn_tree_ensemble, xgboost_ensemble

__all__ = ["Converted", "convert_nonlinear", "is_nonlinear", "GraphBuilder", "NONLINEAR_NAMES"]

TREE_NAMES = (
    "DecisionTreeClassifier",
    "RandomForestClassifier",
    "ExtraTreesClassifier",
    "GradientBoostingClassifier",
    "HistGradientBoostingClassifier",
)
NONLINEAR_NAMES = TREE_NAMES + ("XGBClassifier", "MLPClassifier", "VotingClassifier", "SVC", "CalibratedClassifierCV")
ONNX_OPSET = 15
ONNX_ML_OPSET = 3
_IR_VERSION = 8


def is_nonlinear(clf: Any) -> bool:
    return type(clf).__name__ in NONLINEAR_NAMES


class GraphBuilder:
    """Nodes and initializers with unique names, for graphs assembled from several parts."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def constant(self, stem: str, array: np.ndarray, dtype: int = TensorProto.FLOAT) -> str:
        name = self.name(stem)
        np_type = np.float64 if dtype == TensorProto.DOUBLE else np.float32
        if dtype == TensorProto.INT64:
            np_type = np.int64
        value = np.asarray(array, dtype=np_type)
        self.initializers.append(helper.make_tensor(name, dtype, list(value.shape), value.ravel().tolist()))
        return name

    def op(self, op_type: str, inputs: list[str], domain: str = "", outputs: int = 1, **attributes: Any) -> Any:
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=self.name(f"n_{op_type}"), domain=domain, **attributes))
        return names[0] if outputs == 1 else names


@dataclass
class Converted:
    estimator: str
    classes: list
    probabilities: Callable[[Any], np.ndarray]  # numpy, as the graph computes it
    emit: Callable[[GraphBuilder, str], str]  # appends nodes; returns the float32 [N, C] output
    used_features: list[int] | None = None  # columns the model can read (None: all)
    notes: list[str] = field(default_factory=list)
    multilabel: bool = False  # sequence models: one sigmoid per label


def _classes(clf: Any) -> list:
    classes = getattr(clf, "classes_", None)
    if classes is None:
        raise UnsupportedModelError(f"{type(clf).__name__} is not fitted")
    if np.asarray(classes).ndim != 1:
        raise UnsupportedModelError(f"{type(clf).__name__} was fitted on several outputs; Sift serves one target")
    return [label_value(c) for c in classes]


# -- tree ensembles ------------------------------------------------------------------------------

def _emit_ensemble(ensemble: Ensemble) -> Callable[[GraphBuilder, str], str]:
    def emit(g: GraphBuilder, features: str) -> str:
        x = features
        if ensemble.missing_absent:
            # XGBoost reads entries absent from a CSR row as missing: the vectorizer never stores a
            # zero, so every 0 of the dense input is such an entry.
            zero = g.constant("zero", np.float32(0))
            nan = g.constant("nan", np.float32(np.nan))
            x = g.op("Where", [g.op("Equal", [features, zero]), nan, features])
        attrs: dict[str, list] = {k: [] for k in (
            "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
            "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
            "class_treeids", "class_nodeids", "class_ids", "class_weights")}
        every_column = ensemble.outputs == 2  # two-class graphs: always both scores (see the notes)
        for t, tree in enumerate(ensemble.trees):
            n = len(tree.leaf)
            attrs["nodes_treeids"] += [t] * n
            attrs["nodes_nodeids"] += list(range(n))
            attrs["nodes_featureids"] += [int(v) for v in tree.feature]
            attrs["nodes_modes"] += ["LEAF" if leaf else ensemble.mode for leaf in tree.leaf]
            attrs["nodes_values"] += [float(v) for v in tree.threshold]
            attrs["nodes_truenodeids"] += [int(v) for v in tree.true_child]
            attrs["nodes_falsenodeids"] += [int(v) for v in tree.false_child]
            attrs["nodes_missing_value_tracks_true"] += [int(v) for v in tree.missing_true]
            for node in np.flatnonzero(tree.leaf):
                for k in range(ensemble.outputs):
                    weight = float(np.float32(tree.values[node, k]))
                    if weight == 0.0 and not every_column:
                        continue
                    attrs["class_treeids"].append(t)
                    attrs["class_nodeids"].append(int(node))
                    attrs["class_ids"].append(k)
                    attrs["class_weights"].append(weight)
        scores = g.op(
            "TreeEnsembleClassifier",
            [x],
            domain="ai.onnx.ml",
            outputs=2,
            classlabels_int64s=list(range(ensemble.outputs)),
            post_transform="NONE",
            **attrs,
        )[1]
        # Base scores outside the operator: onnxruntime's two-class rule rewrites base_values.
        total = g.op("Add", [scores, g.constant("base", ensemble.base.astype(np.float32))])
        if ensemble.post == "logistic":
            return g.op("Sigmoid", [total])
        if ensemble.post == "softmax":
            return g.op("Softmax", [total], axis=1)
        return total

    return emit


def _convert_ensemble(clf: Any, ensemble: Ensemble) -> Converted:
    return Converted(ensemble.estimator, _classes(clf), ensemble.probabilities, _emit_ensemble(ensemble), ensemble.used_features)


# -- MLP -----------------------------------------------------------------------------------------

_ACTIVATIONS = {"identity": None, "logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}


def _numpy_activation(name: str, z: np.ndarray) -> np.ndarray:
    if name == "logistic":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return z


def _convert_mlp(clf: Any) -> Converted:
    name = type(clf).__name__
    classes = _classes(clf)
    hidden = str(clf.activation)
    if hidden not in _ACTIVATIONS:
        raise UnsupportedModelError(f"{name} with activation {hidden!r} is not supported")
    out = str(clf.out_activation_)
    if out not in ("softmax", "logistic") or (out == "logistic" and len(classes) != 2):
        raise UnsupportedModelError(f"{name} with output {out!r} for {len(classes)} classes is not supported (multi-label MLPs are not served)")
    weights = [np.asarray(w, dtype=np.float64) for w in clf.coefs_]
    biases = [np.asarray(b, dtype=np.float64) for b in clf.intercepts_]

    def probabilities(features: Any) -> np.ndarray:
        a = features.toarray() if sp.issparse(features) else np.asarray(features)
        a = a.astype(np.float32).astype(np.float64)
        for i, (w, b) in enumerate(zip(weights, biases)):
            a = a @ w + b
            if i < len(weights) - 1:
                a = _numpy_activation(hidden, a)
        if out == "logistic":
            p = 1.0 / (1.0 + np.exp(-a[:, 0]))
            return np.column_stack([1.0 - p, p])
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def emit(g: GraphBuilder, features: str) -> str:
        # float64 inside, as scikit-learn computes: float32 hidden layers drift by ~1e-6.
        a = g.op("Cast", [features], to=TensorProto.DOUBLE)
        for i, (w, b) in enumerate(zip(weights, biases)):
            a = g.op("Add", [g.op("MatMul", [a, g.constant("weights", w, TensorProto.DOUBLE)]), g.constant("bias", b, TensorProto.DOUBLE)])
            if i < len(weights) - 1 and _ACTIVATIONS[hidden] is not None:
                a = g.op(_ACTIVATIONS[hidden], [a])
        if out == "logistic":
            p = g.op("Sigmoid", [a])
            one = g.constant("one", np.float64(1.0), TensorProto.DOUBLE)
            a = g.op("Concat", [g.op("Sub", [one, p]), p], axis=1)
        else:
            a = g.op("Softmax", [a], axis=1)
        return g.op("Cast", [a], to=TensorProto.FLOAT)

    return Converted(name, classes, probabilities, emit, None)


# -- linear members (of a VotingClassifier) --------------------------------------------------------

def _convert_linear_member(clf: Any, width: int) -> Converted:
    layer = extract_linear_layer(clf, width).as_float32()
    if layer.post_transform not in ("logistic", "softmax") or layer.multilabel:
        raise UnsupportedModelError(
            f"{layer.estimator} ({layer.post_transform}) inside a VotingClassifier is not supported; "
            "use LogisticRegression or a supported non-linear member"
        )
    post = layer.post_transform

    def emit(g: GraphBuilder, features: str) -> str:
        _, scores = g.op(
            "LinearClassifier",
            [features],
            domain="ai.onnx.ml",
            outputs=2,
            coefficients=[float(v) for v in layer.coefficients.astype(np.float32).ravel()],
            intercepts=[float(v) for v in layer.intercepts.astype(np.float32)],
            classlabels_ints=list(range(len(layer.classes))),
            post_transform="LOGISTIC" if post == "logistic" else "SOFTMAX",
        )
        return scores

    return Converted(layer.estimator, layer.classes, layer.values, emit, None)


def _convert_voting(clf: Any, width: int, dense: bool) -> Converted:
    name = type(clf).__name__
    if clf.voting != "soft":
        raise UnsupportedModelError(f"{name}(voting='hard') has no probabilities; use voting='soft'")
    classes = _classes(clf)
    members = [_convert(member, width, dense, inner=True) for member in clf.estimators_]
    weights = np.ones(len(members)) if clf.weights is None else np.asarray(
        [w for w in clf.weights if w is not None], dtype=np.float64
    )
    if len(weights) != len(members):
        raise UnsupportedModelError(f"{name}: {len(weights)} weights for {len(members)} fitted members")
    shares = weights / weights.sum()

    def probabilities(features: Any) -> np.ndarray:
        return sum(s * m.probabilities(features) for s, m in zip(shares, members))

    def emit(g: GraphBuilder, features: str) -> str:
        parts = [g.op("Mul", [m.emit(g, features), g.constant("share", np.float32(s))]) for s, m in zip(shares, members)]
        return parts[0] if len(parts) == 1 else g.op("Sum", parts)

    used: list[int] | None = []
    for member in members:
        if member.used_features is None:
            used = None
            break
        used = sorted(set(used or []) | set(member.used_features))
    inner = ", ".join(m.estimator for m in members)
    return Converted(f"{name}({inner})", classes, probabilities, emit, used)


# -- dispatch ------------------------------------------------------------------------------------

def _convert(clf: Any, width: int, dense: bool, inner: bool = False) -> Converted:
    name = type(clf).__name__
    module = type(clf).__module__
    if name in TREE_NAMES and module.startswith("sklearn."):
        return _convert_ensemble(clf, sklearn_tree_ensemble(clf, width, dense))
    if name == "XGBClassifier" and module.startswith("xgboost"):
        return _convert_ensemble(clf, xgboost_ensemble(clf, width, dense))
    if name == "MLPClassifier" and module.startswith("sklearn."):
        return _convert_mlp(clf)
    if name == "VotingClassifier" and module.startswith("sklearn."):
        return _convert_voting(clf, width, dense)
    if name == "SVC":
        raise UnsupportedModelError(
            "SVC(probability=True) is not supported: libsvm's probabilities (Platt scaling fitted by "
            "internal cross-validation, then pairwise coupling) are not reproduced exactly by an ONNX "
            "SVMClassifier; use LinearSVC or LogisticRegression, or export your own ONNX with --onnx"
        )
    if name == "CalibratedClassifierCV":
        raise UnsupportedModelError(
            "CalibratedClassifierCV is not supported yet; serve its base estimator, or export the "
            "calibrated model as ONNX yourself and bring it with --onnx"
        )
    if inner:
        return _convert_linear_member(clf, width)
    raise UnsupportedModelError(f"unsupported classifier {module}.{name}")


def _label_indices(values: np.ndarray) -> np.ndarray:
    return np.argmax(values, axis=1)


def near_tie(values: np.ndarray, gap: float = 1e-6) -> np.ndarray:
    """Rows whose two largest probabilities are within `gap`: float32 may order them either way."""
    if values.shape[1] < 2:
        return np.zeros(values.shape[0], dtype=bool)
    top = np.sort(values, axis=1)
    return top[:, -1] - top[:, -2] <= gap


def model_input(features: Any, dense: bool) -> Any:
    return features.toarray() if dense and sp.issparse(features) else features


def convert_nonlinear(clf: Any, width: int, dense: bool, known_rows: Any = None) -> Converted:
    """The verified graph of a fitted non-linear classifier; UnsupportedModelError otherwise."""
    converted = _convert(clf, width, dense)
    probe = probe_features(width, known_rows)
    if dense:
        # A densified pipeline's zeros are values; also probe rows at tree thresholds' scale.
        probe = sp.csr_matrix(probe)
    expected = np.asarray(clf.predict_proba(model_input(probe, dense)), dtype=np.float64)
    got = converted.probabilities(probe)
    if got.shape != expected.shape:
        raise UnsupportedModelError(f"{converted.estimator}: probabilities of shape {got.shape}, sklearn gives {expected.shape}")
    difference = float(np.max(np.abs(got - expected)))
    if not difference <= 1e-5:
        raise UnsupportedModelError(f"{converted.estimator}: the converted model differs from predict_proba by up to {difference:.3g}")
    predicted = [label_value(v) for v in np.asarray(clf.predict(model_input(probe, dense))).ravel()]
    ours = _label_indices(got)
    ties = near_tie(expected)
    for row, (mine, theirs) in enumerate(zip(ours, predicted)):
        if converted.classes[mine] != theirs and not ties[row]:
            raise UnsupportedModelError(f"{converted.estimator}: predicted label differs on probe row {row}")
    return converted


def build_nonlinear_onnx(converted: Converted, width: int, name: str) -> onnx.ModelProto:
    g = GraphBuilder()
    output = converted.emit(g, "features")
    g.nodes.append(helper.make_node("Identity", [output], ["probabilities"], name="probabilities"))
    graph = helper.make_graph(
        g.nodes,
        f"sift_{name}".replace("-", "_").replace(".", "_"),
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", width])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(converted.classes)])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", ONNX_ML_OPSET)],
        producer_name="sift-export",
        producer_version="2",
    )
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model
