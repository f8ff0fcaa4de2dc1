"""card.metrics from held-out predictions, in the shape of docs/bundle-format.md."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .classifiers import label_value

__all__ = ["card_metrics"]


def _round(value: float) -> float:
    return round(float(value), 6)


def card_metrics(
    y_true: Any,
    y_pred: Any,
    classes: Sequence[Any],
    *,
    positive_scores: Any = None,
    train_size: int,
    multilabel: bool = False,
) -> dict:
    """accuracy, macro_f1, roc_auc (binary, given positive_scores), per_class, confusion_matrix.

    Multi-label: y_true/y_pred are indicator matrices; accuracy is the subset accuracy, per_class
    holds one entry per label, and confusion_matrix is each label's [[tn, fp], [fn, tp]] flattened
    to one row [tn, fp, fn, tp].
    """
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    classes = list(classes)
    if multilabel:
        truth = np.asarray(y_true)
        predicted = np.asarray(y_pred)
        per_class = []
        matrix = []
        for j, label in enumerate(classes):
            t, p = truth[:, j], predicted[:, j]
            precision, recall, f1, _ = precision_recall_fscore_support(
                t, p, average="binary", zero_division=0
            )
            tn, fp, fn, tp = confusion_matrix(t, p, labels=[0, 1]).ravel()
            matrix.append([int(tn), int(fp), int(fn), int(tp)])
            per_class.append(
                {
                    "class": label_value(label),
                    "precision": _round(precision),
                    "recall": _round(recall),
                    "f1": _round(f1),
                    "accuracy": _round(np.mean(t == p)),
                    "support": int(t.sum()),
                }
            )
        return {
            "accuracy": _round(accuracy_score(truth, predicted)),
            "macro_f1": _round(f1_score(truth, predicted, average="macro", zero_division=0)),
            "per_class": per_class,
            "confusion_matrix": matrix,
            "train_size": int(train_size),
            "test_size": int(truth.shape[0]),
        }

    truth = list(y_true)
    predicted = list(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=classes, zero_division=0
    )
    matrix = confusion_matrix(truth, predicted, labels=classes)
    per_class = []
    for j, label in enumerate(classes):
        # One-vs-rest accuracy of this class.
        correct = sum((t == label) == (p == label) for t, p in zip(truth, predicted))
        per_class.append(
            {
                "class": label_value(label),
                "precision": _round(precision[j]),
                "recall": _round(recall[j]),
                "f1": _round(f1[j]),
                "accuracy": _round(correct / max(len(truth), 1)),
                "support": int(support[j]),
            }
        )
    metrics: dict[str, Any] = {
        "accuracy": _round(accuracy_score(truth, predicted)),
        "macro_f1": _round(f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)),
    }
    if len(classes) == 2 and positive_scores is not None:
        metrics["roc_auc"] = _round(roc_auc_score([t == classes[1] for t in truth], positive_scores))
    metrics.update(
        {
            "per_class": per_class,
            "confusion_matrix": [[int(v) for v in row] for row in matrix],
            "train_size": int(train_size),
            "test_size": len(truth),
        }
    )
    return metrics
