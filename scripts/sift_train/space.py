"""The search space: feature blocks and classifier settings, and the pipelines built from them.

A model is a ColumnTransformer of TF-IDF blocks (each bound to one input field) followed by a
linear classifier, which is exactly what the exporter reproduces. The space is a list of block
slots, each with a few options (an option may be None: the block is left out), times a list of
classifier settings. Options are plain dicts of TfidfVectorizer arguments so that they can be
printed, compared and written into the model card as they are; 'stemmer' is the one extra key,
turned into sift_sklearn's SiftStemTokenizer (stems from the server's own TypeScript code).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from sift_sklearn import SiftStemTokenizer
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

__all__ = [
    "STEM_MODES",
    "BlockOption",
    "BlockSlot",
    "ClassifierSpace",
    "Candidate",
    "expand_stemming",
    "vectorizer_combos",
    "make_vectorizer",
    "make_classifier",
    "build_pipeline",
]

STEM_MODES = ("none", "porter", "auto")
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@dataclass(frozen=True)
class BlockOption:
    """TfidfVectorizer arguments (+ optional 'stemmer') and the block's weight in the ColumnTransformer."""

    params_json: str
    weight: float = 1.0

    @staticmethod
    def of(params: dict, weight: float = 1.0) -> "BlockOption":
        return BlockOption(json.dumps(params, sort_keys=True), float(weight))

    @property
    def params(self) -> dict:
        return json.loads(self.params_json)

    @property
    def stemmer(self) -> str | None:
        return self.params.get("stemmer")

    def with_stemmer(self, stemmer: str | None) -> "BlockOption":
        params = self.params
        params.pop("stemmer", None)
        if stemmer is not None:
            params["stemmer"] = stemmer
        return BlockOption.of(params, self.weight)

    def describe(self) -> str:
        p = self.params
        low, high = p.get("ngram_range", (1, 1))
        text = f"{p.get('analyzer', 'word')} {low}-{high}"
        if p.get("min_df", 1) != 1:
            text += f" min_df={p['min_df']}"
        if p.get("max_features") is not None:
            text += f" max={p['max_features']}"
        if p.get("token_pattern") not in (None, DEFAULT_TOKEN_PATTERN):
            text += f" /{p['token_pattern']}/"
        if p.get("stemmer"):
            text += f" {p['stemmer']}"
        if self.weight != 1.0:
            text += f" ×{self.weight:g}"
        return text

    def card_entry(self) -> dict:
        return {**self.params, "weight": self.weight}


@dataclass(frozen=True)
class BlockSlot:
    """One ColumnTransformer step: its name, the field it reads and the options tried for it."""

    name: str
    field: str
    options: tuple  # of BlockOption | None (None: the block is left out)
    stemmable: bool = False


@dataclass(frozen=True)
class ClassifierSpace:
    """LogisticRegression with fixed `base` arguments and a grid of the tuned ones."""

    base: dict = field(default_factory=dict)
    grid: tuple = ()  # of dicts, e.g. {"C": 1.0, "class_weight": None}


@dataclass(frozen=True)
class Candidate:
    """A point of the search space: one option per slot plus classifier settings."""

    blocks: tuple  # of (BlockSlot, BlockOption | None)
    classifier: dict

    def stemmer(self) -> str | None:
        for slot, option in self.blocks:
            if slot.stemmable and option is not None:
                return option.stemmer
        return None

    def describe(self) -> str:
        parts = [f"{slot.name}: {option.describe() if option else '—'}" for slot, option in self.blocks]
        parts.append(describe_classifier(self.classifier))
        return " | ".join(parts)

    def card_entry(self) -> dict:
        entry: dict[str, Any] = {
            slot.name: ({"field": slot.field, **option.card_entry()} if option else None)
            for slot, option in self.blocks
        }
        entry["classifier"] = dict(self.classifier)
        return entry


def describe_classifier(settings: dict) -> str:
    parts = [f"{key}={value}" for key, value in settings.items() if key != "class_weight"]
    parts.append("balanced" if settings.get("class_weight") == "balanced" else "unweighted")
    return " ".join(parts)


def expand_stemming(slots: Sequence[BlockSlot], mode: str) -> list[BlockSlot]:
    """Stemmable slots get their options without a stemmer ('none'), with Porter ('porter') or both ('auto')."""
    if mode not in STEM_MODES:
        raise ValueError(f"--stem must be one of {', '.join(STEM_MODES)}, got {mode!r}")
    stemmers: list[str | None] = {"none": [None], "porter": ["porter"], "auto": [None, "porter"]}[mode]
    expanded = []
    for slot in slots:
        if not slot.stemmable:
            expanded.append(slot)
            continue
        # Stemmer outermost: with 'auto' every unstemmed candidate comes first, then the stemmed ones.
        options = tuple(
            option.with_stemmer(stemmer) if option is not None else None
            for stemmer in stemmers
            for option in slot.options
            if option is not None or stemmer is None
        )
        expanded.append(BlockSlot(slot.name, slot.field, options, slot.stemmable))
    return expanded


def vectorizer_combos(slots: Sequence[BlockSlot]) -> Iterator[tuple]:
    """Every choice of one option per slot, in grid order; combos without any block are skipped."""
    for choice in itertools.product(*(slot.options for slot in slots)):
        if any(option is not None for option in choice):
            yield tuple(zip(slots, choice))


def make_vectorizer(option: BlockOption) -> TfidfVectorizer:
    params = option.params
    stemmer = params.pop("stemmer", None)
    if "ngram_range" in params:
        params["ngram_range"] = tuple(params["ngram_range"])
    if stemmer is not None:
        pattern = params.pop("token_pattern", DEFAULT_TOKEN_PATTERN)
        # token_pattern=None: the tokenizer carries the pattern (and sklearn warns otherwise).
        tokenizer = SiftStemTokenizer(stemmer=stemmer, token_pattern=pattern)
        return TfidfVectorizer(tokenizer=tokenizer, token_pattern=None, **params)
    return TfidfVectorizer(**params)


def make_classifier(space: ClassifierSpace, settings: dict, seed: int) -> LogisticRegression:
    return LogisticRegression(random_state=seed, **space.base, **settings)


def build_pipeline(candidate: Candidate, space: ClassifierSpace, seed: int) -> Pipeline:
    present = [(slot, option) for slot, option in candidate.blocks if option is not None]
    features = ColumnTransformer(
        [(slot.name, make_vectorizer(option), slot.field) for slot, option in present],
        remainder="drop",
        transformer_weights={slot.name: option.weight for slot, option in present},
    )
    return Pipeline([("features", features), ("classifier", make_classifier(space, candidate.classifier, seed))])
