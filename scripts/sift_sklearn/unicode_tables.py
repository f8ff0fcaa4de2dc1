"""Character tables of the running Python, for the TypeScript vectorizer (unicode.json).

The server cannot trust JavaScript's own Unicode data: Node's ICU is several Unicode versions ahead
of the Python that fitted a model, and \\w, whitespace, lowercase and the final-sigma rule all differ
on some code points (docs/sklearn-tfidf-parity.md). So every property the vectorizer needs is
taken from this interpreter, over all 0x110000 code points.

Computing the tables takes a few seconds; they are cached in memory and on disk (keyed by the
Python and Unicode versions and by this module's table version).
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import unicodedata
from functools import lru_cache
from typing import Callable

__all__ = ["unicode_tables", "compute_unicode_tables", "UNICODE_FORMAT_VERSION"]

UNICODE_FORMAT_VERSION = 1
# Bump when the way a table is computed changes, so stale disk caches are ignored.
_TABLES_REVISION = 1
_CAPITAL_SIGMA = 0x03A3
_FINAL_SIGMA = "\u03c2"


def _ranges(predicate: Callable[[int], bool]) -> list[list[int]]:
    ranges: list[list[int]] = []
    start = -1
    for code in range(0x110000):
        if predicate(code):
            if start < 0:
                start = code
        elif start >= 0:
            ranges.append([start, code - 1])
            start = -1
    if start >= 0:
        ranges.append([start, 0x10FFFF])
    return ranges


def _is_final_sigma(text: str) -> bool:
    # The capital sigma is the last character; lower() may lengthen what precedes it (İ → i̇), so
    # look at the last character of the result.
    return text.lower()[-1] == _FINAL_SIGMA


def compute_unicode_tables() -> dict:
    """The tables of docs/bundle-format.md (unicode.json), freshly computed."""
    sigma = chr(_CAPITAL_SIGMA)

    # Python decides the final sigma by skipping case-ignorable characters backwards and then
    # testing for a cased one (unicodeobject.c, handle_capital_sigma). Probing that very code:
    #   "A" + c + Σ is final  ⇔ c is case-ignorable, or c is cased;
    #   c + Σ is final        ⇔ c is cased and not case-ignorable.
    # A character that is both (U+0345, modifier letters) always acts as case-ignorable, so the
    # "cased" table holds the characters that act as cased; the server's rule (skip case-ignorable,
    # then test cased) then behaves exactly like Python's.
    def case_ignorable(code: int) -> bool:
        ch = chr(code)
        return _is_final_sigma("A" + ch + sigma) and not _is_final_sigma(ch + sigma)

    def cased(code: int) -> bool:
        return _is_final_sigma(chr(code) + sigma)

    lower: dict[str, str] = {}
    for code in range(0x110000):
        if code == _CAPITAL_SIGMA:
            continue
        ch = chr(code)
        lowered = ch.lower()
        if lowered != ch:
            lower[str(code)] = lowered

    return {
        "format_version": UNICODE_FORMAT_VERSION,
        "unicode_version": unicodedata.unidata_version,
        "python_version": platform.python_version(),
        "word": _ranges(lambda c: chr(c).isalnum() or c == 0x5F),
        "digit": _ranges(lambda c: chr(c).isdecimal()),
        "space": _ranges(lambda c: chr(c).isspace()),
        "assigned": _ranges(lambda c: unicodedata.category(chr(c)) != "Cn"),
        "combining": _ranges(lambda c: unicodedata.combining(chr(c)) != 0),
        "case_ignorable": _ranges(case_ignorable),
        "cased": _ranges(cased),
        "lower": lower,
    }


def _cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = "unicode-py{}-ucd{}-r{}.json".format(
        platform.python_version(), unicodedata.unidata_version, _TABLES_REVISION
    )
    return os.path.join(base, "sift", key)


def _looks_valid(tables: object) -> bool:
    return (
        isinstance(tables, dict)
        and tables.get("unicode_version") == unicodedata.unidata_version
        and tables.get("python_version") == platform.python_version()
        and tables.get("format_version") == UNICODE_FORMAT_VERSION
        and all(isinstance(tables.get(k), list) for k in ("word", "digit", "space", "assigned"))
        and isinstance(tables.get("lower"), dict)
    )


@lru_cache(maxsize=1)
def unicode_tables() -> dict:
    """The tables for this interpreter, from the disk cache when it holds a valid copy.

    Callers must not mutate the returned dict (it is shared).
    """
    path = _cache_path()
    try:
        with open(path, encoding="utf-8") as handle:
            cached = json.load(handle)
        if _looks_valid(cached):
            return cached
    except (OSError, ValueError):
        pass
    tables = compute_unicode_tables()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Write then rename, so a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(tables, handle)
        os.replace(tmp, path)
    except OSError as error:  # a read-only home only costs a few seconds per run
        print(f"sift: cannot cache unicode tables at {path}: {error}", file=sys.stderr)
    return tables
