"""Non-linear classifiers (classifier.json kind onnx): conversion checks, XGBoost's missing values,
refusals that name the estimator and what to do instead."""
import json
import os

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sift_sklearn import UnsupportedModelError, export_bundle
from sift_sklearn.corpus import synthetic_rows
from sift_sklearn.densify import Densify
from sift_sklearn.trees import float32_at_most, xgboost_ensemble

ROWS = synthetic_rows(240, 21, include_hard=True)
TEXTS = [r.text for r in ROWS]
BINARY = [r.disaster for r in ROWS]
SENTIMENT = [r.sentiment for r in ROWS]
GOLDEN = [{"text": t} for t in TEXTS[:12]]


def _export(tmp_path, clf, labels, steps=()):
    pipeline = Pipeline([("vec", TfidfVectorizer(max_features=400)), *steps, ("clf", clf)]).fit(TEXTS, labels)
    out = tmp_path / "bundle"
    export_bundle(pipeline, str(out), name="m", golden_inputs=GOLDEN, created_at="2024-01-01T00:00:00Z")
    return json.loads((out / "classifier.json").read_text()), json.loads((out / "card.json").read_text())


def test_writes_a_version_2_onnx_classifier(tmp_path):
    classifier, card = _export(tmp_path, RandomForestClassifier(n_estimators=5, random_state=0), SENTIMENT)
    assert classifier["format_version"] == 2 and classifier["kind"] == "onnx"
    assert classifier["estimator"] == "RandomForestClassifier" and classifier["classes"] == 3
    assert classifier["used_features"] == sorted(set(classifier["used_features"]))
    assert card["task"] == "multiclass" and len(card["golden"]) > 0


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_every_mlp_activation(tmp_path, activation):
    clf = MLPClassifier(hidden_layer_sizes=(6,), activation=activation, max_iter=50, random_state=0)
    classifier, _ = _export(tmp_path, clf, BINARY)
    assert classifier["used_features"] is None


def test_gradient_boosting_exponential_loss(tmp_path):
    clf = GradientBoostingClassifier(n_estimators=10, loss="exponential", random_state=0)
    classifier, _ = _export(tmp_path, clf, BINARY)
    assert classifier["estimator"] == "GradientBoostingClassifier"


def test_hist_gradient_boosting_needs_a_densify_step(tmp_path):
    vec = TfidfVectorizer(max_features=300).fit(TEXTS)
    clf = HistGradientBoostingClassifier(max_iter=5).fit(vec.transform(TEXTS).toarray(), BINARY)
    with pytest.raises(UnsupportedModelError, match="HistGradientBoostingClassifier needs dense input: put sift_sklearn.Densify"):
        export_bundle(Pipeline([("vec", vec), ("clf", clf)]), str(tmp_path / "b"), name="m")
    classifier, _ = _export(tmp_path, HistGradientBoostingClassifier(max_iter=5), BINARY, [("dense", Densify())])
    assert classifier["kind"] == "onnx"


def test_svc_is_refused_with_the_reason_and_what_to_do(tmp_path):
    with pytest.raises(UnsupportedModelError, match=r"SVC\(probability=True\).*pairwise coupling.*LinearSVC"):
        _export(tmp_path, SVC(probability=True, random_state=0), BINARY)


def test_float32_at_most_keeps_sklearn_comparisons():
    rng = np.random.default_rng(0)
    thresholds = rng.random(2000)
    t32 = float32_at_most(thresholds)
    x = np.concatenate([t32, np.nextafter(t32, np.float32(1)), np.nextafter(t32, np.float32(0))])
    t = np.concatenate([thresholds] * 3)
    t32 = np.concatenate([t32] * 3)
    assert np.array_equal(x.astype(np.float64) <= t, x <= t32)


xgboost = pytest.importorskip("xgboost")


def test_xgboost_reads_absent_csr_entries_as_missing():
    """Measured, not assumed: a model fitted on CSR input gives the CSR matrix's answers for the
    dense copy with NaN where entries were absent, and different ones for the dense copy with 0."""
    rng = np.random.default_rng(1)
    X = sp.random(400, 30, density=0.15, format="csr", random_state=rng, dtype=np.float32)
    y = (np.asarray(X[:, :5].sum(axis=1)).ravel() > 0.3).astype(int)
    clf = xgboost.XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1, random_state=0).fit(X, y)
    dense_nan = X.toarray()
    dense_nan[dense_nan == 0] = np.nan
    assert np.array_equal(clf.predict_proba(X), clf.predict_proba(dense_nan))
    assert not np.allclose(clf.predict_proba(X), clf.predict_proba(X.toarray()))
    ensemble = xgboost_ensemble(clf, 30, dense=False)
    assert ensemble.missing_absent
    assert np.max(np.abs(ensemble.probabilities(X) - clf.predict_proba(X))) < 1e-6


def test_xgboost_early_stopping_is_refused(tmp_path):
    labels = BINARY
    clf = xgboost.XGBClassifier(n_estimators=50, early_stopping_rounds=2, n_jobs=1)
    vec = TfidfVectorizer(max_features=300).fit(TEXTS)
    X = vec.transform(TEXTS)
    clf.fit(X[:200], labels[:200], eval_set=[(X[200:], labels[200:])], verbose=False)
    if clf.best_iteration + 1 >= 50:
        pytest.skip("no early stop happened")
    pipeline = Pipeline([("vec", vec), ("clf", clf)])
    with pytest.raises(UnsupportedModelError, match="early stopping.*n_estimators=best_iteration"):
        export_bundle(pipeline, str(tmp_path / "b"), name="m")


