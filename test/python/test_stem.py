import os
import pickle

import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from conftest import REPO
from sift_sklearn import SiftStemTokenizer, export_bundle, prime
from sift_sklearn.stem import stem_tokens

CLI = os.environ.get("SIFT_STEM_CLI", os.path.join(REPO, "dist", "cli", "stem.js"))
needs_cli = pytest.mark.skipif(not os.path.isfile(CLI), reason=f"{CLI} missing: run `npm run build`")


def test_pickles_configuration_only():
    tokenizer = SiftStemTokenizer("lancaster", r"(?u)\b\w+\b")
    restored = pickle.loads(pickle.dumps(tokenizer))
    assert restored == tokenizer and restored.__getstate__() == {"stemmer": "lancaster", "token_pattern": r"(?u)\b\w+\b"}
    assert repr(restored) == "SiftStemTokenizer(stemmer='lancaster', token_pattern='(?u)\\\\b\\\\w+\\\\b')"
    vec = TfidfVectorizer(tokenizer=tokenizer, token_pattern=None)
    assert clone(vec).tokenizer == tokenizer


def test_refuses_unknown_stemmer():
    with pytest.raises(ValueError):
        SiftStemTokenizer("snowball")


@needs_cli
def test_stems_come_from_the_typescript_cli():
    stems = stem_tokens(["running", "flies", "generously", "Café", "", "x"], "porter")
    assert stems["running"] == "run" and stems["flies"] == "fli"
    tokenizer = SiftStemTokenizer("porter")
    assert tokenizer("the runners were running") == ["the", "runner", "were", "run"]


@needs_cli
def test_stemming_pipeline_exports_stemmer_and_pattern(tmp_path):
    texts = ["fires burning near the forest", "forest fire burned homes", "I love running", "runners love pizza"] * 5
    y = [1, 1, 0, 0] * 5
    pipeline = Pipeline(
        [("vec", TfidfVectorizer(tokenizer=SiftStemTokenizer("porter"), token_pattern=None)), ("clf", LogisticRegression())]
    )
    assert prime(pipeline, texts) > 0
    pipeline.fit(texts, y)
    export_bundle(pipeline, str(tmp_path), name="stem", golden_inputs=[{"text": "burning fires"}])
    import json

    block = json.load(open(tmp_path / "vectorizer.json", encoding="utf-8"))["blocks"][0]
    assert block["stemmer"] == "porter" and block["token_pattern"] == r"(?u)\b\w\w+\b"
    assert "fire" in block["vocabulary"] and "fires" not in block["vocabulary"]
