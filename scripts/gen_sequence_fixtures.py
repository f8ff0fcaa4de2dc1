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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
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
    print(f"wrote {args.out}: {len(KERAS_CASES)} Keras and {len(VOCAB_CASES)} vocabulary cases × {len(texts)} texts")


if __name__ == "__main__":
    main()
