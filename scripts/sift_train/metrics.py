"""Held-out metrics in the card's shape (docs/bundle-format.md, card.json → metrics) and a table."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support, roc_auc_score

__all__ = ["heldout_metrics", "format_metrics"]

_DIGITS = 6


def _r(value: float) -> float:
    return round(float(value), _DIGITS)


def heldout_metrics(
    classes: Sequence,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probabilities: np.ndarray,
    positive_index: int | None,
    train_size: int,
) -> dict:
    """Accuracy, macro F1, per class precision/recall/F1/one-vs-rest accuracy/support, confusion
    matrix (rows = true class, columns = predicted, in `classes` order), ROC AUC for binary models."""
    labels = list(classes)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    total = int(matrix.sum())
    per_class = []
    for index, label in enumerate(labels):
        true_positive = int(matrix[index, index])
        false_positive = int(matrix[:, index].sum()) - true_positive
        false_negative = int(matrix[index, :].sum()) - true_positive
        true_negative = total - true_positive - false_positive - false_negative
        per_class.append(
            {
                "class": label.item() if isinstance(label, np.generic) else label,
                "precision": _r(precision[index]),
                "recall": _r(recall[index]),
                "f1": _r(f1[index]),
                "accuracy": _r((true_positive + true_negative) / total),
                "support": int(support[index]),
            }
        )
    metrics = {
        "accuracy": _r(accuracy_score(y_true, y_pred)),
        "macro_f1": _r(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "weighted_f1": _r(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)),
        "per_class": per_class,
        "confusion_matrix": matrix.astype(int).tolist(),
        "train_size": int(train_size),
        "test_size": int(len(y_true)),
    }
    if positive_index is not None:
        is_positive = np.asarray(y_true) == labels[positive_index]
        metrics["roc_auc"] = _r(roc_auc_score(is_positive, probabilities[:, positive_index]))
    return metrics


def format_metrics(metrics: dict, class_names: dict, title: str) -> str:
    """A plain-text table of the held-out metrics for the terminal."""
    names = [str(class_names.get(row["class"], row["class"])) for row in metrics["per_class"]]
    name_width = max(len("class"), *(len(n) for n in names))
    lines = [
        f"{title}: held-out metrics ({metrics['test_size']:,} rows never seen in training; "
        f"trained on {metrics['train_size']:,})",
        f"  accuracy {metrics['accuracy']:.4f}   macro F1 {metrics['macro_f1']:.4f}"
        + (f"   ROC AUC {metrics['roc_auc']:.4f}" if "roc_auc" in metrics else ""),
        "",
        f"  {'class':<{name_width}}  precision  recall      f1  accuracy  support",
    ]
    for name, row in zip(names, metrics["per_class"]):
        lines.append(
            f"  {name:<{name_width}}  {row['precision']:>9.4f}  {row['recall']:>6.4f}  {row['f1']:>6.4f}"
            f"  {row['accuracy']:>8.4f}  {row['support']:>7,}"
        )
    lines += ["", "  confusion matrix (rows: true class, columns: predicted)"]
    cell = max(len(f"{v:,}") for row in metrics["confusion_matrix"] for v in row)
    cell = max(cell, *(min(len(n), 14) for n in names))
    lines.append(f"  {'':<{name_width}}  " + "  ".join(f"{n[:14]:>{cell}}" for n in names))
    for name, row in zip(names, metrics["confusion_matrix"]):
        lines.append(f"  {name:<{name_width}}  " + "  ".join(f"{v:>{cell},}" for v in row))
    return "\n".join(lines)
