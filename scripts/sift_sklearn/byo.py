"""Bring your own ONNX: a classifier graph made elsewhere (skl2onnx, onnxmltools, tf2onnx,
torch.onnx.export…) over the features of a fitted Sift-supported vectorizer, as a Sift bundle
(classifier.json kind onnx).

What is checked before anything is written, each refusal naming the problem:
  - one graph input (initializers aside), float32, rank 2, its last dimension free or the
    vectorizer's width;
  - only operators of the default and ai.onnx.ml domains (onnxruntime-node runs nothing else);
  - the probabilities: a float32 [N, C] output (by name, or the only float [N, C] one), or the input
    of a ZipMap (onnxruntime-node cannot return maps: the ZipMap is dropped), or raw logits with a
    declared post-transform (`softmax`, or `logistic` for one logit column of a binary model);
    C must be the number of classes;
  - golden examples scored by onnxruntime in Python when it is installed, else by the model's own
    Python object (anything with predict_proba, or a callable features → probabilities); with
    neither, the model is refused: nothing could prove the server computes what the user's model does.
    When both exist they must agree within 1e-5.

The rewritten graph has one input `features` and one output `probabilities`, as every kind-onnx
bundle; the server takes the label from the probabilities (first maximum).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper

from .bundle import ExportResult, _rows, card_examples, check_name, onnx_classifier_json, write_bundle
from .classifiers import label_value
from .golden import builtin_golden_inputs
from .errors import UnsupportedModelError
from .nonlinear import Converted, near_tie
from .vectorizers import FeatureSpec, extract_features

__all__ = ["export_onnx_bundle", "feature_spec_of", "prepare_graph"]

_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")
_PROBABILITY_NAMES = ("probabilities", "output_probability", "probability", "probs", "proba")


def feature_spec_of(vectorizer: Any) -> FeatureSpec:
    """The feature part: a fitted vectorizer, ColumnTransformer, FeatureUnion or a Pipeline of them."""
    from sklearn.pipeline import Pipeline

    steps = list(vectorizer.steps) if isinstance(vectorizer, Pipeline) else [("features", vectorizer)]
    return extract_features(steps)


def _dims(value_info: onnx.ValueInfoProto) -> list:
    shape = value_info.type.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in shape.dim]


def _elem_type(value_info: onnx.ValueInfoProto) -> int | None:
    kind = value_info.type.WhichOneof("value")
    return value_info.type.tensor_type.elem_type if kind == "tensor_type" else None


_TYPE_NAMES = {TensorProto.FLOAT: "float32", TensorProto.INT64: "int64"}


def prepare_graph(
    model: onnx.ModelProto,
    width: int,
    classes: int,
    output: str | None = None,
    post_transform: str = "none",
    *,
    input_name: str = "features",
    input_type: int = TensorProto.FLOAT,
) -> onnx.ModelProto:
    """The user's graph with input `input_name` ([N, width] of `input_type`: float32 features, or
    int64 token ids of a sequence model) and output `probabilities` [N, classes]; refusals say why.
    post_transform `sigmoid` applies σ per column (multi-label logits)."""
    type_name = _TYPE_NAMES[input_type]
    what = "feature matrix" if input_type == TensorProto.FLOAT else "matrix of token ids (maxlen columns)"
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    for opset in model.opset_import:
        if opset.domain not in _DOMAINS:
            raise UnsupportedModelError(f"the graph uses operator domain {opset.domain!r}; onnxruntime-node runs only the standard ONNX and ai.onnx.ml operators")
    foreign = sorted({n.op_type for n in graph.node if n.domain not in _DOMAINS})
    if foreign:
        raise UnsupportedModelError(f"the graph uses custom operators {foreign}; export it with standard ONNX operators only")
    initializers = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise UnsupportedModelError(f"the graph has {len(inputs)} inputs ({[i.name for i in inputs]}); Sift feeds one {type_name} [N, {width}] {what}")
    source = inputs[0]
    if _elem_type(source) != input_type:
        found = _TYPE_NAMES.get(_elem_type(source) or 0, "another type")
        raise UnsupportedModelError(f"input {source.name!r} is {found}, not a {type_name} tensor; export the graph with a {type_name} input")
    dims = _dims(source)
    if len(dims) != 2:
        raise UnsupportedModelError(f"input {source.name!r} has shape {dims}; expected [N, {width}]")
    if isinstance(dims[0], int) and dims[0] > 0:
        raise UnsupportedModelError(f"input {source.name!r} has a fixed batch size {dims[0]}; export it with a dynamic first axis (torch.onnx.export(..., dynamic_axes={{'{source.name}': {{0: 'N'}}}}))")
    if isinstance(dims[1], int) and dims[1] not in (0, width):
        if input_type == TensorProto.FLOAT:
            raise UnsupportedModelError(f"input {source.name!r} takes {dims[1]} features; the vectorizer makes {width}: export the graph over this vectorizer's features")
        raise UnsupportedModelError(f"input {source.name!r} takes {dims[1]} ids per row; the padded sequences have maxlen {width}: export the network for that maxlen")

    # A ZipMap (a map per row) cannot cross into onnxruntime-node: use the tensor it was made from.
    zipmaps = {n.output[0]: n for n in graph.node if n.op_type == "ZipMap"}
    candidates: dict[str, str] = {}
    for out in graph.output:
        if out.name in zipmaps:
            candidates[out.name] = zipmaps[out.name].input[0]
        elif _elem_type(out) == TensorProto.FLOAT:
            candidates[out.name] = out.name
    if output is not None:
        # A graph output, or any tensor inside the graph (raw logits before a final transform).
        produced = {name for n in graph.node for name in n.output}
        if output not in candidates and output not in produced:
            raise UnsupportedModelError(f"no output or tensor named {output!r}; outputs are {[o.name for o in graph.output]}")
        chosen = candidates.get(output, output)
    else:
        named = [name for name in candidates if name.lower() in _PROBABILITY_NAMES or name in zipmaps]
        if len(named) == 1:
            chosen = candidates[named[0]]
        elif len(candidates) == 1:
            chosen = next(iter(candidates.values()))
        else:
            raise UnsupportedModelError(f"cannot tell which output holds the probabilities among {sorted(candidates)}: pass --output NAME")
    for out in graph.output:
        if out.name == chosen or candidates.get(out.name) == chosen:
            out_dims = _dims(out) if out.name == chosen else []
            columns = out_dims[1] if len(out_dims) == 2 and isinstance(out_dims[1], int) and out_dims[1] > 0 else None
            expected_columns = 1 if post_transform == "logistic" else classes
            if columns is not None and columns != expected_columns:
                raise UnsupportedModelError(f"output {out.name!r} has {columns} columns; expected {expected_columns} for {classes} classes")

    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == source.name:
                node.input[i] = input_name
    if chosen == source.name:
        raise UnsupportedModelError("the probabilities output is the input itself")
    nodes = [n for n in graph.node if n.op_type != "ZipMap"]
    # A graph whose own output is already called `probabilities` (torch.onnx.export with
    # output_names=["probabilities"]): rename that tensor so the final Identity keeps the name.
    if any("probabilities" in n.output for n in nodes):
        for node in nodes:
            for names in (node.input, node.output):
                for i, tensor in enumerate(names):
                    if tensor == "probabilities":
                        names[i] = "sift_graph_probabilities"
        if chosen == "probabilities":
            chosen = "sift_graph_probabilities"
    if post_transform == "softmax":
        nodes.append(helper.make_node("Softmax", [chosen], ["sift_softmax"], name="sift_softmax", axis=1))
        chosen = "sift_softmax"
    elif post_transform == "logistic":
        if classes != 2:
            raise UnsupportedModelError("post-transform logistic is for one logit column of a binary model; use softmax for several columns")
        one = helper.make_tensor("sift_one", TensorProto.FLOAT, [], [1.0])
        graph.initializer.append(one)
        nodes += [
            helper.make_node("Sigmoid", [chosen], ["sift_p1"], name="sift_sigmoid"),
            helper.make_node("Sub", ["sift_one", "sift_p1"], ["sift_p0"], name="sift_complement"),
            helper.make_node("Concat", ["sift_p0", "sift_p1"], ["sift_binary"], name="sift_binary", axis=1),
        ]
        chosen = "sift_binary"
    elif post_transform == "sigmoid":
        nodes.append(helper.make_node("Sigmoid", [chosen], ["sift_sigmoid"], name="sift_sigmoid"))
        chosen = "sift_sigmoid"
    elif post_transform != "none":
        raise ValueError(f"post_transform must be none, softmax, logistic or sigmoid, not {post_transform!r}")
    nodes.append(helper.make_node("Identity", [chosen], ["probabilities"], name="sift_probabilities"))
    del graph.node[:]
    graph.node.extend(nodes)
    new_input = helper.make_tensor_value_info(input_name, input_type, ["N", width])
    kept_inputs = [i for i in graph.input if i.name in initializers]
    del graph.input[:]
    graph.input.extend([new_input, *kept_inputs])
    del graph.output[:]
    graph.output.extend([helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", classes])])
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # noqa: BLE001 - the checker raises several types
        raise UnsupportedModelError(f"the rewritten graph does not pass onnx.checker: {error}") from error
    return model


def _onnxruntime_scores(model: onnx.ModelProto, features: np.ndarray, input_name: str = "features") -> np.ndarray | None:
    try:
        import onnxruntime  # type: ignore[import-not-found]
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(["probabilities"], {input_name: features})[0], dtype=np.float64)


def agreed_scores(
    by_runtime: np.ndarray | None, by_object: np.ndarray | None, rows: int, classes: int, hint: str
) -> np.ndarray:
    """The golden outputs: onnxruntime's and/or the model object's, which must agree within 1e-5;
    refused when neither could score (nothing would prove the graph is the model)."""
    if by_runtime is None and by_object is None:
        raise UnsupportedModelError(
            f"nothing can score the golden examples: install onnxruntime for Python (pip install onnxruntime) or {hint}"
        )
    values = by_runtime if by_runtime is not None else by_object
    assert values is not None
    if values.shape != (rows, classes):
        raise UnsupportedModelError(f"the model gives probabilities of shape {values.shape} for {rows} rows × {classes} classes")
    if by_runtime is not None and by_object is not None:
        difference = float(np.max(np.abs(by_runtime - by_object)))
        if not difference <= 1e-5:
            raise UnsupportedModelError(f"onnxruntime and the model object disagree by up to {difference:.3g}: the graph is not this model")
    return values


def _object_scores(model_object: Any, features: np.ndarray) -> np.ndarray:
    if hasattr(model_object, "predict_proba"):
        return np.asarray(model_object.predict_proba(features), dtype=np.float64)
    if callable(model_object):
        return np.asarray(model_object(features), dtype=np.float64)
    raise ValueError(f"the model object ({type(model_object).__name__}) has no predict_proba and is not callable")


def export_onnx_bundle(
    vectorizer: Any,
    onnx_model: onnx.ModelProto | str,
    out_dir: str,
    *,
    name: str,
    classes: Sequence[Any],
    model_object: Any = None,
    output: str | None = None,
    post_transform: str = "none",
    estimator: str | None = None,
    examples: Sequence[Mapping] | None = None,
    golden_inputs: Sequence[Mapping] | None = None,
    training: Mapping | None = None,
    **card: Any,
) -> ExportResult:
    """Checks and writes a kind-onnx bundle around a user's ONNX classifier (see the module doc).
    `card`: title, description, class_names, inputs, metrics, data, created_at, positive_class,
    threshold, as for export_bundle."""
    check_name(name)
    spec = feature_spec_of(vectorizer)
    model = onnx.load(onnx_model) if isinstance(onnx_model, str) else onnx_model
    labels = [label_value(c) for c in classes]
    if len(labels) < 2 or len(set(map(str, labels))) != len(labels):
        raise ValueError(f"classes must be at least two distinct labels in the model's column order, got {labels}")
    prepared = prepare_graph(model, spec.width, len(labels), output, post_transform)
    examples_list = card_examples(examples, spec.fields)
    # As export_bundle: no golden rows given → the built-in set (golden.py).
    golden_rows = _rows(builtin_golden_inputs(spec) if golden_inputs is None else golden_inputs, spec.fields, "golden_inputs")
    if not golden_rows:
        raise ValueError("golden examples are needed to prove the bundle: pass golden inputs (or examples)")
    features = np.asarray(_dense(spec.transform(golden_rows)), dtype=np.float32)
    by_runtime = _onnxruntime_scores(prepared, features.astype(np.float32))
    by_object = _object_scores(model_object, features) if model_object is not None else None
    values = agreed_scores(by_runtime, by_object, len(golden_rows), len(labels), "pass the model's own Python object (--model-object)")
    sums = values.sum(axis=1)
    if not np.all(np.isfinite(values)) or np.any(values < -1e-6) or not np.allclose(sums, 1.0, atol=1e-4):
        raise UnsupportedModelError(
            "the chosen output is not probabilities (rows must be non-negative and sum to 1); for raw logits "
            "declare --post-transform softmax (or logistic for one binary logit)"
        )
    keep = ~near_tie(values)
    golden = [
        {"inputs": row, "label": labels[int(np.argmax(v))], "values": [float(x) for x in v]}
        for row, v, k in zip(golden_rows, values, keep)
        if k
    ]
    producer = model.producer_name or "unknown producer"
    converted = Converted(estimator or f"ONNX ({producer})", labels, lambda _: values, lambda g, f: f, None)
    return write_bundle(
        out_dir,
        spec,
        converted,
        prepared,
        onnx_classifier_json(converted, spec.width),
        golden,
        name=name,
        examples=examples_list,
        training={**(training or {}), "onnx": {"producer": producer, "scored_by": "onnxruntime" if by_runtime is not None else "model object"}},
        **card,
    )


def _dense(features: Any) -> np.ndarray:
    import scipy.sparse as sp

    return features.toarray() if sp.issparse(features) else np.asarray(features)
