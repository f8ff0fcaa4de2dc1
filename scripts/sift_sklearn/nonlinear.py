"""Non-linear classifiers → an ONNX graph `features` float32 [N, width] → `probabilities` float32
[N, C], served by onnxruntime only (classifier.json kind "onnx", docs/bundle-format.md).

Every converter yields a `Converted`: the graph part (built with onnx.helper) and the same
computation in numpy. `convert_nonlinear` compares the numpy side against the estimator's own
predict_proba / predict on probe rows and refuses the model when they disagree, so a graph is never
written on the strength of an estimator's name alone. The server takes the label from the
probabilities (first maximum, as scikit-learn), never from a `label` output.

Supported: DecisionTree / RandomForest / ExtraTrees / GradientBoosting / HistGradientBoosting
classifiers (trees.py), XGBClassifier, MLPClassifier, soft VotingClassifier of supported members
(linear members with logistic or softmax outputs too), CalibratedClassifierCV (sigmoid, isotonic)
over any of those or a linear classifier.
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
from .onnx_graph import checked_model
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
ONNX_ML_OPSET = 3  # TreeEnsembleClassifier 3 (LinearClassifier is the same in every version)


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
    # What CalibratedClassifierCV feeds its calibrators (sklearn's _compute_predictions): the
    # decision_function as [N, k] columns, or predict_proba (binary: its second column only).
    decision: Callable[[Any], np.ndarray] | None = None
    emit_decision: Callable[[GraphBuilder, str], str] | None = None
    multilabel: bool = False  # sequence models: one sigmoid per label


def _classes(clf: Any) -> list:
    classes = getattr(clf, "classes_", None)
    if classes is None:
        raise UnsupportedModelError(f"{type(clf).__name__} is not fitted")
    if np.asarray(classes).ndim != 1:
        raise UnsupportedModelError(f"{type(clf).__name__} was fitted on several outputs; Sift serves one target")
    return [label_value(c) for c in classes]


# -- tree ensembles ------------------------------------------------------------------------------

def _emit_ensemble(ensemble: Ensemble, raw: bool = False) -> Callable[[GraphBuilder, str], str]:
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
        if raw:
            return total
        if ensemble.post == "logistic":
            return g.op("Sigmoid", [total])
        if ensemble.post == "softmax":
            return g.op("Softmax", [total], axis=1)
        return total

    return emit


def _second_column_when_binary(g: GraphBuilder, values: str, classes: int) -> str:
    if classes != 2:
        return values
    return g.op("Slice", [values, g.constant("from", np.array([1]), TensorProto.INT64), g.constant("to", np.array([2]), TensorProto.INT64), g.constant("axis", np.array([1]), TensorProto.INT64)])


def _proba_decision(converted: Converted) -> Converted:
    """decision = predict_proba (binary: its second column), for estimators without decision_function."""
    classes = len(converted.classes)
    converted.decision = lambda x: converted.probabilities(x)[:, 1:] if classes == 2 else converted.probabilities(x)
    converted.emit_decision = lambda g, f: _second_column_when_binary(g, converted.emit(g, f), classes)
    return converted


def _convert_ensemble(clf: Any, ensemble: Ensemble) -> Converted:
    converted = Converted(ensemble.estimator, _classes(clf), ensemble.probabilities, _emit_ensemble(ensemble), ensemble.used_features)
    if not hasattr(clf, "decision_function"):
        return _proba_decision(converted)
    if getattr(clf, "loss", "") == "exponential":
        return converted  # its trees are written doubled: no plain decision_function to calibrate
    classes = len(converted.classes)
    converted.decision = lambda x: ensemble.scores(x)[:, 1:] if classes == 2 else ensemble.scores(x)
    raw = _emit_ensemble(ensemble, raw=True)
    converted.emit_decision = lambda g, f: _second_column_when_binary(g, raw(g, f), classes)
    return converted


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

    return _proba_decision(Converted(name, classes, probabilities, emit, None))


# -- linear members (of a VotingClassifier) --------------------------------------------------------

def _convert_linear_member(clf: Any, width: int) -> Converted:
    layer = extract_linear_layer(clf, width).as_float32()
    if layer.post_transform not in ("logistic", "softmax") or layer.multilabel:
        raise UnsupportedModelError(
            f"{layer.estimator} ({layer.post_transform}) inside a VotingClassifier is not supported; "
            "use LogisticRegression or a supported non-linear member"
        )
    post = "LOGISTIC" if layer.post_transform == "logistic" else "SOFTMAX"
    return Converted(layer.estimator, layer.classes, layer.values, lambda g, f: _emit_linear(g, f, layer, post), None)


def _emit_linear(g: GraphBuilder, features: str, layer: Any, post_transform: str) -> str:
    """An ai.onnx.ml LinearClassifier of the layer's float32 weights; returns its scores output."""
    _, scores = g.op(
        "LinearClassifier",
        [features],
        domain="ai.onnx.ml",
        outputs=2,
        coefficients=[float(v) for v in layer.coefficients.astype(np.float32).ravel()],
        intercepts=[float(v) for v in layer.intercepts.astype(np.float32)],
        classlabels_ints=list(range(len(layer.classes))),
        post_transform=post_transform,
    )
    return scores


