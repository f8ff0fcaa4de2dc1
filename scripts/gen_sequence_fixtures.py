#!/usr/bin/python3
"""Token-id fixtures for sequence blocks, checked by `npm test` (test/features/sequence.test.ts)
without Python.

    /usr/bin/python3 scripts/gen_sequence_fixtures.py [--out test/fixtures/sequence/tokenizers.json]

Each Keras case fits keras_preprocessing's own Tokenizer (Debian: python3-keras-preprocessing;
pip: keras-preprocessing, or tf.keras' identical code) on synthetic tweets plus the parity
fixtures' hard strings, converts its to_json() with sift_sklearn.sequence.keras_block, and records
for held-out synthetic tweets, the hard strings and edge strings: Keras' tokens, texts_to_sequences
and pad_sequences under several padding settings. Vocabulary cases record the documented
vocabulary-mode rules (sift_sklearn.sequence.block_sequences). Deterministic: identical output on
every run with the same Python.

Also writes test/fixtures/sequence/bundles/{sequence-mini,topics-mini}: tiny embedding + GRU
networks (python3-torch) on the synthetic corpus, served by the TypeScript tests.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from keras_preprocessing.sequence import pad_sequences  # noqa: E402
from keras_preprocessing.text import Tokenizer, text_to_word_sequence  # noqa: E402

from sift_sklearn.corpus import synthetic_rows  # noqa: E402
from sift_sklearn.hard_strings import HARD_STRINGS  # noqa: E402
from sift_sklearn.jsonfmt import write_json  # noqa: E402
from sift_sklearn.sequence import block_sequences, keras_block, vocabulary_block  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "test", "fixtures", "sequence", "tokenizers.json")

EDGE_STRINGS = (
    "",
    "   ",
    "!!!???...",
    "a,b;;c--d",
    "word\tword\nword\r\nword",
    "UPPER lower MiXeD",
    "the the the the the the the the the the the the the the the the the the the the the end",
    "İSTANBUL ΣΑΣ ὈΔΥΣΣΕΎΣ",
    "ab, cd,, ef , gh",
    "🔥🔥 fire 🔥",
)

KERAS_CASES = (
    ("default", {}),
    ("oov-num-words", {"num_words": 60, "oov_token": "<OOV>"}),
    ("num-words-no-oov", {"num_words": 40}),
    ("no-lower-custom-filters", {"lower": False, "filters": "!?.,’…\u3000"}),
    ("multi-char-split", {"split": ", ", "filters": ";"}),
    ("no-filters", {"filters": "", "oov_token": "[UNK]"}),
    ("char-level", {"char_level": True, "oov_token": "\u2047"}),
    ("char-level-no-lower", {"char_level": True, "lower": False, "num_words": 30}),
)

PAD_SETTINGS = (
    {"maxlen": 12, "padding": "pre", "truncating": "pre", "value": 0},
    {"maxlen": 12, "padding": "post", "truncating": "post", "value": 0},
    {"maxlen": 7, "padding": "pre", "truncating": "post", "value": -1},
    {"maxlen": 30, "padding": "post", "truncating": "pre", "value": 3},
)

VOCAB_CASES = (
    ("sklearn-default", {"token_pattern": r"(?u)\b\w\w+\b", "lowercase": True, "oov_id": 1, "pad_id": 0}),
    ("words-no-oov", {"token_pattern": r"(?u)\b\w+\b", "lowercase": False, "oov_id": None, "pad_id": 0}),
    ("hashtags-group", {"token_pattern": r"(?:^|\s)([#@]?\w+)", "lowercase": True, "oov_id": 0, "pad_id": 0}),
)


def _texts() -> tuple[list[str], list[str]]:
    fit = [r.text for r in synthetic_rows(300, seed=11)] + list(HARD_STRINGS)
    held_out = [r.text for r in synthetic_rows(40, seed=12)] + list(HARD_STRINGS) + list(EDGE_STRINGS)
    return fit, held_out


def keras_case(name: str, settings: dict, fit: list[str], texts: list[str]) -> dict:
    tokenizer = Tokenizer(**settings)
    tokenizer.fit_on_texts(fit)
    block = keras_block(tokenizer.to_json(), maxlen=12)
    if tokenizer.char_level:
        tokens = [list(t.lower() if tokenizer.lower else t) for t in texts]
    else:
        tokens = [text_to_word_sequence(t, tokenizer.filters, tokenizer.lower, tokenizer.split) for t in texts]
    sequences = tokenizer.texts_to_sequences(texts)
    padded = []
    for pad in PAD_SETTINGS:
        rows = pad_sequences(sequences, dtype="int64", **pad)
        padded.append({**pad, "rows": [[int(v) for v in row] for row in rows]})
    # The block's own reference must be Keras itself.
    assert block_sequences(block, texts) == padded[0]["rows"], name
    return {"name": name, "block": block, "tokens": tokens, "sequences": sequences, "padded": padded}


def vocabulary_case(name: str, settings: dict, fit: list[str], texts: list[str]) -> dict:
    import re

    pattern = re.compile(settings["token_pattern"])
    counts: dict[str, int] = {}
    for text in fit:
        for token in pattern.findall(text.lower() if settings["lowercase"] else text):
            counts[token] = counts.get(token, 0) + 1
    first = 2 if settings["oov_id"] == 1 else 1
    words = sorted(counts, key=lambda w: (-counts[w], w))[:400]
    vocabulary = {w: first + i for i, w in enumerate(words)}
    padded = []
    block = None
    for pad in PAD_SETTINGS:
        block = vocabulary_block(
            vocabulary,
            token_pattern=settings["token_pattern"],
            lowercase=settings["lowercase"],
            oov_id=settings["oov_id"],
            pad_id=pad["value"],
            maxlen=pad["maxlen"],
            padding=pad["padding"],
            truncating=pad["truncating"],
        )
        padded.append({**pad, "rows": block_sequences(block, texts)})
    tokens = [pattern.findall(t.lower() if settings["lowercase"] else t) for t in texts]
    return {"name": name, "block": block, "tokens": tokens, "padded": padded}


def mini_bundles(out_dir: str) -> None:
    """Two tiny embedding + GRU networks on the synthetic corpus, as served bundles for the
    TypeScript tests: sequence-mini (single-label, Keras tokenizer) and topics-mini (multi-label
    toxic / obscene / insult, plain vocabulary, sigmoid per label, tuned label thresholds)."""
    import numpy as np
    import torch

    from sift_sklearn.sequence_export import SEQUENCE_INPUT, export_sequence_bundle

    rows = synthetic_rows(400, seed=21)
    texts = [r.text for r in rows]

    class Net(torch.nn.Module):
        def __init__(self, vocabulary: int, classes: int, multilabel: bool) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocabulary, 8, padding_idx=0)
            self.gru = torch.nn.GRU(8, 8, batch_first=True)
            self.out = torch.nn.Linear(8, classes)
            self.multilabel = multilabel

        def logits(self, ids):
            _, hidden = self.gru(self.embedding(ids))
            return self.out(hidden[-1])

        def forward(self, ids):
            z = self.logits(ids)
            return torch.sigmoid(z) if self.multilabel else torch.softmax(z, dim=1)

    def fit(block: dict, y: np.ndarray, classes: int, multilabel: bool, vocabulary: int, epochs: int) -> Net:
        torch.manual_seed(0)
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        x = torch.from_numpy(np.asarray(block_sequences(block, texts), dtype=np.int64))
        target = torch.from_numpy(y)
        net = Net(vocabulary, classes, multilabel)
        optimiser = torch.optim.Adam(net.parameters(), lr=0.01)
        loss_fn = torch.nn.BCEWithLogitsLoss() if multilabel else torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            optimiser.zero_grad()
            loss_fn(net.logits(x), target.float() if multilabel else target.long()).backward()
            optimiser.step()
        return net.eval()

    def export(net: Net, block: dict, out: str, **kwargs) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "net.onnx")
            torch.onnx.export(
                net, torch.zeros((2, block["maxlen"]), dtype=torch.int64), path,
                input_names=[SEQUENCE_INPUT], output_names=["probabilities"],
                dynamic_axes={SEQUENCE_INPUT: {0: "N"}, "probabilities": {0: "N"}}, opset_version=13,
            )

            def score(ids):
                with torch.no_grad():
                    return net(torch.from_numpy(ids)).numpy()

            export_sequence_bundle(block, path, out, model_object=score, created_at="2024-01-01T00:00:00Z",
                                   estimator="PyTorch Embedding + GRU", **kwargs)

    tokenizer = Tokenizer(num_words=300, oov_token="<OOV>")
    tokenizer.fit_on_texts(texts)
    block = keras_block(tokenizer.to_json(), maxlen=16)
    net = fit(block, np.asarray([r.disaster for r in rows]), 2, False, 300, 15)
    export(net, block, os.path.join(out_dir, "sequence-mini"), name="sequence-mini", classes=[0, 1],
           class_names=["Not a disaster", "Real disaster"], inputs={"text": "Tweet"},
           examples=[{"title": "Fire", "inputs": {"text": "Forest fire near the town, evacuate"}}])

    import re

    counts: dict[str, int] = {}
    for text in texts:
        for token in re.findall(r"(?u)\b\w\w+\b", text.lower()):
            counts[token] = counts.get(token, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))[:250]
    vocab = vocabulary_block({w: i + 2 for i, w in enumerate(words)}, oov_id=1, pad_id=0, maxlen=12)
    y = np.asarray([[r.toxic, r.obscene, r.insult] for r in rows])
    net = fit(vocab, y, 3, True, 252, 150)
    export(net, vocab, os.path.join(out_dir, "topics-mini"), name="topics-mini", classes=["toxic", "obscene", "insult"],
           multilabel=True, label_thresholds=[0.5, 0.4, 0.6], inputs={"text": "Comment"},
           class_names=["Toxic", "Obscene", "Insult"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--no-bundles", action="store_true", help="only the token-id fixtures (no torch needed)")
    args = parser.parse_args()
    fit, texts = _texts()
    import keras_preprocessing

    out = {
        "keras_preprocessing_version": keras_preprocessing.__version__,
        "python_version": "%d.%d.%d" % sys.version_info[:3],
        "texts": texts,
        "keras": [keras_case(n, s, fit, texts) for n, s in KERAS_CASES],
        "vocabulary": [vocabulary_case(n, s, fit, texts) for n, s in VOCAB_CASES],
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_json(args.out, out)
    if not args.no_bundles:
        mini_bundles(os.path.join(os.path.dirname(os.path.abspath(args.out)), "bundles"))
    print(f"wrote {args.out}: {len(KERAS_CASES)} Keras and {len(VOCAB_CASES)} vocabulary cases × {len(texts)} texts")


if __name__ == "__main__":
    main()
