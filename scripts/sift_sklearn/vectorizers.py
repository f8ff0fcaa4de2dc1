"""Fitted sklearn text vectorizers → the feature blocks of vectorizer.json.

Supported feature parts of a pipeline (anything else is refused with UnsupportedModelError):
  - TfidfVectorizer, CountVectorizer, or CountVectorizer followed by TfidfTransformer: one block
    reading the field `text`;
  - FeatureUnion of those: several blocks, all reading `text`;
  - ColumnTransformer whose transformers are those (a vectorizer, or a Pipeline of
    CountVectorizer + TfidfTransformer) each over ONE DataFrame column named by a string;
    `transformer_weights` become block weights; `remainder` must be 'drop'.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .errors import UnsupportedModelError
from .patterns import UnsupportedPatternError, check_token_pattern
from .stem import SiftStemTokenizer

__all__ = ["FeatureBlock", "FeatureSpec", "extract_features"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class FeatureBlock:
    """One vectorizer of the pipeline and where its columns land."""

    field: str
    name: str  # the step / transformer name, for messages
    vectorizer: Any  # the fitted CountVectorizer / TfidfVectorizer
    tfidf: Any  # the TfidfVectorizer itself, a following TfidfTransformer, or None
    weight: float
    offset: int = 0
    spec: dict = field(default_factory=dict)
    _analyzer: Any = field(default=None, repr=False, compare=False)

    @property
    def width(self) -> int:
        return len(self.vectorizer.vocabulary_)

    def analyze(self, text: str) -> list[str]:
        """sklearn's own analyzer output (terms before the vocabulary lookup)."""
        if self._analyzer is None:
            self._analyzer = self.vectorizer.build_analyzer()
        return list(self._analyzer(text))


@dataclass
class FeatureSpec:
    """The feature part of a pipeline: its blocks and how sklearn wants its input."""

    blocks: list[FeatureBlock]
    steps: list[Any]  # the fitted sklearn steps turning pipeline input into the feature matrix
    dataframe_columns: list[str] | None  # ColumnTransformer input columns, None for a list of texts
    densified: bool = False  # a Densify step follows the vectorizers: the classifier sees dense zeros

    def transform(self, rows: Sequence[dict]) -> Any:
        """sklearn's feature matrix for these rows (what the classifier sees)."""
        features = self.sklearn_input(rows)
        for step in self.steps:
            features = step.transform(features)
        return features

    @property
    def width(self) -> int:
        return sum(b.width for b in self.blocks)

    @property
    def fields(self) -> list[str]:
        seen: list[str] = []
        for block in self.blocks:
            if block.field not in seen:
                seen.append(block.field)
        return seen

    def sklearn_input(self, rows: Sequence[dict]) -> Any:
        """What the pipeline's predict() takes for these rows (missing fields are '')."""
        if self.dataframe_columns is None:
            return [row.get("text", "") for row in rows]
        import pandas as pd

        return pd.DataFrame(
            {column: [row.get(column, "") for row in rows] for column in self.dataframe_columns},
            columns=self.dataframe_columns,
        )


def _class_name(obj: Any) -> str:
    return type(obj).__name__


def _refuse(where: str, message: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"{where}: {message}")


def _token_settings(vec: Any, where: str) -> tuple[str | None, str | None]:
    """(token_pattern, stemmer) of a word analyzer."""
    tokenizer = vec.tokenizer
    if tokenizer is None:
        pattern = vec.token_pattern
        stemmer = None
    elif isinstance(tokenizer, SiftStemTokenizer):
        pattern = tokenizer.token_pattern
        stemmer = tokenizer.stemmer
    else:
        raise _refuse(
            where,
            f"a custom tokenizer ({tokenizer!r}) cannot be reproduced by the server; "
            "only sift_sklearn.stem.SiftStemTokenizer is supported",
        )
    if pattern is None:
        raise _refuse(where, "token_pattern is None")
    try:
        check_token_pattern(pattern)
    except UnsupportedPatternError as error:
        raise _refuse(where, str(error)) from error
    return pattern, stemmer


