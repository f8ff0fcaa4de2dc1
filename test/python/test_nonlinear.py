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
