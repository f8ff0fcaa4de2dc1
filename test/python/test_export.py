import json
import os
import pickle
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from conftest import REPO
from sift_sklearn import UnsupportedModelError, export_bundle
from sift_sklearn.classifiers import extract_linear_layer
from sift_sklearn.corpus import synthetic_rows
from sift_sklearn.hard_strings import HARD_STRINGS

ROWS = synthetic_rows(240, 21, include_hard=True)
TEXTS = [r.text for r in ROWS]
BINARY = [r.disaster for r in ROWS]
SENTIMENT = [r.sentiment for r in ROWS]
MULTILABEL = np.array([[r.toxic, r.obscene, r.insult] for r in ROWS])
GOLDEN = [{"text": t} for t in HARD_STRINGS[:10] + tuple(TEXTS[:10])]

CLASSIFIERS = {
    "lr-binary": (lambda: LogisticRegression(max_iter=2000), BINARY, "logistic"),
    "lr-multinomial": (lambda: LogisticRegression(max_iter=2000), SENTIMENT, "softmax"),
    "sgd-log-binary": (lambda: SGDClassifier(loss="log_loss", random_state=0), BINARY, "logistic"),
    "sgd-log-multiclass": (lambda: SGDClassifier(loss="log_loss", random_state=0), SENTIMENT, "logistic_l1"),
    "sgd-huber-binary": (lambda: SGDClassifier(loss="modified_huber", random_state=0), BINARY, "modified_huber"),
    "sgd-huber-multiclass": (lambda: SGDClassifier(loss="modified_huber", random_state=0), SENTIMENT, "modified_huber"),
    "sgd-hinge": (lambda: SGDClassifier(random_state=0), SENTIMENT, "none"),
    "svc-binary": (lambda: LinearSVC(random_state=0), BINARY, "none"),
    "ridge-multiclass": (lambda: RidgeClassifier(), SENTIMENT, "none"),
    "mnb": (lambda: MultinomialNB(), SENTIMENT, "softmax"),
    "cnb-binary": (lambda: ComplementNB(), BINARY, "softmax"),
    "cnb-multiclass": (lambda: ComplementNB(), SENTIMENT, "softmax"),
    "ovr-lr-multiclass": (lambda: OneVsRestClassifier(LogisticRegression(max_iter=2000)), SENTIMENT, "logistic_l1"),
    "ovr-lr-multilabel": (lambda: OneVsRestClassifier(LogisticRegression(max_iter=2000)), MULTILABEL, "logistic"),
    "ovr-mnb-multilabel": (lambda: OneVsRestClassifier(MultinomialNB()), MULTILABEL, "logistic"),
    "ovr-cnb-multilabel": (lambda: OneVsRestClassifier(ComplementNB()), MULTILABEL, "logistic"),
    "ovr-svc-multilabel": (lambda: OneVsRestClassifier(LinearSVC(random_state=0)), MULTILABEL, "none"),
}


def _fit(clf, y, vec=None):
    return Pipeline([("vec", vec or TfidfVectorizer(ngram_range=(1, 2))), ("clf", clf)]).fit(TEXTS, y)


