"""Write a Sift model bundle (docs/bundle-format.md) from a fitted scikit-learn pipeline."""
from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import tempfile
import unicodedata
from typing import Any, Mapping, Sequence

import numpy as np

from .classifiers import LinearLayer, extract_linear_layer, label_value, sklearn_labels, sklearn_values
from .densify import is_densifier
from .errors import UnsupportedModelError
from .golden import builtin_golden_inputs
from .jsonfmt import Float32, dumps
from .nonlinear import Converted, build_nonlinear_onnx, convert_nonlinear, is_nonlinear, near_tie
from .onnx_graph import build_onnx_model
from .unicode_tables import unicode_tables
from .vectorizers import FeatureSpec, extract_features

__all__ = ["export_bundle", "inspect_pipeline", "FORMAT_VERSION", "ExportResult"]

FORMAT_VERSION = 1
# classifier.json of a model served through ONNX only (kind "onnx"); linear bundles stay version 1.
ONNX_KIND_FORMAT_VERSION = 2
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ExportResult(dict):
    """What export_bundle wrote: {'out_dir', 'files', 'width', 'task', 'classes', 'output', ...}."""


def _unwrap(pipeline: Any) -> Any:
    # A fitted GridSearchCV/RandomizedSearchCV holds the refitted best pipeline.
    best = getattr(pipeline, "best_estimator_", None)
    return best if best is not None else pipeline


def inspect_pipeline(pipeline: Any) -> tuple[FeatureSpec, Any]:
    """(feature spec, final classifier) of a supported pipeline; UnsupportedModelError otherwise."""
    from sklearn.pipeline import Pipeline

    pipeline = _unwrap(pipeline)
    if not isinstance(pipeline, Pipeline):
        raise UnsupportedModelError(
            f"expected a fitted sklearn Pipeline (vectorizer → classifier), got {type(pipeline).__name__}"
        )
    steps = list(pipeline.steps)
    if len(steps) < 2:
        raise UnsupportedModelError("the pipeline needs a vectorizer step and a classifier step")
    feature_steps = steps[:-1]
    densified = len(feature_steps) > 1 and is_densifier(feature_steps[-1][1])
    features = extract_features(feature_steps[:-1] if densified else feature_steps)
    if densified:
        features.steps.append(feature_steps[-1][1])
        features.densified = True
    return features, steps[-1][1]


def _versions() -> dict[str, str]:
    import onnx
    import scipy
    import sklearn

    return {
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "onnx": onnx.__version__,
        "unicode": unicodedata.unidata_version,
    }


def _class_name_map(class_names: Any) -> dict[str, str]:
    if class_names is None:
        return {}
    if isinstance(class_names, str):
        mapping = {}
        for part in class_names.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise ValueError(f"class name {part!r} must look like VALUE=NAME")
            value, name = part.split("=", 1)
            mapping[value.strip()] = name.strip()
        return mapping
    if isinstance(class_names, Mapping):
        return {str(k): str(v) for k, v in class_names.items()}
    raise ValueError("class_names must be a mapping {label: name} or a list of names in class order")


def _classes(layer: LinearLayer, class_names: Any) -> list[dict]:
    if isinstance(class_names, (list, tuple)):
        if len(class_names) != len(layer.classes):
            raise ValueError(f"{len(class_names)} class names for {len(layer.classes)} classes")
        names = [str(n) for n in class_names]
    else:
        mapping = _class_name_map(class_names)
        unknown = set(mapping) - {str(c) for c in layer.classes}
        if unknown:
            raise ValueError(f"class_names mention unknown classes {sorted(unknown)}; classes are {layer.classes}")
        names = [mapping.get(str(c), str(c)) for c in layer.classes]
    for name in names:
        if not name:
            raise ValueError("class names must not be empty")
    return [{"value": value, "name": name} for value, name in zip(layer.classes, names)]


