"""sklearn's own view of a pipeline on given inputs: the reference the TypeScript side must match.

Used by the parity fixtures (expected.json) and by the live parity check.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from .bundle import inspect_pipeline
from .classifiers import extract_linear_layer, label_value, sklearn_labels, sklearn_values
from .jsonfmt import Float32
from .nonlinear import convert_nonlinear, is_nonlinear

__all__ = ["reference_outputs", "outputs_of", "add_occlusions", "OCCLUSION_ROWS"]

# Rows per non-linear fixture whose leave-one-term-out explanation sklearn computes too.
OCCLUSION_ROWS = 6


def occlusion(predict_proba: Any, dense: bool, features: Any, row: int, class_index: int) -> list[list]:
    """[[column, p(class | row) − p(class | row without that column)], ...] by the model itself."""
    csr = sp.csr_matrix(features[row])
    columns = [int(c) for c in csr.indices if csr[0, c] != 0]
    if not columns:
        return []
    perturbed = sp.vstack([csr] * (len(columns) + 1), format="lil")
    for k, column in enumerate(columns):
        perturbed[k + 1, column] = 0
    perturbed = sp.csr_matrix(perturbed)
    perturbed.eliminate_zeros()
    model_input = perturbed.toarray() if dense else perturbed
    p = np.asarray(predict_proba(model_input), dtype=np.float64)[:, class_index]
    return [[column, float(p[0] - p[k + 1])] for k, column in enumerate(columns)]


def reference_outputs(pipeline: Any, rows: Sequence[dict[str, str]], float32_features: bool = True) -> list[dict]:
    """For each row: inputs, analyzed terms per block, nonzero features, values, label, class index."""
    spec, clf = inspect_pipeline(pipeline)
    model_features = spec.transform(rows)
    features = sp.csr_matrix(model_features)
    if is_nonlinear(clf):
        layer = convert_nonlinear(clf, spec.width, spec.densified, features)
        values = np.asarray(clf.predict_proba(model_features), dtype=np.float64)
        labels = [label_value(v) for v in np.asarray(clf.predict(model_features)).ravel()]
        multilabel = False
    else:
        layer = extract_linear_layer(clf, spec.width, features)
        values = sklearn_values(clf, features, layer.output)
        labels = sklearn_labels(clf, features, layer.multilabel, layer.classes)
        multilabel = layer.multilabel
    results = outputs_of(spec, rows, features, values, labels, layer.classes, multilabel, float32_features)
    if is_nonlinear(clf):
        add_occlusions(results, clf.predict_proba, spec.densified, features)
    return results


def add_occlusions(results: list[dict], predict_proba: Any, dense: bool, features: Any) -> None:
    """Adds `occlusion` to the first OCCLUSION_ROWS cases with at least two features."""
    explained = [i for i, r in enumerate(results) if len(r["features"]) > 1][:OCCLUSION_ROWS]
    for index in explained:
        results[index]["occlusion"] = occlusion(predict_proba, dense, features, index, results[index]["class_index"])


def outputs_of(
    spec: Any,
    rows: Sequence[dict[str, str]],
    features: Any,
    values: np.ndarray,
    labels: list,
    classes: list,
    multilabel: bool,
    float32_features: bool = True,
) -> list[dict]:
    """The expected.json cases for rows whose features, values and labels are known."""
    features = sp.csr_matrix(features)
    results = []
    for index, row in enumerate(rows):
        start, end = features.indptr[index], features.indptr[index + 1]
        columns = features.indices[start:end]
        data = features.data[start:end]
        order = np.argsort(columns, kind="stable")
        nonzero = [
            [int(columns[i]), Float32(data[i]) if float32_features else float(data[i])]
            for i in order
            if data[i] != 0
        ]
        label = labels[index]
        if multilabel:
            positives = [classes.index(v) for v in label]
            class_index = positives[0] if positives else -1
        else:
            class_index = classes.index(label)
            positives = [class_index]
        results.append(
            {
                "inputs": dict(row),
                "analyzed": [block.analyze(row.get(block.field, "")) for block in spec.blocks],
                "features": nonzero,
                "values": [float(v) for v in values[index]],
                "label": label,
                "class_index": class_index,
                "positives": positives,
            }
        )
    return results
