"""The scikit-learn versions Sift's exporter is verified against.

The TypeScript vectorizer reproduces scikit-learn's text processing as measured with these
versions (docs/sklearn-tfidf-parity notes; `npm test` and scripts/check_parity_live.py). A bundle
from another major.minor version may still be exact (its golden examples are re-checked at
start-up), but nobody has measured it: the exporter and the server say so. src/model/versions.ts
holds the same list (test/model/versions.test.ts keeps them equal).
"""
from __future__ import annotations

__all__ = ["SUPPORTED_SKLEARN", "major_minor", "sklearn_version_warning"]

SUPPORTED_SKLEARN: tuple[str, ...] = ("1.2",)


def major_minor(version: str) -> str:
    parts = version.split(".")
    return ".".join(parts[:2])


def sklearn_version_warning(version: str) -> str | None:
    """A sentence when `version` is not one Sift is verified against, None otherwise."""
    if major_minor(version) in SUPPORTED_SKLEARN:
        return None
    return (
        f"scikit-learn {version} is not a version Sift's exporter is verified against "
        f"({', '.join(SUPPORTED_SKLEARN)}.x). The bundle's golden examples are re-checked when the server "
        "starts (GET /ready says whether they pass); to be sure, run "
        "scripts/check_parity_live.py with this scikit-learn, or export from a supported version."
    )
