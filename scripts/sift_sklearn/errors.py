"""The one error the exporter raises for pipelines Sift cannot serve exactly."""
from __future__ import annotations

__all__ = ["UnsupportedModelError"]


class UnsupportedModelError(ValueError):
    """The pipeline contains a part Sift cannot reproduce exactly; the message names it."""
