#!/usr/bin/python3
"""Export a fitted scikit-learn text pipeline (joblib file) as a Sift model bundle.

    /usr/bin/python3 scripts/export_sklearn.py --pipeline model.joblib --name disaster-tweets \
        --out artifacts/disaster-tweets [--title T] [--description D] \
        [--class-names '0=Not a disaster,1=Real disaster'] [--examples examples.json] \
        [--golden-csv FILE --golden-rows 50] [--input-labels 'text=Tweet,keyword=Keyword'] \
        [--created-at 2026-01-01T00:00:00Z]

Bring your own ONNX classifier over the features of a fitted vectorizer (docs/bundle-format.md, kind onnx):

    /usr/bin/python3 scripts/export_sklearn.py --vectorizer vectorizer.joblib --onnx model.onnx \
        --classes 0,1 --name my-model --out artifacts/my-model --golden-csv sample.csv \
        [--output NAME] [--post-transform none|softmax|logistic] [--model-object clf.joblib]

The graph is checked (one float32 [N, width] input, a probabilities output, ZipMap or logits with a
declared post-transform) and golden examples are scored by onnxruntime for Python when installed,
else by --model-object (a joblib file whose object has predict_proba over the features).

examples.json: [{"title": "...", "inputs": {"text": "...", ...}}, ...]
--golden-csv: the first --golden-rows rows of this CSV (columns = the model's input fields, missing
or empty cells are '') become the card's golden examples, with sklearn's own outputs.

Exit status: 0 written, 2 the pipeline is not supported (the message names the part), 1 other errors.
The Python API is sift_sklearn.export_bundle (see scripts/sift_sklearn/__init__.py).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sift_sklearn import UnsupportedModelError, export_bundle, inspect_pipeline  # noqa: E402
from sift_sklearn.byo import export_onnx_bundle, feature_spec_of  # noqa: E402


def _pairs(text: str | None, what: str) -> dict[str, str]:
    if not text:
        return {}
    result = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise SystemExit(f"{what}: {part!r} must look like KEY=VALUE")
        key, value = part.split("=", 1)
        result[key.strip()] = value.strip()
    return result


def _golden_rows(path: str, count: int, fields: list[str]) -> list[dict[str, str]]:
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=None)
    missing = [f for f in fields if f not in frame.columns]
    if missing:
        raise SystemExit(f"--golden-csv {path}: missing columns {missing} (the model reads {fields})")
    rows = []
    for record in frame[fields].itertuples(index=False):
        row = {field: (value or "") for field, value in zip(fields, record)}
        if not any(row.values()):
            continue
        rows.append(row)
        if len(rows) >= count:
            break
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipeline", help="fitted Pipeline saved with joblib.dump")
    parser.add_argument("--vectorizer", help="with --onnx: the fitted vectorizer / ColumnTransformer (joblib)")
    parser.add_argument("--onnx", help="with --vectorizer: your ONNX classifier over its features")
    parser.add_argument("--classes", help="with --onnx: class labels in the graph's column order, 'a,b,c'")
    parser.add_argument("--output", help="with --onnx: the graph output holding the probabilities (or logits)")
    parser.add_argument("--post-transform", default="none", choices=["none", "softmax", "logistic"],
                        help="with --onnx: turn that output into probabilities (logits)")
    parser.add_argument("--model-object", help="with --onnx: joblib file of the model's Python object (predict_proba)")
    parser.add_argument("--name", required=True, help="bundle name (lowercase letters, digits, . _ -)")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--title")
    parser.add_argument("--description", default="")
    parser.add_argument("--class-names", help="'VALUE=Name,VALUE=Name' in any order")
    parser.add_argument("--examples", help="JSON file: [{title, inputs: {field: text}}]")
    parser.add_argument("--golden-csv", help="CSV whose first rows become golden examples")
    parser.add_argument("--golden-rows", type=int, default=50)
    parser.add_argument("--input-labels", help="'field=Label,field=Label'")
    parser.add_argument("--created-at", help="fixed created_at (default: now, UTC)")
    args = parser.parse_args(argv)

    import joblib

    if (args.pipeline is None) == (args.onnx is None) or (args.onnx is not None) != (args.vectorizer is not None):
        parser.error("give --pipeline, or --vectorizer with --onnx and --classes")
    if args.onnx is not None and not args.classes:
        parser.error("--onnx needs --classes (labels in the graph's column order)")
    if args.onnx is not None:
        vectorizer = joblib.load(args.vectorizer)
        model_object = joblib.load(args.model_object) if args.model_object else None
        return _run(
            args,
            lambda: feature_spec_of(vectorizer).fields,
            lambda common: export_onnx_bundle(
                vectorizer,
                args.onnx,
                args.out,
                classes=_class_values(args.classes),
                model_object=model_object,
                output=args.output,
                post_transform=args.post_transform,
                **common,
            ),
            "cannot serve this ONNX model",
        )
    pipeline = joblib.load(args.pipeline)
    return _run(
        args,
        lambda: inspect_pipeline(pipeline)[0].fields,
        lambda common: export_bundle(pipeline, args.out, **common),
        "unsupported pipeline",
    )


def _run(args: argparse.Namespace, fields_of, export, refusal: str) -> int:
    """Reads the options both kinds of export share, exports, and reports; exit status as documented."""
    try:
        fields = fields_of()
        examples = []
        if args.examples:
            with open(args.examples, encoding="utf-8") as handle:
                examples = json.load(handle)
        golden = _golden_rows(args.golden_csv, args.golden_rows, fields) if args.golden_csv else []
        result = export(
            {
                "name": args.name,
                "title": args.title,
                "description": args.description,
                "class_names": args.class_names,
                "inputs": _pairs(args.input_labels, "--input-labels") or None,
                "examples": examples,
                "golden_inputs": golden,
                "created_at": args.created_at,
            }
        )
    except UnsupportedModelError as error:
        print(f"export_sklearn: {refusal}: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"export_sklearn: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {result['out_dir']}: {result['task']} {result['estimator']} "
        f"({result['output']}, {result['post_transform']}), {result['width']} features, "
        f"fields {', '.join(result['fields'])}, classes {result['classes']}, {len(golden)} golden rows"
    )
    return 0


def _class_values(text: str) -> list:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        return parts


if __name__ == "__main__":
    sys.exit(main())
