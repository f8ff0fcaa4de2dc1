#!/usr/bin/python3
"""Export a fitted scikit-learn text pipeline (joblib file) as a Sift model bundle.

    /usr/bin/python3 scripts/export_sklearn.py --pipeline model.joblib --name my-model \
        --out artifacts/my-model [--title T] [--description D] \
        [--class-names '0=Not toxic,1=Toxic'] [--input-labels 'text=Comment'] \
        [--examples examples.json] [--golden-csv FILE --golden-rows 50] \
        [--eval-csv held-out.csv --label-column label --train-size N] \
        [--created-at 2026-01-01T00:00:00Z] [--debug]

Bring your own ONNX classifier over the features of a fitted vectorizer (docs/bundle-format.md, kind onnx):

    /usr/bin/python3 scripts/export_sklearn.py --vectorizer vectorizer.joblib --onnx model.onnx \
        --classes 0,1 --name my-model --out artifacts/my-model [--golden-csv sample.csv] \
        [--output NAME] [--post-transform none|softmax|logistic] [--model-object clf.joblib]

The graph is checked (one float32 [N, width] input, a probabilities output, ZipMap or logits with a
declared post-transform) and golden examples are scored by onnxruntime for Python when installed,
else by --model-object (a joblib file whose object has predict_proba over the features).

examples.json: [{"title": "...", "inputs": {"text": "...", ...}}, ...]
Golden examples: the bundle always carries a built-in set (the parity hard strings and texts made of
the model's own vocabulary) scored by scikit-learn; --golden-csv adds the first --golden-rows rows of
a CSV (columns = the model's input fields). The server re-scores them at start-up.
--eval-csv: held-out rows with the input columns and --label-column; the card gets accuracy, macro
F1, ROC AUC (binary), per-class metrics and the confusion matrix measured on them.

Exit status: 0 written, 2 the pipeline is not supported (the message says what to use instead),
1 other errors (one paragraph: what failed, the likely cause, what to do; --debug adds the traceback).
The Python API is sift_sklearn.export_bundle (see scripts/sift_sklearn/__init__.py).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class _Refused(Exception):
    """An unsupported pipeline: exit status 2."""


def _pairs(text: str | None, what: str) -> dict[str, str]:
    from sift_sklearn.advice import ExportFailure

    if not text:
        return {}
    result = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ExportFailure(f"{what}: {part!r} must look like KEY=VALUE, e.g. {what} 'text=Tweet'.")
        key, value = part.split("=", 1)
        result[key.strip()] = value.strip()
    return result


def _read_csv(path: str, option: str, columns: list[str]):
    import pandas as pd

    from sift_sklearn.advice import ExportFailure

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ExportFailure(f"{option} {path}: there is no such file.") from None
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise ExportFailure(
            f"{option} {path} could not be read as CSV ({type(error).__name__}: {str(error).splitlines()[0][:200]}). "
            "Give a UTF-8 CSV file with a header row."
        ) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ExportFailure(
            f"{option} {path} has no column {', '.join(repr(c) for c in missing)}; it has "
            f"{', '.join(repr(c) for c in frame.columns) or 'no columns'}. Rename the columns, or pass the "
            "right --label-column."
        )
    return frame


def _golden_rows(path: str, count: int, fields: list[str]) -> list[dict[str, str]]:
    frame = _read_csv(path, "--golden-csv", [fields[0]])
    present = [f for f in fields if f in frame.columns]
    rows = []
    for record in frame[present].itertuples(index=False):
        row = {field: "" for field in fields}
        row.update({field: (value or "") for field, value in zip(present, record)})
        if not any(row.values()):
            continue
        rows.append(row)
        if len(rows) >= count:
            break
    return rows


def _eval_metrics(pipeline, spec, classes, path: str, label_column: str, train_size: int) -> dict:
    """card.metrics measured on the held-out CSV."""
    import numpy as np

    from sift_sklearn.advice import ExportFailure
    from sift_sklearn.metrics import card_metrics

    frame = _read_csv(path, "--eval-csv", [spec.fields[0], label_column])
    rows = [
        {field: (frame[field].iloc[i] if field in frame.columns else "") for field in spec.fields}
        for i in range(len(frame))
    ]
    if not rows:
        raise ExportFailure(f"--eval-csv {path} has no rows.")
    by_text = {str(c): c for c in classes}
    truth = []
    for line, value in enumerate(frame[label_column], start=2):
        if value not in by_text:
            raise ExportFailure(
                f"--eval-csv {path} line {line}: label {value!r} in column {label_column!r} is not one of "
                f"the model's classes ({', '.join(by_text)}). Use the labels the model was fitted with."
            )
        truth.append(by_text[value])
    features = spec.sklearn_input(rows)
    predicted = list(pipeline.predict(features))
    scores = None
    if len(classes) == 2 and hasattr(pipeline, "predict_proba"):
        scores = np.asarray(pipeline.predict_proba(features))[:, 1]
    elif len(classes) == 2 and hasattr(pipeline, "decision_function"):
        scores = np.asarray(pipeline.decision_function(features)).ravel()
    return card_metrics(truth, predicted, classes, positive_scores=scores, train_size=train_size)


def _load(path: str):
    """joblib.load, refusing a pickle from another scikit-learn version (results could be wrong)."""
    import joblib
    import sklearn

    from sift_sklearn.advice import explain_load_error, pickled_version, version_mismatch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pipeline = joblib.load(path)
        except Exception as error:  # noqa: BLE001 - every failure becomes one paragraph
            saved = pickled_version(caught)
            raise explain_load_error(path, error, saved, sklearn.__version__) from error
    saved = pickled_version(caught)
    if saved is not None and saved != sklearn.__version__:
        raise version_mismatch(path, saved, sklearn.__version__)
    return pipeline


def _examples(args: argparse.Namespace) -> list:
    from sift_sklearn.advice import ExportFailure

    if not args.examples:
        return []
    try:
        with open(args.examples, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise ExportFailure(
            f"--examples {args.examples} could not be read ({error}). Give a JSON file like "
            '[{"title": "Wildfire", "inputs": {"text": "Forest fire near La Ronge"}}].'
        ) from None


def _golden(args: argparse.Namespace, spec) -> list[dict[str, str]]:
    """The built-in golden set, plus --golden-csv rows."""
    from sift_sklearn.golden import builtin_golden_inputs

    golden = builtin_golden_inputs(spec)
    if args.golden_csv:
        golden += _golden_rows(args.golden_csv, args.golden_rows, spec.fields)
    return golden


def _common(args: argparse.Namespace, spec) -> dict:
    """The card options both kinds of export take."""
    return {
        "name": args.name,
        "title": args.title,
        "description": args.description,
        "class_names": args.class_names,
        "inputs": _pairs(args.input_labels, "--input-labels") or None,
        "examples": _examples(args),
        "golden_inputs": _golden(args, spec),
        "created_at": args.created_at,
    }


def _written(result, golden_rows: int) -> str:
    return (
        f"wrote {result['out_dir']}: {result['task']} {result['estimator']} "
        f"({result['output']}, {result['post_transform']}), {result['width']} features, "
        f"fields {', '.join(result['fields'])}, classes {result['classes']}, {golden_rows} golden rows"
    )


def _class_values(text: str) -> list:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        return parts


def _export_onnx(args: argparse.Namespace) -> str:
    """--vectorizer + --onnx: the user's own ONNX classifier over the vectorizer's features."""
    from sift_sklearn import UnsupportedModelError
    from sift_sklearn.advice import ExportFailure
    from sift_sklearn.byo import export_onnx_bundle, feature_spec_of

    vectorizer = _load(args.vectorizer)
    model_object = _load(args.model_object) if args.model_object else None
    try:
        common = _common(args, feature_spec_of(vectorizer))
        result = export_onnx_bundle(
            vectorizer,
            args.onnx,
            args.out,
            classes=_class_values(args.classes),
            model_object=model_object,
            output=args.output,
            post_transform=args.post_transform,
            **common,
        )
    except UnsupportedModelError as error:
        raise _Refused(f"This ONNX model cannot be served faithfully: {error}") from error
    except ValueError as error:
        raise ExportFailure(f"{error}. Fix that argument and run the export again.") from error
    return _written(result, len(common["golden_inputs"]))


def _export(args: argparse.Namespace) -> str:
    import sklearn

    from sift_sklearn import StemmerUnavailableError, UnsupportedModelError, export_bundle, inspect_pipeline
    from sift_sklearn.advice import ExportFailure, refusal_advice
    from sift_sklearn.versions import sklearn_version_warning

    notice = sklearn_version_warning(sklearn.__version__)
    if notice is not None:
        print(textwrap.fill(f"export_sklearn: note: {notice}", 100), file=sys.stderr)
    if args.onnx is not None:
        return _export_onnx(args)
    pipeline = _load(args.pipeline)
    try:
        spec, _ = inspect_pipeline(pipeline)
        common = _common(args, spec)
        metrics = None
        if args.eval_csv:
            classes = list(getattr(getattr(pipeline, "best_estimator_", pipeline), "classes_", []))
            if not classes:
                raise ExportFailure(
                    "--eval-csv needs a single-label classifier with classes_; for multi-label models pass "
                    "metrics= to sift_sklearn.export_bundle."
                )
            metrics = _eval_metrics(pipeline, spec, classes, args.eval_csv, args.label_column, args.train_size)
        result = export_bundle(pipeline, args.out, metrics=metrics, **common)
    except StemmerUnavailableError as error:
        raise ExportFailure(
            f"The pipeline stems its words with the server's own stemmer, which could not run: {error}. "
            "Then run the export again."
        ) from error
    except UnsupportedModelError as error:
        raise _Refused(f"This pipeline cannot be served exactly: {error}. {refusal_advice(str(error))}") from error
    except ValueError as error:
        raise ExportFailure(f"{error}. Fix that argument and run the export again.") from error
    summary = _written(result, len(common["golden_inputs"]))
    if metrics is not None:
        summary += f", held-out accuracy {metrics['accuracy']:.3f} on {metrics['test_size']} rows"
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
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
    parser.add_argument("--title", help="shown on the form page (default: the name)")
    parser.add_argument("--description", default="", help="one or two sentences under the title")
    parser.add_argument("--class-names", help="'VALUE=Name,VALUE=Name' in any order (default: the labels)")
    parser.add_argument("--input-labels", help="'field=Label,field=Label' for the form (default: the field names)")
    parser.add_argument("--examples", help="JSON file: [{title, inputs: {field: text}}], offered on the form")
    parser.add_argument("--golden-csv", help="CSV whose first rows are added to the built-in golden examples")
    parser.add_argument("--golden-rows", type=int, default=50, help="rows taken from --golden-csv (50)")
    parser.add_argument("--eval-csv", help="held-out CSV (input columns + --label-column): card metrics")
    parser.add_argument("--label-column", default="label", help="label column of --eval-csv (label)")
    parser.add_argument("--train-size", type=int, default=0, help="rows the model was fitted on, for the card")
    parser.add_argument("--created-at", help="fixed created_at (default: now, UTC)")
    parser.add_argument("--debug", action="store_true", help="print the traceback of a failure too")
    args = parser.parse_args(argv)
    if (args.pipeline is None) == (args.onnx is None) or (args.onnx is not None) != (args.vectorizer is not None):
        parser.error("give --pipeline, or --vectorizer with --onnx and --classes")
    if args.onnx is not None and not args.classes:
        parser.error("--onnx needs --classes (labels in the graph's column order)")

    try:
        from sift_sklearn.advice import ExportFailure
    except ModuleNotFoundError as error:
        print(
            f"export_sklearn: the Python module '{error.name}' is not installed. Install the exporter's "
            "dependencies (`sudo apt-get install python3-sklearn python3-onnx python3-pandas`, or "
            "`pip install scikit-learn onnx pandas`) and run it again.",
            file=sys.stderr,
        )
        return 1
    try:
        print(_export(args))
        return 0
    except (_Refused, ExportFailure) as error:
        status = 2 if isinstance(error, _Refused) else 1
        if args.debug:
            traceback.print_exc()
        print(textwrap.fill(f"export_sklearn: {error}", 100), file=sys.stderr)
        return status
    except ModuleNotFoundError as error:
        if args.debug:
            traceback.print_exc()
        print(
            textwrap.fill(
                f"export_sklearn: the Python module '{error.name}' is not installed. Install it "
                f"(`pip install {(error.name or '').split('.')[0]}`) and run the export again.",
                100,
            ),
            file=sys.stderr,
        )
        return 1
    except Exception as error:  # noqa: BLE001 - a newcomer gets a paragraph, not a traceback
        if args.debug:
            traceback.print_exc()
        print(
            textwrap.fill(
                f"export_sklearn: the export failed unexpectedly ({type(error).__name__}: "
                f"{str(error).splitlines()[0][:300] if str(error) else 'no message'}). This is likely a bug in "
                "Sift or an unusual pipeline: run again with --debug and report the traceback.",
                100,
            ),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
