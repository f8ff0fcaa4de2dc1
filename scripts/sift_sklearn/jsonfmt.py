"""Deterministic JSON text for bundle files.

Python's json module cannot write float32 values in their shortest float32 form (it always uses
float64 repr), and pretty-printing every element of a 50,000-term vocabulary on its own line
makes files large and diffs useless. This writer emits objects one key per line, lists of scalars
on a single line, and lists of lists one inner list per line, so re-exporting a model gives
byte-identical files and readable diffs.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable

import numpy as np

__all__ = ["Float32", "float32_text", "dumps", "write_json"]


class Float32:
    """A number that must be written as the shortest decimal that round-trips as float32."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = np.float32(value)


def float32_text(value: Any) -> str:
    """Shortest decimal text d such that float32(float64(d)) == float32(value) bit for bit.

    JavaScript reads the text as float64 and Math.fround() rounds it to float32: a double rounding.
    The shortest float32 form nearly always survives it; each number is checked and falls back to
    the exact float64 repr of the float32 value (always exact) when it does not.
    """
    f32 = np.float32(value)
    if not np.isfinite(f32):
        raise ValueError(f"cannot write a non-finite number ({value!r}) to a bundle")
    if f32 == 0:
        return "0"
    magnitude = abs(float(f32))
    if 1e-4 <= magnitude < 1e15:
        text = np.format_float_positional(f32, unique=True, trim="-")
    else:
        text = np.format_float_scientific(f32, unique=True, trim="-")
    if np.float32(float(text)) != f32:
        text = repr(float(f32))
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(value: str) -> str:
    # Non-ASCII text stays readable (and half the size of \u escapes), but a lone surrogate cannot
    # be encoded as UTF-8: escape those, which JSON allows.
    text = json.dumps(value, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group(0)), text)


def _scalar(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, Float32):
        return float32_text(value.value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"cannot write a non-finite number ({value!r}) to a bundle")
        if number == 0:
            return "0"
        # Python's repr is the shortest text that round-trips as float64 ("2.0" stays a float).
        return repr(number)
    if isinstance(value, str):
        return _string(value)
    return None


def _is_scalar_list(items: Iterable[Any]) -> bool:
    return all(_scalar_or_none(v) for v in items)


def _scalar_or_none(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple))


def _write(value: Any, indent: int, out: list[str]) -> None:
    scalar = _scalar(value)
    if scalar is not None:
        out.append(scalar)
        return
    pad = "  " * (indent + 1)
    end_pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        if len(value) > 16 and _is_scalar_list(value.values()):
            # Large flat maps (unicode.json's lowercase table): one line instead of thousands.
            items = ", ".join(_string(k) + ": " + _scalar_checked(v) for k, v in _checked_keys(value))
            out.append("{" + items + "}")
            return
        out.append("{\n")
        for i, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, got {key!r}")
            out.append(pad + _string(key) + ": ")
            _write(item, indent + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(end_pad + "}")
        return
    if isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        if _is_scalar_list(value):
            out.append("[" + ", ".join(_scalar_checked(v) for v in value) + "]")
            return
        if all(isinstance(v, (list, tuple)) and len(v) <= 4 and _is_scalar_list(v) for v in value):
            # Pairs such as code point ranges or (column, value) features: one compact line, not
            # thousands (unicode.json is copied into every bundle).
            out.append("[" + ",".join("[" + ",".join(_scalar_checked(x) for x in v) + "]" for v in value) + "]")
            return
        out.append("[\n")
        for i, item in enumerate(value):
            out.append(pad)
            _write(item, indent + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(end_pad + "]")
        return
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def _checked_keys(value: dict) -> list[tuple[str, Any]]:
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"JSON object keys must be strings, got {key!r}")
    return list(value.items())


def _scalar_checked(value: Any) -> str:
    text = _scalar(value)
    if text is None:
        raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")
    return text


def dumps(value: Any) -> str:
    """JSON text with a trailing newline; dict keys keep their (deterministic) insertion order."""
    out: list[str] = []
    _write(value, 0, out)
    out.append("\n")
    return "".join(out)


def write_json(path: str, value: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(dumps(value))