def _read(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


def _node_onnx(folder, features):
    """Run model.onnx in onnxruntime-node (what the server uses)."""
    script = (
        "const ort=require(process.argv[1]);const fs=require('fs');(async()=>{"
        "const {rows,width}=JSON.parse(fs.readFileSync(0,'utf8'));"
        "const s=await ort.InferenceSession.create(process.argv[2]);"
        "const out=await s.run({features:new ort.Tensor('float32',Float32Array.from(rows.flat()),[rows.length,width])});"
        "const r={};for(const k of s.outputNames)r[k]=Array.from(out[k].data,v=>typeof v==='bigint'?Number(v):v);"
        "process.stdout.write(JSON.stringify(r));})();"
    )
    ort = os.path.join(REPO, "node_modules", "onnxruntime-node")
    if shutil.which("node") is None or not os.path.isdir(ort):
        pytest.skip("node or onnxruntime-node not available")
    dense = features.toarray().astype(np.float32)
    payload = json.dumps({"rows": dense.tolist(), "width": dense.shape[1]})
    done = subprocess.run(
        ["node", "-e", script, ort, os.path.join(folder, "model.onnx")],
        input=payload.encode(),
        capture_output=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize("kind", sorted(CLASSIFIERS))
def test_every_classifier_kind_exports_and_onnx_matches_sklearn(kind, tmp_path):
    build, y, post = CLASSIFIERS[kind]
    pipeline = _fit(build(), y)
    folder = str(tmp_path / kind)
    result = export_bundle(pipeline, folder, name=kind, golden_inputs=GOLDEN, created_at="2024-01-01T00:00:00Z")
    assert result["post_transform"] == post
    assert sorted(os.listdir(folder)) == ["card.json", "classifier.json", "model.onnx", "unicode.json", "vectorizer.json"]
    card = json.load(open(os.path.join(folder, "card.json"), encoding="utf-8"))
    classifier = json.load(open(os.path.join(folder, "classifier.json"), encoding="utf-8"))
    assert classifier["post_transform"] == post
    assert len(card["golden"]) == len(GOLDEN)

    features = pipeline[:-1].transform([g["text"] for g in GOLDEN])
    out = _node_onnx(folder, features)
    values = np.array(out["scores" if post == "none" else "probabilities"]).reshape(len(GOLDEN), -1)
    expected = np.array([g["values"] for g in card["golden"]])
    tolerance = 1e-6 * np.maximum(1.0, np.abs(expected)) if post == "none" else 1e-6
    assert np.all(np.abs(values - expected) <= tolerance), np.max(np.abs(values - expected))
    if classifier["multilabel"]:
        positives = [[card["classes"][j]["value"] for j in np.flatnonzero(row > (0 if post == "none" else 0.5))] for row in values]
        assert positives == [g["label"] for g in card["golden"]]
    else:
        labels = [card["classes"][i]["value"] for i in out["label"]]
        assert labels == [g["label"] for g in card["golden"]]


def test_reexport_is_byte_identical_apart_from_created_at(tmp_path):
    pipeline = _fit(LogisticRegression(max_iter=2000), SENTIMENT)
    first, second = str(tmp_path / "a"), str(tmp_path / "b")
    export_bundle(pipeline, first, name="m", golden_inputs=GOLDEN, created_at="2024-01-01T00:00:00Z")
    export_bundle(pickle.loads(pickle.dumps(pipeline)), second, name="m", golden_inputs=GOLDEN)
    a, b = _read(first), _read(second)
    assert a.keys() == b.keys()
    for name in a:
        if name != "card.json":
            assert a[name] == b[name], name
    card_a, card_b = json.loads(a["card.json"]), json.loads(b["card.json"])
    assert card_a.pop("created_at") != card_b.pop("created_at")
    assert card_a == card_b


def test_column_transformer_blocks_fields_weights_and_card(tmp_path):
    frame = pd.DataFrame({"text": TEXTS, "keyword": [r.keyword for r in ROWS], "location": [r.location for r in ROWS]})
    pipeline = Pipeline(
        [
            (
                "f",
                ColumnTransformer(
                    [
                        ("w", TfidfVectorizer(), "text"),
                        ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)), "text"),
                        ("k", Pipeline([("count", CountVectorizer()), ("tfidf", TfidfTransformer(norm=None))]), "keyword"),
                        ("l", CountVectorizer(binary=True), "location"),
                    ],
                    transformer_weights={"c": 0.5, "k": 2.0},
                ),
            ),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    ).fit(frame, BINARY)
    folder = str(tmp_path / "ct")
    export_bundle(
        pipeline,
        folder,
        name="ct",
        title="CT",
        class_names="0=Calm,1=Disaster",
        inputs={"text": "Tweet", "keyword": {"label": "Keyword", "example": "fire"}},
        examples=[{"title": "One", "inputs": {"text": "fire!", "keyword": "fire"}}],
        golden_inputs=[{"text": "fire near the forest", "location": "İstanbul"}],
    )
    vectorizer = json.load(open(os.path.join(folder, "vectorizer.json"), encoding="utf-8"))
    assert [b["field"] for b in vectorizer["blocks"]] == ["text", "text", "keyword", "location"]
    assert [b["weight"] for b in vectorizer["blocks"]] == [1.0, 0.5, 2.0, 1.0]
    assert [b["kind"] for b in vectorizer["blocks"]] == ["tfidf", "tfidf", "tfidf", "count"]
    assert vectorizer["blocks"][2]["norm"] is None and vectorizer["blocks"][3]["idf"] is None
    offsets = np.cumsum([0] + [b["width"] for b in vectorizer["blocks"]])
    assert [b["offset"] for b in vectorizer["blocks"]] == list(offsets[:-1])
    assert vectorizer["width"] == offsets[-1]
    card = json.load(open(os.path.join(folder, "card.json"), encoding="utf-8"))
    assert [i["name"] for i in card["inputs"]] == ["text", "keyword", "location"]
    assert [i["label"] for i in card["inputs"]] == ["Tweet", "Keyword", "Location"]
    assert card["inputs"][0]["required"] and not card["inputs"][1]["required"]
    assert card["inputs"][1]["example"] == "fire"
    assert card["classes"] == [{"value": 0, "name": "Calm"}, {"value": 1, "name": "Disaster"}]
    assert card["examples"][0]["inputs"] == {"text": "fire!", "keyword": "fire", "location": ""}
    assert card["golden"][0]["inputs"] == {"text": "fire near the forest", "keyword": "", "location": "İstanbul"}
    assert card["task"] == "binary" and card["positive_class"] == 1 and card["threshold"] == 0.5


