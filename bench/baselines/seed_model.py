"""The seeds' stack, rebuilt for the benchmark: scikit-learn TF-IDF + LogisticRegression.

The feature settings come from a Sift bundle (vectorizer.json, card.json) so the baseline does the
same per-request work as Sift: same blocks, same analyzers and n-grams, same vocabulary (hence the
same feature width). The model is trained at start-up on the same training CSV, as the seeds did.

Without the training CSV (a fresh clone with no ../shared/data) the vectorizers fit their idf on
the benchmark's request rows and the LogisticRegression takes the bundle's coefficients: the cost per
request is unchanged, only the numbers in the answers differ.

Runs with Debian's python3-sklearn (1.2) and with newer scikit-learn from pip: it only uses the
public constructor parameters and coef_ / intercept_ / classes_.
"""

import csv
import json
import os
import re
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

csv.field_size_limit(sys.maxsize)

LABEL_COLUMN_HINTS = ("target", "label", "sentiment", "class", "y")


def _read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


SCRIPTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts")


def _stemming_tokenizer(name, token_pattern):
    """(tokenizer, description) for a stemming word block, or (None, reason) when none is available.

    First choice: the project's own SiftStemTokenizer (natural's stemmer through the TypeScript CLI,
    stems cached per process): the very stems Sift uses, so both sides compute the same features,
    and after warm-up a dict lookup per token, i.e. the cheapest stemming the seeds could have had.
    Second choice: NLTK's stemmer in pure Python (what a Python app would usually call).
    """
    try:
        if SCRIPTS_DIR not in sys.path:
            sys.path.insert(0, SCRIPTS_DIR)
        from sift_sklearn.stem import SiftStemTokenizer, stem_tokens  # type: ignore

        stem_tokens(["running"], name)  # fails fast when the CLI is not built
        return SiftStemTokenizer(name, token_pattern), f"{name} (natural, via scripts/sift_sklearn, cached)"
    except Exception as error:  # noqa: BLE001 - any failure means: try the next stemmer
        reason = str(error).split("\n")[0]
    try:
        from nltk.stem import LancasterStemmer, PorterStemmer  # type: ignore

        stem = (PorterStemmer() if name == "porter" else LancasterStemmer()).stem
        pattern = re.compile(token_pattern)
        return (lambda doc: [stem(token) for token in pattern.findall(doc)]), f"{name} (NLTK)"
    except ImportError:
        pass
    print(
        f"seed_model: the bundle stems with '{name}' but neither the Sift stem CLI ({reason}) nor NLTK"
        " is available; the baseline skips stemming (less work per request than Sift does)",
        file=sys.stderr,
    )
    return None, "none (unavailable)"


def _make_vectorizer(block):
    """(vectorizer, stemming description) reproducing one feature block of vectorizer.json."""
    vocabulary = {term: index for index, term in enumerate(block["vocabulary"])}
    common = dict(
        analyzer=block["analyzer"],
        ngram_range=tuple(block["ngram_range"]),
        lowercase=block["lowercase"],
        strip_accents=block["strip_accents"],
        stop_words=block["stop_words"],
        binary=block["binary"],
        vocabulary=vocabulary,
        dtype=np.float32,
    )
    stemming = None
    if block["analyzer"] == "word":
        common["token_pattern"] = block["token_pattern"]
        if block.get("stemmer"):
            tokenizer, stemming = _stemming_tokenizer(block["stemmer"], block["token_pattern"])
            if tokenizer is not None:
                # sklearn's order: preprocess → tokenize (pattern + stem) → stop words → n-grams.
                common["tokenizer"] = tokenizer
                common["token_pattern"] = None
    if block["kind"] == "count":
        return CountVectorizer(**common), stemming
    vectorizer = TfidfVectorizer(
        norm=block["norm"], use_idf=block["use_idf"], sublinear_tf=block["sublinear_tf"], **common
    )
    return vectorizer, stemming


def _prime_stems(vectorizer, texts):
    """Stem every token of `texts` in one call (SiftStemTokenizer only): no CLI round trip later."""
    tokenizer = getattr(vectorizer, "tokenizer", None)
    if tokenizer is not None and hasattr(tokenizer, "prime_documents"):
        preprocess = vectorizer.build_preprocessor()
        tokenizer.prime_documents(preprocess(text) for text in texts)


