"""Sequence models as Sift bundles: a sequence block (sequence.py: Keras tokenizer or a plain
vocabulary) + the user's ONNX network over int64 [N, maxlen] token ids (tf2onnx,
torch.onnx.export…). No TensorFlow needed.

The graph goes through the bring-your-own-ONNX checks (byo.prepare_graph: one int64 [N, maxlen]
input, standard operators, an output of one column per class, softmax for logits of one class, a
sigmoid per label for multi-label logits); the golden texts are tokenized by Python (Keras itself
for a Keras block) and scored by onnxruntime when installed and/or the model's own Python callable
(ids → probabilities), which must agree within 1e-5; the server re-scores them at start-up.
"""
from __future__ import annotations

import random
import sys
import unicodedata
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import onnx
from onnx import TensorProto

from .bundle import ExportResult, card_examples, check_name, onnx_classifier_json, write_bundle
from .byo import _onnxruntime_scores, agreed_scores, prepare_graph
from .classifiers import label_value
from .errors import UnsupportedModelError
from .hard_strings import HARD_STRINGS
from .nonlinear import Converted, near_tie
from .sequence import block_sequences

__all__ = ["export_sequence_bundle", "SEQUENCE_INPUT", "default_golden_texts", "sequence_json"]

SEQUENCE_INPUT = "ids"
SEQUENCE_FORMAT_VERSION = 2
#: Multi-label probabilities this close to the threshold may fall either side in float32.
_THRESHOLD_GAP = 1e-6


class _Fields:
    """What write_bundle needs of a feature spec: the input fields and the model input's width."""

    def __init__(self, field: str, width: int) -> None:
        self.fields = [field]
        self.width = width


def sequence_json(block: Mapping[str, Any]) -> dict:
    return {
        "format_version": SEQUENCE_FORMAT_VERSION,
        "python_version": "%d.%d.%d" % sys.version_info[:3],
        "unicode_version": unicodedata.unidata_version,
        "input_name": SEQUENCE_INPUT,
        "block": dict(block),
    }


def default_golden_texts(block: Mapping[str, Any], count: int = 60, seed: int = 0) -> list[str]:
    """The parity fixtures' hard strings plus texts of the model's own vocabulary (every id range)."""
    rng = random.Random(seed)
    words = [w for w in block["vocabulary"] if w.strip()]
    joiner = "" if block["tokenizer"].get("char_level") else " "
    texts = list(HARD_STRINGS)
    for _ in range(count if words else 0):
        length = rng.randint(1, max(2, block["maxlen"] + 3))
        texts.append(joiner.join(rng.choice(words) for _ in range(length)))
    return texts


def _labels_of(values: np.ndarray, labels: list, multilabel: bool, thresholds: list[float]) -> list:
    if multilabel:
        return [[labels[k] for k, v in enumerate(row) if v > thresholds[k]] for row in values]
    return [labels[int(np.argmax(row))] for row in values]


def export_sequence_bundle(
    block: Mapping[str, Any],
    onnx_model: onnx.ModelProto | str,
    out_dir: str,
    *,
    name: str,
    classes: Sequence[Any],
    multilabel: bool = False,
    model_object: Callable[[np.ndarray], Any] | None = None,
    output: str | None = None,
    post_transform: str = "none",
    label_thresholds: Sequence[float] | None = None,
    estimator: str | None = None,
    title: str | None = None,
    description: str = "",
    class_names: Any = None,
    inputs: Any = None,
    examples: Sequence[Mapping] | None = None,
    golden_texts: Sequence[str] | None = None,
    metrics: Mapping | None = None,
    data: Mapping | None = None,
    training: Mapping | None = None,
    created_at: str | None = None,
    positive_class: int | None = None,
    threshold: float | None = None,
) -> ExportResult:
    """Checks and writes a sequence bundle (see the module doc). `model_object(ids)` takes an int64
    numpy array [N, maxlen] and returns probabilities [N, classes] (e.g. a torch module wrapped in
    `lambda ids: model(torch.from_numpy(ids)).detach().numpy()`)."""
    check_name(name)
    maxlen = int(block["maxlen"])
    field = str(block["field"])
    labels = [label_value(c) for c in classes]
    if len(labels) < (1 if multilabel else 2) or len(set(map(str, labels))) != len(labels):
        raise ValueError(f"classes must be distinct labels in the network's output column order, got {labels}")
    thresholds = [0.5] * len(labels)
    if label_thresholds is not None:
        if not multilabel or len(label_thresholds) != len(labels):
            raise ValueError("label_thresholds: one threshold per label, for multi-label models only")
        thresholds = [float(t) for t in label_thresholds]
        if not all(0 < t < 1 for t in thresholds):
            raise ValueError("label_thresholds must be between 0 and 1")
    model = onnx.load(onnx_model) if isinstance(onnx_model, str) else onnx_model
    prepared = prepare_graph(
        model, maxlen, len(labels), output, post_transform, input_name=SEQUENCE_INPUT, input_type=TensorProto.INT64
    )
    texts = list(default_golden_texts(block) if golden_texts is None else golden_texts)
    if not texts:
        raise ValueError("golden texts are needed to prove the bundle")
    ids = np.asarray(block_sequences(block, texts), dtype=np.int64)
    by_runtime = _onnxruntime_scores(prepared, ids, SEQUENCE_INPUT)
    by_object = None if model_object is None else np.asarray(model_object(ids), dtype=np.float64)
    values = agreed_scores(
        by_runtime, by_object, len(texts), len(labels),
        "pass the network's own Python callable (model_object: int64 ids → probabilities)",
    )
    if not np.all(np.isfinite(values)) or np.any(values < -1e-6) or np.any(values > 1 + 1e-6):
        raise UnsupportedModelError(
            "the chosen output is not probabilities (values in [0, 1]); for logits declare post_transform "
            "softmax (one class) or sigmoid (multi-label)"
        )
    if not multilabel and not np.allclose(values.sum(axis=1), 1.0, atol=1e-4):
        raise UnsupportedModelError(
            "single-label probabilities must sum to 1 per row; a network with one sigmoid per label is multi-label "
            "(multilabel=True)"
        )
    # Golden labels are the network's own rule (σ > 0.5 per label); the card's thresholds apply on top.
    if multilabel:
        keep = ~np.any(np.abs(values - 0.5) <= _THRESHOLD_GAP, axis=1)
    else:
        keep = ~near_tie(values)
    golden_labels = _labels_of(values, labels, multilabel, [0.5] * len(labels))
    golden = [
        {"inputs": {field: text}, "label": label, "values": [float(x) for x in v]}
        for text, v, label, k in zip(texts, values, golden_labels, keep)
        if k
    ]
    producer = model.producer_name or "unknown producer"
    converted = Converted(estimator or f"ONNX ({producer})", labels, lambda _: values, lambda g, f: f, None, multilabel=multilabel)
    examples_list = card_examples(examples, [field])
    result = write_bundle(
        out_dir,
        _Fields(field, maxlen),  # type: ignore[arg-type]
        converted,
        prepared,
        onnx_classifier_json(converted, maxlen),
        golden,
        name=name,
        title=title,
        description=description,
        class_names=class_names,
        inputs=inputs,
        examples=examples_list,
        metrics=metrics,
        data=data,
        training={
            **(training or {}),
            "onnx": {"producer": producer, "scored_by": "onnxruntime" if by_runtime is not None else "model object"},
        },
        created_at=created_at,
        positive_class=positive_class,
        threshold=threshold,
        feature_file=("sequence.json", sequence_json(block)),
        label_thresholds=thresholds if multilabel and label_thresholds is not None else None,
    )
    return result