def _vocabulary_list(vec: Any, where: str) -> list[str]:
    vocabulary = vec.vocabulary_
    terms: list[str | None] = [None] * len(vocabulary)
    for term, index in vocabulary.items():
        index = int(index)
        if not isinstance(term, str):
            raise _refuse(where, f"vocabulary term {term!r} is not a string")
        if index < 0 or index >= len(terms) or terms[index] is not None:
            raise _refuse(where, "vocabulary_ indices are not 0..n-1")
        terms[index] = term
    return [t for t in terms if t is not None]


def _check_common(vec: Any, where: str) -> None:
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer

    if isinstance(vec, HashingVectorizer):
        raise _refuse(where, "HashingVectorizer is not supported (use CountVectorizer or TfidfVectorizer)")
    if type(vec) not in (CountVectorizer, TfidfVectorizer):
        raise _refuse(where, f"unsupported vectorizer {_class_name(vec)} (expected CountVectorizer or TfidfVectorizer)")
    if not hasattr(vec, "vocabulary_"):
        raise _refuse(where, f"{_class_name(vec)} is not fitted")
    if vec.input != "content":
        raise _refuse(where, f"input={vec.input!r} is not supported (the server receives text, use input='content')")
    try:
        encoding = codecs.lookup(vec.encoding).name
    except LookupError as error:
        raise _refuse(where, f"unknown encoding {vec.encoding!r}") from error
    if encoding != "utf-8":
        raise _refuse(where, f"encoding={vec.encoding!r} is not supported (the server decodes bytes as UTF-8)")
    if vec.decode_error not in ("strict", "replace"):
        raise _refuse(
            where,
            f"decode_error={vec.decode_error!r} is not supported (the server replaces malformed UTF-8 "
            "like decode_error='replace')",
        )
    if callable(vec.analyzer):
        raise _refuse(where, "a callable analyzer cannot be reproduced by the server")
    if vec.analyzer not in ("word", "char", "char_wb"):
        raise _refuse(where, f"analyzer={vec.analyzer!r} is not supported")
    if vec.preprocessor is not None:
        raise _refuse(where, "a custom preprocessor cannot be reproduced by the server")
    if vec.strip_accents not in (None, "ascii", "unicode"):
        kind = "a callable strip_accents" if callable(vec.strip_accents) else f"strip_accents={vec.strip_accents!r}"
        raise _refuse(where, f"{kind} is not supported")
    if not isinstance(vec.lowercase, (bool, np.bool_)):
        raise _refuse(where, f"lowercase={vec.lowercase!r} must be a bool")
    low, high = vec.ngram_range
    if int(low) < 1 or int(high) < int(low):
        raise _refuse(where, f"ngram_range={vec.ngram_range!r} is invalid")