def _inputs(fields: Sequence[str], inputs: Any, examples: Sequence[dict]) -> list[dict]:
    """Card inputs: one per field; `inputs` may be {field: label} or a list of partial dicts."""
    overrides: dict[str, dict] = {}
    if isinstance(inputs, Mapping):
        overrides = {str(k): ({"label": v} if isinstance(v, str) else dict(v)) for k, v in inputs.items()}
    elif isinstance(inputs, (list, tuple)):
        overrides = {str(item["name"]): dict(item) for item in inputs}
    elif inputs is not None:
        raise ValueError("inputs must be {field: label}, {field: {label, required, multiline, example}} or a list")
    unknown = set(overrides) - set(fields)
    if unknown:
        raise ValueError(f"inputs mention fields the model does not read: {sorted(unknown)}; fields are {list(fields)}")
    first_example = examples[0]["inputs"] if examples else {}
    result = []
    for index, field in enumerate(fields):
        if not _FIELD.match(field):
            raise ValueError(f"input field {field!r} must be an identifier")
        override = overrides.get(field, {})
        result.append(
            {
                "name": field,
                "label": str(override.get("label", field.replace("_", " ").capitalize())),
                "required": bool(override.get("required", index == 0)),
                "multiline": bool(override.get("multiline", index == 0)),
                "example": str(override.get("example", first_example.get(field, ""))),
            }
        )
    return result


def _rows(items: Sequence[Mapping], fields: Sequence[str], what: str) -> list[dict[str, str]]:
    rows = []
    for index, item in enumerate(items):
        unknown = set(item) - set(fields)
        if unknown:
            raise ValueError(f"{what}[{index}] has fields the model does not read: {sorted(unknown)}")
        row = {}
        for field in fields:
            value = item.get(field, "")
            if value is None or (isinstance(value, float) and np.isnan(value)):
                value = ""
            if not isinstance(value, str):
                raise ValueError(f"{what}[{index}].{field} must be a string, got {type(value).__name__}")
            row[field] = value
        rows.append(row)
    return rows


def _golden(pipeline: Any, spec: FeatureSpec, layer: LinearLayer | Converted, rows: list[dict[str, str]]) -> list[dict]:
    if not rows:
        return []
    features = spec.transform(rows)
    clf = _unwrap(pipeline).steps[-1][1]
    if isinstance(layer, Converted):
        values = np.asarray(clf.predict_proba(features), dtype=np.float64)
        labels = [label_value(v) for v in np.asarray(clf.predict(features)).ravel()]
        # float32 may order two probabilities within 1e-6 either way: such rows prove nothing.
        keep = ~near_tie(values)
        rows = [r for r, k in zip(rows, keep) if k]
        values, labels = values[keep], [label for label, k in zip(labels, keep) if k]
    else:
        values = sklearn_values(clf, features, layer.output)
        labels = sklearn_labels(clf, features, layer.multilabel, layer.classes)
    # The pipeline itself must agree with the step-by-step path used above.
    direct = _unwrap(pipeline).predict(spec.sklearn_input(rows))
    if not _multilabel(layer) and [label_value(v) for v in np.asarray(direct).ravel()] != labels:
        raise RuntimeError("pipeline.predict disagrees with its own steps; cannot write golden examples")
    return [
        {"inputs": row, "label": label, "values": [float(v) for v in value_row]}
        for row, label, value_row in zip(rows, labels, values)
    ]


def _multilabel(layer: LinearLayer | Converted) -> bool:
    return bool(getattr(layer, "multilabel", False))


def _task(layer: LinearLayer | Converted) -> str:
    if _multilabel(layer):
        return "multilabel"
    return "binary" if len(layer.classes) == 2 else "multiclass"