def test_vectorizer_options_are_exported_exactly(tmp_path):
    vec = TfidfVectorizer(
        lowercase=False,
        strip_accents="unicode",
        stop_words="english",
        ngram_range=(1, 3),
        binary=True,
        sublinear_tf=True,
        norm="l1",
        smooth_idf=False,
        max_features=300,
        token_pattern=r"[#@]?(\w\w+)",
    )
    pipeline = _fit(LogisticRegression(max_iter=2000), BINARY, vec)
    export_bundle(pipeline, str(tmp_path), name="v")
    block = json.load(open(tmp_path / "vectorizer.json", encoding="utf-8"))["blocks"][0]
    fitted = pipeline.named_steps["vec"]
    assert block["vocabulary"] == sorted(fitted.vocabulary_, key=fitted.vocabulary_.get)
    assert block["idf"] == [float(x) for x in fitted.idf_]
    assert block["stop_words"] == sorted(fitted.get_stop_words()) and len(block["stop_words"]) == 318
    assert (block["lowercase"], block["strip_accents"], block["ngram_range"]) == (False, "unicode", [1, 3])
    assert (block["binary"], block["sublinear_tf"], block["norm"], block["use_idf"]) == (True, True, "l1", True)
    assert block["token_pattern"] == r"[#@]?(\w\w+)" and block["stemmer"] is None


def test_string_labels_and_grid_search(tmp_path):
    search = GridSearchCV(
        Pipeline([("vec", TfidfVectorizer()), ("clf", LogisticRegression(max_iter=2000))]),
        {"clf__C": [0.5, 2.0]},
        cv=2,
    ).fit(TEXTS, SENTIMENT)
    result = export_bundle(search, str(tmp_path), name="s", golden_inputs=GOLDEN[:3])
    assert result["classes"] == ["negative", "neutral", "positive"]
    card = json.load(open(tmp_path / "card.json", encoding="utf-8"))
    assert card["task"] == "multiclass" and "positive_class" not in card
    assert all(isinstance(g["label"], str) for g in card["golden"])


def test_binary_score_model_golden_values_are_minus_d_d(tmp_path):
    pipeline = _fit(LinearSVC(random_state=0), BINARY)
    export_bundle(pipeline, str(tmp_path), name="svc", golden_inputs=GOLDEN[:4])
    card = json.load(open(tmp_path / "card.json", encoding="utf-8"))
    decision = pipeline.decision_function([g["text"] for g in GOLDEN[:4]])
    for golden, d in zip(card["golden"], decision):
        assert golden["values"] == [-d, d]


def test_layer_is_verified_against_sklearn():
    pipeline = _fit(LogisticRegression(max_iter=2000), SENTIMENT)
    clf = pipeline.named_steps["clf"]
    clf.coef_ = clf.coef_.copy()
    layer = extract_linear_layer(clf, clf.coef_.shape[1])
    assert layer.post_transform == "softmax"
    # A model whose predict_proba no longer matches its coefficients is refused, not guessed.
    clf.predict_proba = lambda X: np.full((X.shape[0], 3), 1 / 3)
    with pytest.raises(UnsupportedModelError, match="no supported formula"):
        extract_linear_layer(clf, clf.coef_.shape[1])


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: _fit(OneVsRestClassifier(MultinomialNB()), SENTIMENT), "breaks its ties"),
        (lambda: _fit(LogisticRegression(), BINARY, TfidfVectorizer(token_pattern=r"\w+$|\w\w+")), "'$'"),
        (lambda: Pipeline([("vec", TfidfVectorizer())]).fit(TEXTS), "vectorizer step and a classifier"),
        (lambda: _fit(LogisticRegression(), [bool(b) for b in BINARY]), "boolean class label"),
    ],
)
def test_refusals_name_the_part(make, message, tmp_path):
    with pytest.raises(UnsupportedModelError, match=None) as caught:
        export_bundle(make(), str(tmp_path), name="x")
    assert message in str(caught.value)


def test_bad_arguments_are_value_errors(tmp_path):
    pipeline = _fit(LogisticRegression(max_iter=2000), BINARY)
    with pytest.raises(ValueError, match="name"):
        export_bundle(pipeline, str(tmp_path), name="Bad Name")
    with pytest.raises(ValueError, match="unknown classes"):
        export_bundle(pipeline, str(tmp_path), name="x", class_names={7: "seven"})
    with pytest.raises(ValueError, match="fields the model does not read"):
        export_bundle(pipeline, str(tmp_path), name="x", golden_inputs=[{"title": "t"}])
    with pytest.raises(ValueError, match="must be a string"):
        export_bundle(pipeline, str(tmp_path), name="x", golden_inputs=[{"text": 3}])