def _block_spec(vec: Any, tfidf: Any, where: str) -> dict:
    _check_common(vec, where)
    if vec.analyzer == "word":
        token_pattern, stemmer = _token_settings(vec, where)
        stop = vec.get_stop_words()
        stop_words = sorted(stop) if stop is not None else None
        if stop_words is not None and not all(isinstance(w, str) for w in stop_words):
            raise _refuse(where, "stop words must be strings")
    else:
        token_pattern, stemmer, stop_words = None, None, None

    if tfidf is None:
        kind = "count"
        use_idf, sublinear_tf, norm, idf = False, False, None, None
    else:
        kind = "tfidf"
        # tfidf is the TfidfVectorizer itself or the TfidfTransformer that follows a CountVectorizer.
        use_idf, sublinear_tf, norm = bool(tfidf.use_idf), bool(tfidf.sublinear_tf), tfidf.norm
        if norm not in (None, "l1", "l2"):
            raise _refuse(where, f"norm={norm!r} is not supported")
        dtype = np.dtype(getattr(tfidf, "dtype", np.float64))
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise _refuse(where, f"dtype={dtype} is not supported for TF-IDF (use float64 or float32)")
        if use_idf:
            try:
                idf_values = np.asarray(tfidf.idf_, dtype=np.float64)
            except AttributeError as error:
                raise _refuse(where, f"{_class_name(tfidf)} is not fitted") from error
            if not np.all(np.isfinite(idf_values)):
                raise _refuse(where, "idf_ holds non-finite values")
            idf = [float(x) for x in idf_values]
        else:
            idf = None

    vocabulary = _vocabulary_list(vec, where)
    if idf is not None and len(idf) != len(vocabulary):
        raise _refuse(where, f"idf_ has {len(idf)} values for {len(vocabulary)} terms")
    return {
        "kind": kind,
        "analyzer": vec.analyzer,
        "ngram_range": [int(vec.ngram_range[0]), int(vec.ngram_range[1])],
        "lowercase": bool(vec.lowercase),
        "strip_accents": vec.strip_accents,
        "token_pattern": token_pattern,
        "stop_words": stop_words,
        "stemmer": stemmer,
        "binary": bool(vec.binary),
        "sublinear_tf": sublinear_tf,
        "norm": norm,
        "use_idf": use_idf,
        "vocabulary": vocabulary,
        "idf": idf,
    }


