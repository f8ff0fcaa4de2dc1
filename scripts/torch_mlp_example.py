#!/usr/bin/python3
"""Bring your own ONNX, end to end: a small PyTorch MLP over TF-IDF features, exported with
torch.onnx.export and served by Sift through `export_onnx_bundle` (export_sklearn.py --onnx).

    /usr/bin/python3 scripts/torch_mlp_example.py --out /tmp/torch-mlp \\
        [--data ../shared/data/airline-sentiment/train.csv --text-column text --label-column airline_sentiment]

Without --data it trains on the synthetic corpus of sift_sklearn.corpus (no real data). Writes
vectorizer.joblib, model.onnx (raw logits) and the bundle <out>/bundle; the bundle's golden
examples are the PyTorch model's own softmax probabilities, which the server re-checks through
onnxruntime at start-up. Needs torch (Debian: python3-torch) and scikit-learn.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402


def fit_torch_mlp(features: np.ndarray, labels: np.ndarray, classes: int, hidden: int = 32, epochs: int = 60, seed: int = 0):
    """A 2-layer ReLU MLP trained with Adam on full batches; deterministic for a seed."""
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(features.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, classes))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.from_numpy(features.astype(np.float32))
    y = torch.from_numpy(labels.astype(np.int64))
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimiser.step()
    return model.eval()


def torch_probabilities(model) -> "callable":
    """features (float32 [N, width]) → softmax probabilities, computed by PyTorch itself."""
    import torch

    def predict(features: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            logits = model(torch.from_numpy(np.asarray(features, dtype=np.float32)))
            return torch.softmax(logits.double(), dim=1).numpy()

    return predict


def export_torch_onnx(model, width: int, path: str) -> None:
    import torch

    dummy = torch.zeros(1, width, dtype=torch.float32)
    torch.onnx.export(
        model,
        dummy,
        path,
        input_names=["tfidf"],
        output_names=["logits"],
        dynamic_axes={"tfidf": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=15,
    )


def _synthetic() -> tuple[list[str], list[str]]:
    from sift_sklearn.corpus import synthetic_rows

    rows = synthetic_rows(600, 5, include_hard=True)
    return [r.text for r in rows], [r.sentiment for r in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--data")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="airline_sentiment")
    parser.add_argument("--name", default="torch-mlp")
    parser.add_argument("--created-at")
    args = parser.parse_args(argv)

    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer

    from sift_sklearn.byo import export_onnx_bundle

    if args.data:
        import pandas as pd

        frame = pd.read_csv(args.data, dtype=str, keep_default_na=False)
        texts, labels = list(frame[args.text_column]), list(frame[args.label_column])
    else:
        texts, labels = _synthetic()
    classes = sorted(set(labels))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=20000, sublinear_tf=True).fit(texts)
    features = vectorizer.transform(texts).toarray().astype(np.float32)
    model = fit_torch_mlp(features, np.array([classes.index(v) for v in labels]), len(classes))

    os.makedirs(args.out, exist_ok=True)
    joblib.dump(vectorizer, os.path.join(args.out, "vectorizer.joblib"))
    onnx_path = os.path.join(args.out, "model.onnx")
    export_torch_onnx(model, features.shape[1], onnx_path)
    result = export_onnx_bundle(
        vectorizer,
        onnx_path,
        os.path.join(args.out, "bundle"),
        name=args.name,
        classes=classes,
        model_object=torch_probabilities(model),
        post_transform="softmax",
        estimator="PyTorch MLP (torch.onnx.export)",
        title="PyTorch MLP over TF-IDF",
        golden_inputs=[{"text": t} for t in texts[:40]],
        examples=[{"title": "Example", "inputs": {"text": texts[0]}}],
        created_at=args.created_at,
    )
    print(f"wrote {result['out_dir']}: {result['estimator']}, {result['width']} features, classes {result['classes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