def _read_training_rows(csv_path):
    with open(csv_path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _label_column(rows, input_names, class_values):
    """The CSV column holding the labels: not an input, and its values are the card's classes."""
    wanted = {str(value) for value in class_values}
    columns = [c for c in rows[0].keys() if c not in input_names]
    columns.sort(key=lambda c: (c.lower() not in LABEL_COLUMN_HINTS, c))
    for column in columns:
        seen = {row[column] for row in rows[:2000]}
        if seen <= wanted and len(seen) >= 2:
            return column
    raise ValueError(f"no column of the training CSV holds the classes {sorted(wanted)}")


class SeedModel:
    """transform + predict_proba over rows ({field: text}), as the seeds' Flask app did."""

    def __init__(self, bundle_dir, train_csv=None, warm_rows=None):
        started = time.perf_counter()
        self.card = _read_json(os.path.join(bundle_dir, "card.json"))
        spec = _read_json(os.path.join(bundle_dir, "vectorizer.json"))
        classifier = _read_json(os.path.join(bundle_dir, "classifier.json"))
        self.name = self.card["name"]
        self.class_values = [c["value"] for c in self.card["classes"]]
        self.class_names = [c["name"] for c in self.card["classes"]]
        self.blocks = []
        self.stemming = []
        for block in spec["blocks"]:
            vectorizer, stemming = _make_vectorizer(block)
            self.blocks.append((block["field"], float(block.get("weight", 1.0)), vectorizer))
            if stemming is not None:
                self.stemming.append(stemming)
        warm_rows = warm_rows or [{}]
        for field, _weight, vectorizer in self.blocks:
            _prime_stems(vectorizer, [row.get(field) or "" for row in warm_rows])
        self.trained_on = None
        if train_csv and os.path.exists(train_csv):
            self._train(train_csv)
        else:
            self._fit_without_data(classifier, warm_rows)
        self.startup_seconds = time.perf_counter() - started

    def _train(self, train_csv):
        rows = _read_training_rows(train_csv)
        input_names = {i["name"] for i in self.card["inputs"]}
        label_column = _label_column(rows, input_names, self.class_values)
        by_text = {str(v): v for v in self.class_values}
        y = np.array([self.class_values.index(by_text[row[label_column]]) for row in rows])
        for field, _weight, vectorizer in self.blocks:
            _prime_stems(vectorizer, [row.get(field) or "" for row in rows])
            vectorizer.fit([row.get(field) or "" for row in rows])
        x = self.transform(rows)
        self.classifier = LogisticRegression(max_iter=2000, **self._hyperparameters())
        self.classifier.fit(x, y)
        self.trained_on = {"csv": train_csv, "rows": len(rows), "label_column": label_column}

    def _fit_without_data(self, classifier, rows):
        for field, _weight, vectorizer in self.blocks:
            vectorizer.fit([row.get(field) or "" for row in rows])
        coefficients = np.array(classifier["coefficients"], dtype=np.float64)
        intercepts = np.array(classifier["intercepts"], dtype=np.float64)
        model = LogisticRegression()
        if len(self.class_values) == 2 and coefficients.shape[0] == 2:
            # The bundle stores binary models as two rows [-w; w]; sklearn keeps only w.
            coefficients, intercepts = coefficients[1:], intercepts[1:]
        model.coef_ = coefficients
        model.intercept_ = intercepts
        model.classes_ = np.arange(len(self.class_values))
        self.classifier = model

    def _hyperparameters(self):
        """C, solver and class_weight from the card's training notes when they name them (free-form)."""
        training = json.dumps(self.card.get("training", {}))
        found = {}
        c = re.search(r'"C": ([0-9.]+(?:[eE][-+]?\d+)?)', training)
        if c:
            found["C"] = float(c.group(1))
        solver = re.search(r'"solver": "(\w+)"', training)
        if solver:
            found["solver"] = solver.group(1)
        weight = re.search(r'"class_weight": (null|"balanced")', training)
        if weight and weight.group(1) != "null":
            found["class_weight"] = "balanced"
        return found

    def transform(self, rows):
        parts = []
        for field, weight, vectorizer in self.blocks:
            part = vectorizer.transform([row.get(field) or "" for row in rows])
            parts.append(part * weight if weight != 1.0 else part)
        return parts[0] if len(parts) == 1 else sp.hstack(parts, format="csr")

    def predict_proba(self, rows):
        return self.classifier.predict_proba(self.transform(rows))

    def predict(self, rows):
        """JSON-ready answers shaped like Sift's: label and per-class probabilities."""
        answers = []
        for probabilities in self.predict_proba(rows):
            best = int(np.argmax(probabilities))
            answers.append(
                {
                    "model": self.name,
                    "label": self.class_values[best],
                    "label_name": self.class_names[best],
                    "probabilities": {
                        name: float(p) for name, p in zip(self.class_names, probabilities)
                    },
                }
            )
        return answers


def load_from_environment():
    """SEED_BUNDLE_DIR (required), SEED_TRAIN_CSV, SEED_WARM_ROWS (a JSON list of request rows:
    stems primed for them; without training data the idf is fitted on them)."""
    warm_path = os.environ.get("SEED_WARM_ROWS")
    return SeedModel(
        os.environ["SEED_BUNDLE_DIR"],
        os.environ.get("SEED_TRAIN_CSV") or None,
        _read_json(warm_path) if warm_path else None,
    )
