"""The linear layer as an ONNX model that onnxruntime-node loads.

features float [N, width] → ai.onnx.ml LinearClassifier → `label` int64 [N] and `probabilities`
(or `scores`) float [N, C]. Built with onnx.helper only (no skl2onnx) and checked with
onnx.checker. Measured facts this follows (docs/sklearn-tfidf-parity.md): intercepts are always
set (onnxruntime takes the row count from them); binary models use two rows; one-vs-rest
normalises σ(z) by its row sum (written in log space, see below); no ZipMap (onnxruntime-node
cannot return maps).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from .classifiers import LinearLayer

__all__ = ["build_onnx_model", "checked_model", "ONNX_OPSET", "ONNX_ML_OPSET"]

ONNX_OPSET = 15
ONNX_ML_OPSET = 1
_IR_VERSION = 8

_LINEAR_POST = {
    "logistic": "LOGISTIC",
    "softmax": "SOFTMAX",
    "logistic_l1": "NONE",
    "modified_huber": "NONE",
    "none": "NONE",
}


def _scalar(name: str, value: float) -> onnx.TensorProto:
    return helper.make_tensor(name, TensorProto.FLOAT, [], [float(np.float32(value))])


def build_onnx_model(layer: LinearLayer, width: int, name: str) -> onnx.ModelProto:
    coefficients = layer.coefficients.astype(np.float32)
    intercepts = layer.intercepts.astype(np.float32)
    classes = coefficients.shape[0]
    output_name = "scores" if layer.output == "scores" else "probabilities"
    direct = layer.post_transform in ("logistic", "softmax", "none")
    linear_output = output_name if direct else "linear_output"

    nodes = [
        helper.make_node(
            "LinearClassifier",
            ["features"],
            ["label", linear_output],
            name="linear",
            domain="ai.onnx.ml",
            coefficients=[float(v) for v in coefficients.ravel()],
            intercepts=[float(v) for v in intercepts],
            classlabels_ints=list(range(classes)),
            post_transform=_LINEAR_POST[layer.post_transform],
        )
    ]
    initializers: list[onnx.TensorProto] = []

    if layer.post_transform == "logistic_l1":
        # σ(z_i) / Σ_j σ(z_j) = softmax_i(log σ(z)), and log σ(z) = -softplus(-z). LOGISTIC + an L1
        # Normalizer computes the same thing, but in float32 σ underflows to 0 below z ≈ -88 and
        # a row of such scores becomes 0/0; the log-space form stays exact there.
        nodes += [
            helper.make_node("Neg", [linear_output], ["negated"], name="negate"),
            helper.make_node("Softplus", ["negated"], ["softplus"], name="softplus"),
            helper.make_node("Neg", ["softplus"], ["log_sigmoid"], name="log_sigmoid"),
            helper.make_node("Softmax", ["log_sigmoid"], [output_name], name="l1_normalise", axis=1),
        ]
    elif layer.post_transform == "modified_huber":
        # sklearn: p = (clip(z, -1, 1) + 1) / 2; multi-class rows are then divided by their sum,
        # and a row whose sum is 0 becomes uniform (1/C each).
        initializers += [_scalar("minus_one", -1.0), _scalar("one", 1.0), _scalar("half", 0.5)]
        normalise = not layer.multilabel and classes > 2
        half_output = "unnormalised" if normalise else output_name
        nodes += [
            helper.make_node("Clip", [linear_output, "minus_one", "one"], ["clipped"], name="clip"),
            helper.make_node("Add", ["clipped", "one"], ["shifted"], name="shift"),
            helper.make_node("Mul", ["shifted", "half"], [half_output], name="halve"),
        ]
        if normalise:
            initializers += [
                _scalar("zero", 0.0),
                _scalar("class_count", float(classes)),
                helper.make_tensor("sum_axes", TensorProto.INT64, [1], [1]),
            ]
            nodes += [
                helper.make_node("ReduceSum", ["unnormalised", "sum_axes"], ["row_sum"], name="row_sum", keepdims=1),
                helper.make_node("Equal", ["row_sum", "zero"], ["all_zero"], name="all_zero"),
                helper.make_node("Where", ["all_zero", "one", "unnormalised"], ["numerator"], name="numerator"),
                helper.make_node("Where", ["all_zero", "class_count", "row_sum"], ["denominator"], name="denominator"),
                helper.make_node("Div", ["numerator", "denominator"], [output_name], name="normalise"),
            ]

    graph = helper.make_graph(
        nodes,
        f"sift_{name}".replace("-", "_").replace(".", "_"),
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", width])],
        [
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", classes]),
        ],
        initializer=initializers,
    )
    return checked_model(graph, ONNX_ML_OPSET, "1")


def checked_model(graph: onnx.GraphProto, ml_opset: int, producer_version: str) -> onnx.ModelProto:
    """The model around `graph` (default opset ONNX_OPSET, IR 8), after onnx.checker's full check."""
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", ml_opset)],
        producer_name="sift-export",
        producer_version=producer_version,
    )
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model