def _unwrap_text_transformer(transformer: Any, where: str) -> tuple[Any, Any]:
    """(vectorizer, tfidf part or None) of a vectorizer or a small Pipeline of one."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
    from sklearn.pipeline import Pipeline

    if isinstance(transformer, Pipeline):
        steps = [step for _, step in transformer.steps if step is not None and step != "passthrough"]
        if len(steps) == 1:
            return _unwrap_text_transformer(steps[0], where)
        if (
            len(steps) == 2
            and type(steps[0]) is CountVectorizer
            and isinstance(steps[1], TfidfTransformer)
        ):
            return steps[0], steps[1]
        names = " → ".join(_class_name(s) for s in steps)
        raise _refuse(where, f"unsupported feature pipeline {names} (expected a vectorizer, or CountVectorizer → TfidfTransformer)")
    if isinstance(transformer, TfidfVectorizer):
        return transformer, transformer
    if isinstance(transformer, CountVectorizer) or _class_name(transformer) == "HashingVectorizer":
        return transformer, None
    if transformer == "passthrough":
        raise _refuse(where, "'passthrough' is not supported (every part must be a text vectorizer)")
    raise _refuse(where, f"unsupported transformer {_class_name(transformer)} (expected a text vectorizer)")


def _checked_field(name: Any, where: str) -> str:
    if not isinstance(name, str):
        raise _refuse(
            where,
            f"columns={name!r}: select exactly one DataFrame column by its name (a string), so the vectorizer "
            "receives a 1-D column of texts",
        )
    if not _IDENTIFIER.match(name):
        raise _refuse(where, f"column name {name!r} must be an identifier (letters, digits, _) to be an input field")
    return name


def _column_transformer_blocks(ct: Any) -> tuple[list[FeatureBlock], list[str]]:
    if not hasattr(ct, "transformers_"):
        raise _refuse("ColumnTransformer", "is not fitted")
    if not (isinstance(ct.remainder, str) and ct.remainder == "drop"):
        raise _refuse("ColumnTransformer", f"remainder={ct.remainder!r} is not supported (use remainder='drop')")
    weights = ct.transformer_weights or {}
    blocks: list[FeatureBlock] = []
    for name, transformer, columns in ct.transformers_:
        where = f"ColumnTransformer[{name!r}]"
        if isinstance(transformer, str) and transformer == "drop":
            continue
        if name == "remainder":
            raise _refuse("ColumnTransformer", "remainder columns are passed through; use remainder='drop'")
        vec, tfidf = _unwrap_text_transformer(transformer, where)
        column = _checked_field(columns, where)
        weight = float(weights.get(name, 1.0))
        if not np.isfinite(weight):
            raise _refuse(where, f"transformer weight {weight!r} is not finite")
        blocks.append(FeatureBlock(column, name, vec, tfidf, weight, spec=_block_spec(vec, tfidf, where)))
    columns = getattr(ct, "feature_names_in_", None)
    if columns is None:
        raise _refuse("ColumnTransformer", "was not fitted on a pandas DataFrame with named columns")
    names = [str(c) for c in columns]
    for block in blocks:
        if block.field not in names:
            raise _refuse("ColumnTransformer", f"column {block.field!r} is not among the fitted columns")
    output_indices = getattr(ct, "output_indices_", None)
    offset = 0
    for block in blocks:
        if output_indices is not None and block.name in output_indices:
            span = output_indices[block.name]
            if span.start != offset or span.stop != offset + block.width:
                raise _refuse("ColumnTransformer", f"unexpected output columns for {block.name!r}")
        offset += block.width
    return blocks, names


def _feature_union_blocks(union: Any) -> list[FeatureBlock]:
    weights = union.transformer_weights or {}
    blocks: list[FeatureBlock] = []
    for name, transformer in union.transformer_list:
        where = f"FeatureUnion[{name!r}]"
        if isinstance(transformer, str) and transformer == "drop" or transformer is None:
            continue
        vec, tfidf = _unwrap_text_transformer(transformer, where)
        weight = float(weights.get(name, 1.0))
        blocks.append(FeatureBlock("text", name, vec, tfidf, weight, spec=_block_spec(vec, tfidf, where)))
    return blocks


def extract_features(steps: Sequence[tuple[str, Any]]) -> FeatureSpec:
    """The feature blocks of the pipeline steps that precede the classifier."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    active = [(name, step) for name, step in steps if step is not None and not (isinstance(step, str) and step == "passthrough")]
    if not active:
        raise UnsupportedModelError("the pipeline has no text vectorizer before the classifier")
    names = " → ".join(_class_name(s) for _, s in active)
    dataframe_columns: list[str] | None = None
    first_name, first = active[0]
    if len(active) == 1 and isinstance(first, ColumnTransformer):
        blocks, dataframe_columns = _column_transformer_blocks(first)
    elif len(active) == 1 and isinstance(first, FeatureUnion):
        blocks = _feature_union_blocks(first)
    elif len(active) == 1:
        vec, tfidf = _unwrap_text_transformer(first, f"step {first_name!r}")
        blocks = [FeatureBlock("text", first_name, vec, tfidf, 1.0, spec=_block_spec(vec, tfidf, f"step {first_name!r}"))]
    elif (
        len(active) == 2
        and type(first) is CountVectorizer
        and isinstance(active[1][1], TfidfTransformer)
    ):
        vec, tfidf = first, active[1][1]
        blocks = [FeatureBlock("text", first_name, vec, tfidf, 1.0, spec=_block_spec(vec, tfidf, f"step {first_name!r}"))]
    elif len(active) == 2 and isinstance(first, TfidfVectorizer) and isinstance(active[1][1], TfidfTransformer):
        raise UnsupportedModelError("TfidfVectorizer followed by TfidfTransformer applies TF-IDF twice; not supported")
    else:
        raise UnsupportedModelError(
            f"unsupported feature steps {names}: expected a vectorizer, CountVectorizer → TfidfTransformer, "
            "a FeatureUnion or a ColumnTransformer of those"
        )
    if not blocks:
        raise UnsupportedModelError("the pipeline produces no text features")
    offset = 0
    for block in blocks:
        block.offset = offset
        offset += block.width
    return FeatureSpec(blocks=blocks, steps=[step for _, step in active], dataframe_columns=dataframe_columns)