def _vectorizer_json(spec: FeatureSpec, versions: dict[str, str]) -> dict:
    blocks = []
    for block in spec.blocks:
        body = dict(block.spec)
        blocks.append(
            {
                "field": block.field,
                "offset": block.offset,
                "width": block.width,
                "weight": float(block.weight),
                **body,
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "sklearn_version": versions["sklearn"],
        "python_version": versions["python"],
        "unicode_version": versions["unicode"],
        "width": spec.width,
        "blocks": blocks,
    }


def _classifier_json(layer: LinearLayer, width: int) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "estimator": layer.estimator,
        "output": layer.output,
        "post_transform": layer.post_transform,
        "multilabel": layer.multilabel,
        "width": width,
        "intercepts": [Float32(v) for v in layer.intercepts],
        "coefficients": [[Float32(v) for v in row] for row in layer.coefficients],
    }


def onnx_classifier_json(converted: Converted, width: int) -> dict:
    return {
        "format_version": ONNX_KIND_FORMAT_VERSION,
        "kind": "onnx",
        "estimator": converted.estimator,
        "output": "probabilities",
        "multilabel": converted.multilabel,
        "width": width,
        "classes": len(converted.classes),
        "explanation": "occlusion",
        "used_features": converted.used_features,
    }


def _sorted_keys(value: Any) -> Any:
    """User-supplied nested dicts (metrics, data, training) with sorted keys, JSON-safe values."""
    if isinstance(value, Mapping):
        return {str(k): _sorted_keys(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_sorted_keys(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_sorted_keys(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _created_at(created_at: str | None) -> str:
    if created_at is not None:
        return created_at
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_atomically(out_dir: str, files: dict[str, bytes]) -> None:
    os.makedirs(out_dir, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    for filename, content in files.items():
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{filename}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            # mkstemp creates 0600 files; a bundle is read by the server's own (other) user.
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, os.path.join(out_dir, filename))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


def export_bundle(
    pipeline: Any,
    out_dir: str,
    *,
    name: str,
    title: str | None = None,
    description: str = "",
    class_names: Any = None,
    inputs: Any = None,
    examples: Sequence[Mapping] | None = None,
    golden_inputs: Sequence[Mapping] | None = None,
    metrics: Mapping | None = None,
    data: Mapping | None = None,
    training: Mapping | None = None,
    created_at: str | None = None,
    positive_class: int | None = None,
    threshold: float | None = None,
) -> ExportResult:
    """Validate `pipeline` and write card.json, vectorizer.json, unicode.json, classifier.json and
    model.onnx into `out_dir`. See the package docstring for the parameters."""
    check_name(name)
    spec, clf = inspect_pipeline(pipeline)
    examples = card_examples(examples, spec.fields)
    # Every export checks itself: no golden rows given → the built-in set (golden.py); [] → none.
    golden_rows = _rows(builtin_golden_inputs(spec) if golden_inputs is None else golden_inputs, spec.fields, "golden_inputs")
    example_rows = [e["inputs"] for e in examples]
    known = spec.transform(golden_rows + example_rows) if golden_rows or example_rows else None
    if is_nonlinear(clf):
        layer: LinearLayer | Converted = convert_nonlinear(clf, spec.width, spec.densified, known)
        model = build_nonlinear_onnx(layer, spec.width, name)
        classifier = onnx_classifier_json(layer, spec.width)
    else:
        layer = extract_linear_layer(clf, spec.width, known)
        model = build_onnx_model(layer, spec.width, name)
        classifier = _classifier_json(layer, spec.width)
    return write_bundle(
        out_dir,
        spec,
        layer,
        model,
        classifier,
        _golden(pipeline, spec, layer, golden_rows),
        name=name,
        title=title,
        description=description,
        class_names=class_names,
        inputs=inputs,
        examples=examples,
        metrics=metrics,
        data=data,
        training=training,
        created_at=created_at,
        positive_class=positive_class,
        threshold=threshold,
        extra_versions=_library_versions(layer.estimator),
    )


def _library_versions(estimator: str) -> dict[str, str]:
    if "XGB" not in estimator:
        return {}
    import xgboost

    return {"xgboost": xgboost.__version__}


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"name {name!r} must be lowercase letters, digits, . _ - (max 64, starting alphanumeric)")


def card_examples(examples: Sequence[Mapping] | None, fields: Sequence[str]) -> list[dict]:
    return [
        {"title": str(e.get("title", f"Example {i + 1}")), "inputs": _rows([e["inputs"]], fields, "examples")[0]}
        for i, e in enumerate(examples or [])
    ]


def write_bundle(
    out_dir: str,
    spec: FeatureSpec,
    layer: LinearLayer | Converted,
    model: Any,
    classifier: dict,
    golden: list[dict],
    *,
    name: str,
    examples: list[dict],
    title: str | None = None,
    description: str = "",
    class_names: Any = None,
    inputs: Any = None,
    metrics: Mapping | None = None,
    data: Mapping | None = None,
    training: Mapping | None = None,
    created_at: str | None = None,
    positive_class: int | None = None,
    threshold: float | None = None,
    extra_versions: Mapping[str, str] | None = None,
    feature_file: tuple[str, dict] | None = None,
    label_thresholds: Sequence[float] | None = None,
) -> ExportResult:
    """card.json (built here), vectorizer.json (or `feature_file`: a sequence model's
    sequence.json), unicode.json, classifier.json and model.onnx."""
    fields = spec.fields
    versions = {**_versions(), **(extra_versions or {})}
    task = _task(layer)
    card: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "title": title or name,
        "description": description,
        "task": task,
        "inputs": _inputs(fields, inputs, examples),
        "classes": _classes(layer, class_names),
    }
    if task == "binary":
        card["positive_class"] = 1 if positive_class is None else int(positive_class)
        card["threshold"] = 0.5 if threshold is None else float(threshold)
    elif positive_class is not None or threshold is not None:
        raise ValueError("positive_class and threshold apply to binary models only")
    if label_thresholds is not None:
        if task != "multilabel":
            raise ValueError("label_thresholds apply to multi-label models only")
        card["label_thresholds"] = [float(t) for t in label_thresholds]
    card.update(
        {
            "metrics": _sorted_keys(metrics) if metrics is not None else None,
            "data": _sorted_keys(data) if data is not None else None,
            "versions": versions,
            "created_at": _created_at(created_at),
            "training": _sorted_keys(training) if training is not None else {},
            "examples": examples,
            "golden": golden,
        }
    )
    features_name, features_body = feature_file or ("vectorizer.json", _vectorizer_json(spec, versions))
    files = {
        features_name: dumps(features_body).encode("utf-8"),
        "unicode.json": dumps(_unicode_json(unicode_tables())).encode("utf-8"),
        "classifier.json": dumps(classifier).encode("utf-8"),
        "model.onnx": model.SerializeToString(),
        # The card last: a reader that finds it knows the other files are complete.
        "card.json": dumps(card).encode("utf-8"),
    }
    _write_atomically(out_dir, files)
    return ExportResult(
        out_dir=out_dir,
        files=sorted(files),
        width=spec.width,
        fields=fields,
        task=task,
        classes=layer.classes,
        output="probabilities" if isinstance(layer, Converted) else layer.output,
        post_transform="onnx" if isinstance(layer, Converted) else layer.post_transform,
        estimator=layer.estimator,
    )


def _unicode_json(tables: dict) -> dict:
    lower = tables["lower"]
    return {
        "format_version": tables["format_version"],
        "unicode_version": tables["unicode_version"],
        "python_version": tables["python_version"],
        "word": tables["word"],
        "digit": tables["digit"],
        "space": tables["space"],
        "assigned": tables["assigned"],
        "combining": tables["combining"],
        "case_ignorable": tables["case_ignorable"],
        "cased": tables["cased"],
        "lower": {key: lower[key] for key in sorted(lower, key=int)},
    }