def _linear_decision(clf: Any, width: int) -> Converted:
    """A linear base estimator's decision_function (calibration input): z, binary → d = z[1]."""
    layer = extract_linear_layer(clf, width).as_float32()
    if layer.multilabel:
        raise UnsupportedModelError(f"{layer.estimator}: multi-label models cannot be calibrated here")
    classes = len(layer.classes)

    def decision(features: Any) -> np.ndarray:
        z = layer.raw(features)
        return z[:, 1:] if classes == 2 else z

    def emit(g: GraphBuilder, features: str) -> str:
        return _second_column_when_binary(g, _emit_linear(g, features, layer, "NONE"), classes)

    def no_probabilities(_: Any) -> np.ndarray:
        raise UnsupportedModelError(f"{layer.estimator} is only supported here as a calibrated base")

    return Converted(layer.estimator, layer.classes, no_probabilities, emit, None, decision=decision, emit_decision=emit)


def _calibrator(calibrator: Any, where: str) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[GraphBuilder, str], str]]:
    """One fitted calibrator: numpy (float64, as sklearn) and the graph (float64 [N, 1] in and out)."""
    name = type(calibrator).__name__
    if name == "_SigmoidCalibration":
        a, b = float(calibrator.a_), float(calibrator.b_)
        numpy = lambda t: 1.0 / (1.0 + np.exp(a * t + b))  # noqa: E731 - expit(-(a t + b))

        def emit(g: GraphBuilder, t: str) -> str:
            z = g.op("Add", [g.op("Mul", [t, g.constant("a", np.float64(-a), TensorProto.DOUBLE)]), g.constant("b", np.float64(-b), TensorProto.DOUBLE)])
            return g.op("Sigmoid", [z])

        return numpy, emit
    if name == "IsotonicRegression":
        if getattr(calibrator, "out_of_bounds", "clip") != "clip" or not getattr(calibrator, "increasing_", True) in (True, False):
            raise UnsupportedModelError(f"{where}: IsotonicRegression with out_of_bounds={calibrator.out_of_bounds!r} is not supported")
        x = np.asarray(calibrator.X_thresholds_, dtype=np.float64)
        y = np.asarray(calibrator.y_thresholds_, dtype=np.float64)
        if len(x) > 1 and not np.all(np.diff(x) > 0):
            raise UnsupportedModelError(f"{where}: isotonic thresholds are not strictly increasing")

        def numpy(t: np.ndarray) -> np.ndarray:
            return np.asarray(calibrator.predict(t), dtype=np.float64)

        def emit(g: GraphBuilder, t: str) -> str:
            if len(x) == 1:
                return g.op("Add", [g.op("Mul", [t, g.constant("zero", np.float64(0), TensorProto.DOUBLE)]), g.constant("y", np.float64(y[0]), TensorProto.DOUBLE)])
            # y0 + Σ slope_i · (clip(t, x_i, x_{i+1}) − x_i): np.interp's value, clipped at both ends.
            low, high = x[:-1].reshape(1, -1), x[1:].reshape(1, -1)
            slopes = (np.diff(y) / np.diff(x)).reshape(1, -1)
            clipped = g.op("Min", [g.op("Max", [t, g.constant("low", low, TensorProto.DOUBLE)]), g.constant("high", high, TensorProto.DOUBLE)])
            parts = g.op("Mul", [g.op("Sub", [clipped, g.constant("low", low, TensorProto.DOUBLE)]), g.constant("slopes", slopes, TensorProto.DOUBLE)])
            total = g.op("ReduceSum", [parts, g.constant("axes", np.array([1]), TensorProto.INT64)], keepdims=1)
            return g.op("Add", [total, g.constant("y0", np.float64(y[0]), TensorProto.DOUBLE)])

        return numpy, emit
    raise UnsupportedModelError(f"{where}: calibrator {name} is not supported")


