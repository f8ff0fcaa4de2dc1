"""scripts/export_sklearn.py as a newcomer meets it: a bundle that checks itself, a full card from
--eval-csv, and one readable paragraph (no traceback) for every failure."""
import json
import os
import pickle
import subprocess
import sys

import joblib
import pandas as pd
import pytest
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from conftest import REPO
from sift_sklearn import export_bundle, inspect_pipeline
from sift_sklearn.corpus import synthetic_rows
from sift_sklearn.golden import MIN_BUILTIN_ROWS, builtin_golden_inputs
from sift_sklearn.hard_strings import HARD_STRINGS
from sift_sklearn.versions import SUPPORTED_SKLEARN, sklearn_version_warning

EXPORT = os.path.join(REPO, "scripts", "export_sklearn.py")
ROWS = synthetic_rows(240, 21, include_hard=True)
TEXTS = [r.text for r in ROWS]
LABELS = [r.disaster for r in ROWS]


def _pipeline():
    return Pipeline([("tfidf", TfidfVectorizer(ngram_range=(1, 2))), ("clf", LogisticRegression(max_iter=2000))]).fit(
        TEXTS[:200], LABELS[:200]
    )


def _run(*args, cwd):
    done = subprocess.run([sys.executable, EXPORT, *args], cwd=cwd, capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def test_builtin_golden_rows_cover_the_hard_strings_and_the_vocabulary():
    spec, _ = inspect_pipeline(_pipeline())
    rows = builtin_golden_inputs(spec)
    assert len(rows) >= MIN_BUILTIN_ROWS
    texts = [r["text"] for r in rows]
    assert set(HARD_STRINGS) <= set(texts)
    vocabulary = set(spec.blocks[0].spec["vocabulary"])
    made = [t for t in texts if t not in HARD_STRINGS]
    assert len(made) >= 20
    assert all(set(t.split()) <= vocabulary for t in made)
    assert builtin_golden_inputs(spec) == rows  # deterministic: re-exports stay byte-identical


def test_export_bundle_without_golden_rows_checks_itself(tmp_path):
    export_bundle(_pipeline(), str(tmp_path), name="x")
    card = json.load(open(tmp_path / "card.json"))
    assert len(card["golden"]) >= MIN_BUILTIN_ROWS
    assert card["versions"]["sklearn"] == sklearn.__version__
    export_bundle(_pipeline(), str(tmp_path), name="x", golden_inputs=[])
    assert json.load(open(tmp_path / "card.json"))["golden"] == []


def test_the_readme_example_gives_a_full_card(tmp_path):
    joblib.dump(_pipeline(), tmp_path / "my.joblib")
    held_out = [(t, y) for t, y in zip(TEXTS[200:], LABELS[200:]) if t.isprintable()]
    pd.DataFrame(held_out, columns=["text", "label"]).to_csv(tmp_path / "held-out.csv", index=False)
    pd.DataFrame({"text": TEXTS[:5]}).to_csv(tmp_path / "golden.csv", index=False)
    (tmp_path / "examples.json").write_text(json.dumps([{"title": "Fire", "inputs": {"text": "forest fire"}}]))
    status, out, err = _run(
        "--pipeline", "my.joblib", "--name", "my-model", "--out", "artifacts/my-model",
        "--title", "My model", "--description", "Is it about a disaster?",
        "--class-names", "0=Not a disaster,1=Real disaster", "--input-labels", "text=Tweet",
        "--examples", "examples.json", "--golden-csv", "golden.csv", "--golden-rows", "5",
        "--eval-csv", "held-out.csv", "--label-column", "label", "--train-size", "200",
        "--created-at", "2026-01-01T00:00:00Z",
        cwd=tmp_path,
    )
    assert status == 0, err
    assert "held-out accuracy" in out
    card = json.load(open(tmp_path / "artifacts" / "my-model" / "card.json"))
    assert card["description"] == "Is it about a disaster?"
    assert card["examples"][0]["title"] == "Fire"
    assert card["inputs"][0]["label"] == "Tweet"
    assert len(card["golden"]) >= MIN_BUILTIN_ROWS + 5
    metrics = card["metrics"]
    assert metrics["test_size"] == len(held_out) and metrics["train_size"] == 200
    assert {"accuracy", "macro_f1", "roc_auc", "per_class", "confusion_matrix"} <= set(metrics)


def _paragraph(err):
    assert "Traceback" not in err
    assert err.startswith("export_sklearn: ")
    return " ".join(err.split())


def test_a_missing_file_and_a_broken_pickle_are_one_paragraph(tmp_path):
    status, _, err = _run("--pipeline", "nope.joblib", "--name", "x", "--out", "o", cwd=tmp_path)
    assert status == 1
    assert "there is no such file" in _paragraph(err)
    (tmp_path / "bad.joblib").write_bytes(b"not a pickle")
    status, _, err = _run("--pipeline", "bad.joblib", "--name", "x", "--out", "o", cwd=tmp_path)
    assert status == 1
    assert "Could not load bad.joblib" in _paragraph(err)
    status, _, err = _run("--pipeline", "bad.joblib", "--name", "x", "--out", "o", "--debug", cwd=tmp_path)
    assert "Traceback" in err


def test_a_pickle_from_another_sklearn_version_names_both_versions(tmp_path):
    data = pickle.dumps(_pipeline())
    current = sklearn.__version__.encode()
    other = b"9.9." + b"9" * (len(current) - 4)
    assert current in data
    (tmp_path / "old.joblib").write_bytes(data.replace(current, other))
    status, _, err = _run("--pipeline", "old.joblib", "--name", "x", "--out", "o", cwd=tmp_path)
    text = _paragraph(err)
    assert status == 1
    assert f"saved with scikit-learn {other.decode()}" in text
    assert f"pip install scikit-learn=={other.decode()}" in text


def test_a_missing_module_says_what_to_install(tmp_path):
    (tmp_path / "mymodule.py").write_text("class Thing:\n    pass\n")
    subprocess.run(
        [sys.executable, "-c", "import joblib, mymodule; joblib.dump(mymodule.Thing(), 'thing.joblib')"],
        cwd=tmp_path, check=True,
    )
    os.remove(tmp_path / "mymodule.py")
    status, _, err = _run("--pipeline", "thing.joblib", "--name", "x", "--out", "o", cwd=tmp_path)
    text = _paragraph(err)
    assert status == 1
    assert "needs the Python module 'mymodule'" in text and "pip install mymodule" in text


def test_refusals_say_what_to_do_instead(tmp_path):
    hashing = Pipeline([("vec", HashingVectorizer()), ("clf", LogisticRegression())]).fit(TEXTS, LABELS)
    joblib.dump(hashing, tmp_path / "hashing.joblib")
    status, _, err = _run("--pipeline", "hashing.joblib", "--name", "x", "--out", "o", cwd=tmp_path)
    text = _paragraph(err)
    assert status == 2
    assert "HashingVectorizer is not supported" in text and "refit and export again" in text
    joblib.dump(TfidfVectorizer().fit(TEXTS), tmp_path / "vec.joblib")
    status, _, err = _run("--pipeline", "vec.joblib", "--name", "x", "--out", "o", cwd=tmp_path)
    assert status == 2
    assert "Save the whole fitted Pipeline" in _paragraph(err)


def test_bad_arguments_are_a_paragraph_too(tmp_path):
    joblib.dump(_pipeline(), tmp_path / "my.joblib")
    status, _, err = _run("--pipeline", "my.joblib", "--name", "Bad Name", "--out", "o", cwd=tmp_path)
    assert status == 1 and "Fix that argument" in _paragraph(err)
    pd.DataFrame({"text": ["a"], "label": ["7"]}).to_csv(tmp_path / "e.csv", index=False)
    status, _, err = _run("--pipeline", "my.joblib", "--name", "x", "--out", "o", "--eval-csv", "e.csv", cwd=tmp_path)
    assert status == 1 and "is not one of the model's classes" in _paragraph(err)


def test_supported_versions_match_the_server():
    ts = open(os.path.join(REPO, "src", "model", "versions.ts"), encoding="utf-8").read()
    for version in SUPPORTED_SKLEARN:
        assert f"'{version}'" in ts
    assert sklearn_version_warning(SUPPORTED_SKLEARN[0] + ".3") is None
    assert "not a version" in sklearn_version_warning("0.24.2")
