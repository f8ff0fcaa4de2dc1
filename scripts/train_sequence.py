#!/usr/bin/python3
"""Reference sequence models: a Keras Tokenizer (keras_preprocessing, no TensorFlow) + an embedding
+ LSTM network in PyTorch, exported with torch.onnx.export and bundled by
sift_sklearn.sequence_export (sequence.json + model.onnx, int64 [N, maxlen] ids in).

    /usr/bin/python3 scripts/train_sequence.py --task disaster-tweets-lstm \\
        --data ../shared/data/disaster-tweets/train.csv --out artifacts/disaster-tweets-lstm
    /usr/bin/python3 scripts/train_sequence.py --task disaster-topics-lstm --data … --out /tmp/topics
    … --check-dir /tmp/lstm-check   # also a bundle whose golden set is 400 held-out tweets (never
                                    # commit it): the server's self-test proves ONNX = PyTorch on them

Tasks:
  disaster-tweets-lstm   single-label (Not a disaster / Real disaster), softmax output
  disaster-topics-lstm   multi-label: real disaster, fire, water (from the keyword column), one
                         sigmoid per label

Reproducible: fixed seeds, one thread, deterministic algorithms; the split is train.py's (stratified
20% held out, seed 42). A few minutes at most on 2 cores. Needs python3-torch (or pip torch),
python3-keras-preprocessing (or pip keras-preprocessing), pandas, scikit-learn, onnx.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from keras_preprocessing.text import Tokenizer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sift_sklearn.metrics import card_metrics  # noqa: E402
from sift_sklearn.sequence import block_sequences, keras_block  # noqa: E402
from sift_sklearn.sequence_export import SEQUENCE_INPUT, export_sequence_bundle  # noqa: E402

NUM_WORDS = 6000
MAXLEN = 40
EMBEDDING = 32
HIDDEN = 48
EPOCHS = 4
BATCH = 64
SEED = 42
FIRE = ("fire", "blaze", "burn", "flame", "smoke", "arson", "explo", "bomb")
WATER = ("flood", "tsunami", "drown", "deluge", "rain", "storm", "hurricane", "typhoon", "cyclone", "sinking", "sunk")


class Net(torch.nn.Module):
    """Embedding → LSTM → last hidden state → linear; softmax (one class) or sigmoid (multi-label)."""

    def __init__(self, classes: int, multilabel: bool) -> None:
        super().__init__()
        self.embedding = torch.nn.Embedding(NUM_WORDS, EMBEDDING, padding_idx=0)
        self.lstm = torch.nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        self.out = torch.nn.Linear(HIDDEN, classes)
        self.multilabel = multilabel

    def logits(self, ids: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(self.embedding(ids))
        return self.out(hidden[-1])

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        z = self.logits(ids)
        return torch.sigmoid(z) if self.multilabel else torch.softmax(z, dim=1)


def _labels(frame: pd.DataFrame, task: str) -> tuple[np.ndarray, list, list[str], bool]:
    if task == "disaster-tweets-lstm":
        return frame["target"].to_numpy(), [0, 1], ["Not a disaster", "Real disaster"], False
    keyword = frame["keyword"].str.lower().str.replace("%20", " ", regex=False)
    fire = keyword.map(lambda k: any(w in k for w in FIRE)).astype(int)
    water = keyword.map(lambda k: any(w in k for w in WATER)).astype(int)
    y = np.stack([frame["target"].to_numpy(), fire.to_numpy(), water.to_numpy()], axis=1)
    return y, ["disaster", "fire", "water"], ["Real disaster", "Fire", "Water"], True


def train(task: str, data: str) -> dict:
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    frame = pd.read_csv(data, keep_default_na=False)
    y, classes, names, multilabel = _labels(frame, task)
    stratify = frame["target"].to_numpy()
    train_index, test_index = train_test_split(
        np.arange(len(frame)), test_size=0.2, stratify=stratify, random_state=SEED
    )
    texts = frame["text"].tolist()
    train_texts = [texts[i] for i in train_index]
    tokenizer = Tokenizer(num_words=NUM_WORDS, oov_token="<OOV>")
    tokenizer.fit_on_texts(train_texts)
    block = keras_block(tokenizer.to_json(), maxlen=MAXLEN)
    x_train = torch.from_numpy(np.asarray(block_sequences(block, train_texts), dtype=np.int64))
    y_train = torch.from_numpy(y[train_index])
    model = Net(len(classes), multilabel)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss() if multilabel else torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            optimiser.zero_grad()
            z = model.logits(x_train[batch])
            target = y_train[batch].float() if multilabel else y_train[batch].long()
            loss_fn(z, target).backward()
            optimiser.step()
    model.eval()
    test_texts = [texts[i] for i in test_index]
    x_test = np.asarray(block_sequences(block, test_texts), dtype=np.int64)
    with torch.no_grad():
        p_test = model(torch.from_numpy(x_test)).numpy()
    if multilabel:
        metrics = card_metrics(y[test_index], (p_test > 0.5).astype(int), classes, train_size=len(train_index), multilabel=True)
    else:
        predicted = [classes[int(k)] for k in p_test.argmax(axis=1)]
        metrics = card_metrics(
            list(y[test_index]), predicted, classes, positive_scores=p_test[:, 1], train_size=len(train_index)
        )
    return {
        "model": model, "block": block, "classes": classes, "names": names, "multilabel": multilabel,
        "metrics": metrics, "test_texts": test_texts, "data_sha256": hashlib.sha256(open(data, "rb").read()).hexdigest(),
        "rows": len(frame),
    }


def export(result: dict, task: str, out: str, created_at: str | None, golden_texts: list[str] | None) -> None:
    model = result["model"]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "net.onnx")
        example = torch.zeros((2, MAXLEN), dtype=torch.int64)
        torch.onnx.export(
            model, example, path, input_names=[SEQUENCE_INPUT], output_names=["probabilities"],
            dynamic_axes={SEQUENCE_INPUT: {0: "N"}, "probabilities": {0: "N"}}, opset_version=13,
        )

        def score(ids: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return model(torch.from_numpy(ids)).numpy()

        multilabel = result["multilabel"]
        export_sequence_bundle(
            result["block"], path, out, name=task, classes=result["classes"], multilabel=multilabel,
            model_object=score, estimator="PyTorch Embedding + LSTM",
            title="Disaster tweets (LSTM)" if not multilabel else "Disaster topics (LSTM, multi-label)",
            description="Is this tweet about a real disaster? Keras tokenizer + embedding + LSTM."
            if not multilabel else "Real disaster? About fire? About water? One probability per label.",
            class_names=result["names"], inputs={"text": "Tweet"},
            examples=[{"title": "Wildfire", "inputs": {"text": "Forest fire near La Ronge Sask. Canada"}},
                      {"title": "Flood", "inputs": {"text": "Flood warning: the river is rising fast, evacuate now"}},
                      {"title": "Not a disaster", "inputs": {"text": "What a lovely sunny day"}}],
            golden_texts=golden_texts, metrics=result["metrics"],
            data={"file": "train.csv", "sha256": result["data_sha256"], "rows": result["rows"]},
            training={"network": f"Embedding({NUM_WORDS}, {EMBEDDING}) → LSTM({HIDDEN}) → Linear; "
                      f"{EPOCHS} epochs, Adam 3e-3, batch {BATCH}, seed {SEED}, torch {torch.__version__}",
                      "tokenizer": f"keras_preprocessing Tokenizer(num_words={NUM_WORDS}, oov_token='<OOV>'), "
                      f"pad_sequences(maxlen={MAXLEN}, pre, pre)"},
            created_at=created_at,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=("disaster-tweets-lstm", "disaster-topics-lstm"), required=True)
    parser.add_argument("--data", required=True, help="disaster-tweets/train.csv")
    parser.add_argument("--out", required=True)
    parser.add_argument("--created-at", default=None)
    parser.add_argument("--check-dir", default=None, help="also write a check bundle whose golden set is held-out tweets")
    parser.add_argument("--check-rows", type=int, default=400)
    args = parser.parse_args()
    if not os.path.exists(args.data):
        sys.exit(f"train_sequence.py: {args.data} not found (see README, Training data)")
    result = train(args.task, args.data)
    export(result, args.task, args.out, args.created_at, None)
    print(f"{args.task}: accuracy {result['metrics']['accuracy']}, macro F1 {result['metrics']['macro_f1']} → {args.out}")
    if args.check_dir:
        export(result, args.task, args.check_dir, args.created_at, result["test_texts"][: args.check_rows])
        print(f"check bundle ({args.check_rows} held-out tweets as golden examples) → {args.check_dir}")


if __name__ == "__main__":
    main()
