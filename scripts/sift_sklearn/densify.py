"""Densify: the step HistGradientBoostingClassifier (and any model wanting dense input) needs after a
vectorizer. Import it from sift_sklearn so joblib can load the pipeline again."""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["Densify", "is_densifier"]


class Densify(TransformerMixin, BaseEstimator):
    """X.toarray(): a sparse feature matrix as a dense float64 array."""

    def fit(self, X: Any, y: Any = None) -> "Densify":
        return self

    def transform(self, X: Any) -> np.ndarray:
        return X.toarray() if sp.issparse(X) else np.asarray(X)


def is_densifier(step: Any) -> bool:
    """A step that only turns a sparse matrix into the same dense one (Densify, or any transformer
    that does exactly that, e.g. FunctionTransformer(lambda X: X.toarray(), accept_sparse=True))."""
    if isinstance(step, Densify):
        return True
    if type(step).__name__ != "FunctionTransformer" or getattr(step, "inverse_func", None) is not None:
        return False
    probe = sp.random(3, 7, density=0.4, format="csr", random_state=0)
    try:
        out = step.transform(probe)
    except Exception:  # noqa: BLE001 - any failure means "not a densifier"
        return False
    return isinstance(out, np.ndarray) and out.shape == probe.shape and np.array_equal(out, probe.toarray())
