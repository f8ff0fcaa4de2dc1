"""Reading a training CSV and fingerprinting it.

Every column is read as a string with empty cells as '' (pandas' default would turn empty cells,
and texts such as "NA" or "None", into NaN). That is exactly what the server sees for a field the
user leaves empty, so no further clean-up happens here: the vectorizer is the only preprocessing,
at training time as at serve time.
"""
from __future__ import annotations

import csv
import hashlib
import os
from typing import Sequence

import pandas as pd

__all__ = ["read_table", "fingerprint"]


def read_table(path: str, columns: Sequence[str]) -> pd.DataFrame:
    """The CSV at `path` with (at least) `columns`, all as strings, empty cells as ''."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (found {list(frame.columns)})")
    return frame


def fingerprint(path: str) -> dict:
    """{'file', 'sha256', 'rows'} of a CSV; rows are records (quoted newlines counted once), no header.

    'file' is '<folder>/<name>' (e.g. 'disaster-tweets/train.csv'): enough to say which file it was
    without recording a machine's absolute path in the artifact.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    with open(path, newline="", encoding="utf-8") as handle:
        records = sum(1 for _ in csv.reader(handle))
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return {
        "file": f"{folder}/{os.path.basename(path)}",
        "sha256": digest.hexdigest(),
        "rows": max(records - 1, 0),
    }
