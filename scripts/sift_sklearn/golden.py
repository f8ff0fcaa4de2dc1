"""The golden examples an export checks itself with when the user gives none of their own.

The server re-scores a bundle's golden examples at start-up and refuses to serve a model that
disagrees with scikit-learn, so an export without them would be served untested. The built-in set:
every hard string of the parity fixtures (hard_strings.py: Unicode, case, accents, whitespace,
URLs, emoji...) and texts made of the model's own vocabulary, which reach its actual features and
weights. Deterministic: the same pipeline gives the same rows (re-exports stay byte-identical).
"""
from __future__ import annotations

from typing import Any

from .hard_strings import HARD_FIELD_VALUES, HARD_STRINGS

__all__ = ["MIN_BUILTIN_ROWS", "builtin_golden_inputs"]

MIN_BUILTIN_ROWS = 50
VOCABULARY_TEXTS = 30
TERMS_PER_TEXT = 8


def _field_terms(spec: Any, field: str) -> list[str]:
    """The field's vocabulary terms, words first (character n-grams trimmed of their padding)."""
    words: list[str] = []
    chars: list[str] = []
    for block in spec.blocks:
        if block.field != field:
            continue
        vocabulary = block.spec.get("vocabulary") or []
        target = words if block.spec.get("analyzer") == "word" else chars
        target.extend(str(term).strip() for term in vocabulary)
    return [term for term in (words or chars) if term]


def _vocabulary_texts(terms: list[str], count: int) -> list[str]:
    """`count` texts of TERMS_PER_TEXT terms each, spread evenly over the vocabulary."""
    if not terms:
        return []
    wanted = count * TERMS_PER_TEXT
    stride = max(1, len(terms) // wanted)
    picked = [terms[(i * stride) % len(terms)] for i in range(wanted)]
    return [" ".join(picked[i : i + TERMS_PER_TEXT]) for i in range(0, wanted, TERMS_PER_TEXT)]


def builtin_golden_inputs(spec: Any) -> list[dict[str, str]]:
    """At least MIN_BUILTIN_ROWS rows {field: text} for the pipeline described by `spec`."""
    fields = spec.fields
    primary, others = fields[0], fields[1:]
    rows: list[dict[str, str]] = []
    for index, text in enumerate(HARD_STRINGS):
        row = {primary: text}
        for offset, field in enumerate(others):
            row[field] = HARD_FIELD_VALUES[(index + offset) % len(HARD_FIELD_VALUES)]
        rows.append(row)
    per_field = {field: _vocabulary_texts(_field_terms(spec, field), VOCABULARY_TEXTS) for field in fields}
    for index, text in enumerate(per_field[primary]):
        row = {primary: text}
        for field in others:
            texts = per_field[field]
            row[field] = texts[index % len(texts)] if texts else ""
        rows.append(row)
    while len(rows) < MIN_BUILTIN_ROWS:  # a tiny vocabulary: repeat the hard strings in upper case
        source = rows[len(rows) % len(HARD_STRINGS)]
        rows.append({field: value.upper() for field, value in source.items()})
    return rows