def test_decision_tree_thresholds_between_float32_neighbours(tmp_path):
    # Features that differ only after float32 rounding: the exporter still matches predict_proba.
    clf = DecisionTreeClassifier(random_state=0)
    classifier, card = _export(tmp_path, clf, SENTIMENT)
    assert os.path.exists(tmp_path / "bundle" / "model.onnx") and card["golden"]


# -- bring your own ONNX --------------------------------------------------------------------------

from onnx import TensorProto, helper  # noqa: E402

from sift_sklearn.byo import export_onnx_bundle, prepare_graph  # noqa: E402


def _linear_graph(width, classes, zipmap=False, input_shape=("N", None), op_domain=""):
    w = np.random.default_rng(0).normal(size=(width, classes)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    outputs = [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", classes])]
    if zipmap:
        nodes.append(helper.make_node("ZipMap", ["probs"], ["output_probability"], domain="ai.onnx.ml", classlabels_int64s=list(range(classes))))
        outputs = [helper.make_tensor_value_info("output_probability", TensorProto.UNDEFINED, None)]
        import onnx as _onnx

        entry = _onnx.TypeProto()
        entry.map_type.key_type = TensorProto.INT64
        entry.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
        outputs[0].type.sequence_type.elem_type.CopyFrom(entry)
    dims = [input_shape[0], width if input_shape[1] is None else input_shape[1]]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)], outputs,
        initializer=[helper.make_tensor("w", TensorProto.FLOAT, [width, classes], w.ravel().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    return model, w


def _softmax_object(w):
    def predict(x):
        z = np.asarray(x, dtype=np.float32) @ w
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return predict


def test_byo_onnx_with_a_zipmap_is_served_through_its_tensor(tmp_path):
    vec = TfidfVectorizer(max_features=50).fit(TEXTS)
    model, w = _linear_graph(len(vec.vocabulary_), 3, zipmap=True)
    export_onnx_bundle(vec, model, str(tmp_path / "b"), name="m", classes=["a", "b", "c"], model_object=_softmax_object(w), golden_inputs=GOLDEN)
    written = __import__("onnx").load(str(tmp_path / "b" / "model.onnx"))
    assert [i.name for i in written.graph.input] == ["features"]
    assert [o.name for o in written.graph.output] == ["probabilities"]
    assert "ZipMap" not in {n.op_type for n in written.graph.node}
    card = json.loads((tmp_path / "b" / "card.json").read_text())
    assert card["training"]["onnx"]["scored_by"] in ("onnxruntime", "model object")


@pytest.mark.parametrize(
    "case, message",
    [
        ("width", r"takes 7 features; the vectorizer makes 50"),
        ("batch", r"fixed batch size 1; export it with a dynamic first axis"),
        ("domain", r"custom operators"),
        ("classes", r"has 3 columns; expected 2"),
        ("nothing", r"nothing can score the golden examples"),
        ("logits", r"not probabilities .* --post-transform softmax"),
    ],
)
def test_byo_onnx_refusals_say_why(tmp_path, case, message):
    vec = TfidfVectorizer(max_features=50).fit(TEXTS)
    width = len(vec.vocabulary_)
    model, w = _linear_graph(width, 3, input_shape=("N", 7) if case == "width" else (1, None) if case == "batch" else ("N", None))
    classes = ["a", "b"] if case == "classes" else ["a", "b", "c"]
    model_object = None if case == "nothing" else _softmax_object(w)
    if case == "domain":
        model.graph.node.append(helper.make_node("Mystery", ["probs"], ["mystery"], domain="com.example"))
    if case == "logits":
        model_object = lambda x: np.asarray(x, dtype=np.float32) @ w  # noqa: E731
    try:
        import onnxruntime  # noqa: F401
        if case == "nothing":
            pytest.skip("onnxruntime is installed: it scores the golden examples")
    except ImportError:
        pass
    with pytest.raises(UnsupportedModelError, match=message):
        export_onnx_bundle(vec, model, str(tmp_path / "b"), name="m", classes=classes, model_object=model_object, golden_inputs=GOLDEN, output="logits" if case == "logits" else None)


def test_byo_onnx_logits_with_a_declared_softmax(tmp_path):
    vec = TfidfVectorizer(max_features=50).fit(TEXTS)
    model, w = _linear_graph(len(vec.vocabulary_), 3)
    prepared = prepare_graph(model, len(vec.vocabulary_), 3, output=None, post_transform="softmax")
    assert [n.op_type for n in prepared.graph.node][-2:] == ["Softmax", "Identity"]


torch = pytest.importorskip("torch")


def test_torch_example_writes_a_servable_bundle(tmp_path):
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "torch_mlp_example.py")
    done = subprocess.run([sys.executable, script, "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    classifier = json.loads((tmp_path / "bundle" / "classifier.json").read_text())
    assert classifier["kind"] == "onnx" and classifier["estimator"].startswith("PyTorch MLP")
    assert len(json.loads((tmp_path / "bundle" / "card.json").read_text())["golden"]) > 0


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
@pytest.mark.parametrize("base", ["linearsvc", "forest", "mlp"])
def test_calibrated_classifiers(tmp_path, method, base):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    estimator = {
        "linearsvc": LinearSVC(random_state=0),
        "forest": RandomForestClassifier(n_estimators=5, random_state=0),
        "mlp": MLPClassifier(hidden_layer_sizes=(4,), max_iter=30, random_state=0),
    }[base]
    labels = np.array(SENTIMENT if base == "forest" else BINARY)
    classifier, card = _export(tmp_path, CalibratedClassifierCV(estimator, method=method, cv=2), labels)
    assert classifier["estimator"].startswith("CalibratedClassifierCV(")
    assert card["golden"]
