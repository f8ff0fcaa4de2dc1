"""Sequence feature blocks (docs/bundle-format.md, sequence.json): a Keras Tokenizer's to_json() or a
plain Python vocabulary → the block the server reproduces exactly in TypeScript (src/text/keras.ts,
src/features/sequence.ts). No TensorFlow or Keras import: to_json() is plain JSON.

`python_sequences` is the reference the fixtures and the export checks compare against: Keras'
own texts_to_sequences + pad_sequences when keras_preprocessing is installed, the same rules
written out for a plain vocabulary.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping, Sequence

from .errors import UnsupportedModelError
from .patterns import check_token_pattern

__all__ = ["keras_block", "vocabulary_block", "block_sequences"]

_PADDING = ("pre", "post")


def _check_padding(maxlen: Any, padding: str, truncating: str, pad_value: Any) -> None:
    if not isinstance(maxlen, int) or isinstance(maxlen, bool) or not 1 <= maxlen <= 100_000:
        raise UnsupportedModelError(f"maxlen must be an integer from 1 to 100000, not {maxlen!r}")
    if padding not in _PADDING or truncating not in _PADDING:
        raise UnsupportedModelError(
            f"padding and truncating must be 'pre' or 'post', not {padding!r} / {truncating!r}"
        )
    if not isinstance(pad_value, int) or isinstance(pad_value, bool):
        raise UnsupportedModelError(f"the padding value must be an integer id, not {pad_value!r}")


def _no_surrogates(name: str, value: str) -> None:
    if re.search("[\ud800-\udfff]", value):
        raise UnsupportedModelError(f"the tokenizer's {name} has a lone surrogate; JavaScript cannot split on it exactly")


def keras_block(
    tokenizer_json: str | Mapping[str, Any],
    *,
    field: str = "text",
    maxlen: int,
    padding: str = "pre",
    truncating: str = "pre",
    value: int = 0,
) -> dict:
    """The block of a fitted keras(.preprocessing).text.Tokenizer, from its to_json() (a string or
    the parsed dict), with the pad_sequences settings the network was trained with."""
    raw = json.loads(tokenizer_json) if isinstance(tokenizer_json, str) else dict(tokenizer_json)
    if raw.get("class_name") != "Tokenizer" or not isinstance(raw.get("config"), Mapping):
        raise UnsupportedModelError("expected the JSON of Tokenizer.to_json() (class_name 'Tokenizer' and a config)")
    config = raw["config"]
    word_index = config.get("word_index")
    if isinstance(word_index, str):
        word_index = json.loads(word_index)
    if not isinstance(word_index, Mapping) or not word_index:
        raise UnsupportedModelError("the tokenizer has no word_index: fit it (fit_on_texts) before to_json()")
    split = config.get("split", " ")
    filters = config.get("filters", "")
    if not isinstance(split, str) or split == "":
        raise UnsupportedModelError("the tokenizer's split must be a non-empty string (Python: empty separator)")
    if not isinstance(filters, str):
        raise UnsupportedModelError("the tokenizer's filters must be a string")
    _no_surrogates("split", split)
    _no_surrogates("filters", filters)
    num_words = config.get("num_words")
    if num_words is not None and (not isinstance(num_words, int) or num_words < 0):
        raise UnsupportedModelError(f"num_words must be a non-negative integer or null, not {num_words!r}")
    oov_token = config.get("oov_token")
    oov_id = None
    if oov_token is not None:
        oov_token = str(oov_token)
        if oov_token not in word_index:
            raise UnsupportedModelError(
                f"oov_token {oov_token!r} is not in word_index: Keras would emit None for unknown words"
            )
        oov_id = int(word_index[oov_token])
    _check_padding(maxlen, padding, truncating, value)
    pairs = sorted(((str(w), int(i)) for w, i in word_index.items()), key=lambda p: (p[1], p[0]))
    if num_words:
        # Ids at or above num_words act exactly like unknown words (oov_id, or dropped): leaving
        # them out keeps the bundle small without changing a single id.
        pairs = [p for p in pairs if p[1] < num_words or p[0] == oov_token]
    if any(i < 0 for _, i in pairs):
        raise UnsupportedModelError("word_index has a negative id")
    return {
        "field": field,
        "kind": "sequence",
        "tokenizer": {
            "type": "keras",
            "filters": filters,
            "lower": bool(config.get("lower", True)),
            "split": split,
            "char_level": bool(config.get("char_level", False)),
            "num_words": num_words,
            "oov_token": oov_token,
        },
        "vocabulary": [w for w, _ in pairs],
        "ids": [i for _, i in pairs],
        "oov_id": oov_id,
        "maxlen": maxlen,
        "padding": padding,
        "truncating": truncating,
        "pad_value": value,
    }


def vocabulary_block(
    vocabulary: Mapping[str, int] | Sequence[str],
    *,
    field: str = "text",
    token_pattern: str = r"(?u)\b\w\w+\b",
    lowercase: bool = True,
    oov_id: int | None = None,
    pad_id: int = 0,
    maxlen: int,
    padding: str = "post",
    truncating: str = "post",
) -> dict:
    """A plain vocabulary (token → id, or a list whose positions are the ids) for PyTorch models:
    tokens are re.findall(token_pattern, text.lower() if lowercase), unknown ones oov_id (or
    dropped when None), padded with pad_id to maxlen."""
    if isinstance(vocabulary, Mapping):
        items = [(str(w), int(i)) for w, i in vocabulary.items()]
    else:
        items = [(str(w), i) for i, w in enumerate(vocabulary)]
    if len({w for w, _ in items}) != len(items):
        raise UnsupportedModelError("the vocabulary repeats a token")
    if any(i < 0 for _, i in items):
        raise UnsupportedModelError("the vocabulary has a negative id")
    check_token_pattern(token_pattern)
    if oov_id is not None and (not isinstance(oov_id, int) or oov_id < 0):
        raise UnsupportedModelError(f"oov_id must be a non-negative integer or None, not {oov_id!r}")
    _check_padding(maxlen, padding, truncating, pad_id)
    items.sort(key=lambda p: (p[1], p[0]))
    return {
        "field": field,
        "kind": "sequence",
        "tokenizer": {"type": "pattern", "token_pattern": token_pattern, "lowercase": bool(lowercase)},
        "vocabulary": [w for w, _ in items],
        "ids": [i for _, i in items],
        "oov_id": oov_id,
        "maxlen": maxlen,
        "padding": padding,
        "truncating": truncating,
        "pad_value": pad_id,
    }


def _pad(ids: list[int], block: Mapping[str, Any]) -> list[int]:
    maxlen = block["maxlen"]
    kept = ids[-maxlen:] if block["truncating"] == "pre" else ids[:maxlen]
    fill = [block["pad_value"]] * (maxlen - len(kept))
    return kept + fill if block["padding"] == "post" else fill + kept


def block_sequences(block: Mapping[str, Any], texts: Sequence[str]) -> list[list[int]]:
    """Padded id rows of `texts` as Python computes them for this block: for a Keras block, Keras'
    own Tokenizer (rebuilt from the block) and pad_sequences; for a vocabulary block, the documented
    rules (re.findall on str.lower(), dict lookup, the same padding)."""
    tok = block["tokenizer"]
    index = dict(zip(block["vocabulary"], block["ids"]))
    if tok["type"] == "keras":
        from keras_preprocessing.sequence import pad_sequences
        from keras_preprocessing.text import Tokenizer

        keras = Tokenizer(
            num_words=tok["num_words"],
            filters=tok["filters"],
            lower=tok["lower"],
            split=tok["split"],
            char_level=tok["char_level"],
            oov_token=tok["oov_token"],
        )
        keras.word_index = index
        sequences = keras.texts_to_sequences(list(texts))
        padded = pad_sequences(
            sequences,
            maxlen=block["maxlen"],
            dtype="int64",
            padding=block["padding"],
            truncating=block["truncating"],
            value=block["pad_value"],
        )
        return [[int(v) for v in row] for row in padded]
    pattern = re.compile(tok["token_pattern"])
    rows = []
    for text in texts:
        doc = text.lower() if tok["lowercase"] else text
        ids = []
        for token in pattern.findall(doc):
            if isinstance(token, tuple):
                token = token[0]
            if token in index:
                ids.append(index[token])
            elif block["oov_id"] is not None:
                ids.append(block["oov_id"])
        rows.append(_pad(ids, block))
    return rows