def _convert_calibrated(clf: Any, width: int, dense: bool) -> Converted:
    name = type(clf).__name__
    classes = _classes(clf)
    parts = []
    for index, calibrated in enumerate(clf.calibrated_classifiers_):
        base = getattr(calibrated, "estimator", None) or getattr(calibrated, "base_estimator", None)
        where = f"{name}.calibrated_classifiers_[{index}]"
        try:
            member = _convert(base, width, dense, inner=False)
        except UnsupportedModelError:
            member = _linear_decision(base, width)
        if member.decision is None or member.emit_decision is None:
            raise UnsupportedModelError(f"{where}: {member.estimator} cannot be calibrated here (exponential loss)")
        positions = [classes.index(label_value(c)) for c in base.classes_]
        calibrators = [_calibrator(c, where) for c in calibrated.calibrators]
        parts.append((member, positions, calibrators))
    count = len(classes)

    def probabilities(features: Any) -> np.ndarray:
        total = np.zeros((features.shape[0], count))
        for member, positions, calibrators in parts:
            decision = member.decision(features)
            proba = np.zeros((features.shape[0], count))
            for column, position, (numpy, _) in zip(decision.T, positions, calibrators):
                proba[:, position + 1 if count == 2 else position] = numpy(column)
            if count == 2:
                proba[:, 0] = 1.0 - proba[:, 1]
            else:
                denominator = proba.sum(axis=1, keepdims=True)
                proba = np.divide(proba, denominator, out=np.full_like(proba, 1.0 / count), where=denominator != 0)
            total += proba
        return total / len(parts)

    def emit(g: GraphBuilder, features: str) -> str:
        members = []
        one = g.constant("one", np.float64(1.0), TensorProto.DOUBLE)
        for member, positions, calibrators in parts:
            decision = g.op("Cast", [member.emit_decision(g, features)], to=TensorProto.DOUBLE)
            columns = {}
            for k, (position, (_, emit_one)) in enumerate(zip(positions, calibrators)):
                column = g.op("Slice", [decision, g.constant("from", np.array([k]), TensorProto.INT64), g.constant("to", np.array([k + 1]), TensorProto.INT64), g.constant("axis", np.array([1]), TensorProto.INT64)])
                columns[position + 1 if count == 2 else position] = emit_one(g, column)
            if count == 2:
                members.append(g.op("Concat", [g.op("Sub", [one, columns[1]]), columns[1]], axis=1))
                continue
            zero = g.op("Mul", [g.op("Slice", [decision, g.constant("from", np.array([0]), TensorProto.INT64), g.constant("to", np.array([1]), TensorProto.INT64), g.constant("axis", np.array([1]), TensorProto.INT64)]), g.constant("zero", np.float64(0), TensorProto.DOUBLE)])
            proba = g.op("Concat", [columns.get(k, zero) for k in range(count)], axis=1)
            # A row whose calibrated values are all 0 becomes uniform, as in sklearn.
            denominator = g.op("ReduceSum", [proba, g.constant("axes", np.array([1]), TensorProto.INT64)], keepdims=1)
            is_zero = g.op("Equal", [denominator, g.constant("zero", np.float64(0), TensorProto.DOUBLE)])
            uniform = g.constant("uniform", np.float64(1.0 / count), TensorProto.DOUBLE)
            safe = g.op("Where", [is_zero, one, denominator])
            members.append(g.op("Where", [is_zero, uniform, g.op("Div", [proba, safe])]))
        mean = members[0] if len(members) == 1 else g.op("Mul", [g.op("Sum", members), g.constant("share", np.float64(1.0 / len(members)), TensorProto.DOUBLE)])
        return g.op("Cast", [mean], to=TensorProto.FLOAT)

    used: list[int] | None = []
    for member, _, _ in parts:
        if member.used_features is None:
            used = None
            break
        used = sorted(set(used or []) | set(member.used_features))
    methods = sorted({type(c).__name__.strip("_") for cc in clf.calibrated_classifiers_ for c in cc.calibrators})
    return Converted(f"{name}({parts[0][0].estimator}, {'/'.join(methods)})", classes, probabilities, emit, used)


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
            "SVC(probability=True) is not supported: onnxruntime's SVMClassifier reproduces its "
            "probabilities (libsvm's pairwise coupling), but SVC.predict is not "
            "their argmax (libsvm votes over the pairwise decisions), so Sift's labels would differ from "
            "sklearn's on some rows; use LinearSVC or LogisticRegression (optionally in CalibratedClassifierCV), "
            "or export your own ONNX with --onnx"
        )
    if name == "CalibratedClassifierCV" and module.startswith("sklearn."):
        return _convert_calibrated(clf, width, dense)
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
    return checked_model(graph, ONNX_ML_OPSET, "2")
