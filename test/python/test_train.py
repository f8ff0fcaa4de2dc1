"""scripts/train.py and scripts/sift_train: run the real script (--quick) on small CSVs written here.

The CSVs are generated from templates in this file (no rows of the shared data sets); the full
models are checked against ../shared/data by scripts/check_artifacts_reproducible.sh.
"""
import csv
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from sift_train.data import fingerprint, read_table
from sift_train.metrics import heldout_metrics
from sift_train.space import make_vectorizer
from sift_train.tasks import TASKS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(REPO, "scripts", "train.py")
BUNDLE_FILES = {"card.json", "classifier.json", "model.onnx", "unicode.json", "vectorizer.json"}
CREATED_AT = "2026-01-01T00:00:00Z"
STEM_CLI = os.path.join(REPO, "dist", "cli", "stem.js")

_EVENTS = ["fire", "flood", "earthquake", "storm", "explosion", "landslide", "wildfire", "tornado"]
_PLACES = ["the harbour", "our town", "the highway", "the old mill", "the valley", "downtown"]
_HARM = ["people evacuated", "roads closed", "two injured", "homes destroyed", "crews on site", "power out"]
_CASUAL = ["this song is", "my exam was", "that movie was", "the new phone is", "our team's defence was", "lunch was"]
_SLANG = ["fire", "a disaster lol", "the bomb", "killing it", "a total wreck haha", "explosive fun"]


def _disaster_rows(rng: random.Random, per_class: int) -> list[dict]:
    rows = []
    for i in range(per_class):
        event = rng.choice(_EVENTS)
        rows.append(
            {
                "id": str(2 * i),
                "keyword": rng.choice([event, f"{event}%20warning", ""]),
                "location": rng.choice(["", "Springfield", "Riverside, CA", "Earth"]),
                "text": f"{event.capitalize()} near {rng.choice(_PLACES)}, {rng.choice(_HARM)} #{event}",
                "target": "1",
            }
        )
        rows.append(
            {
                "id": str(2 * i + 1),
                "keyword": rng.choice(["fire", "disaster", "", "body%20bags"]),
                "location": rng.choice(["", "somewhere", "Springfield"]),
                "text": f"{rng.choice(_CASUAL)} {rng.choice(_SLANG)}\nsee you {rng.choice(['soon', 'later'])}",
                "target": "0",
            }
        )
    return rows


def _airline_rows(rng: random.Random, per_class: int) -> list[dict]:
    templates = {
        "negative": ["@air lost my bag, {x}", "@air delayed again {x}", "@air worst service {x}"],
        "neutral": ["@air what time is the {x} flight?", "@air is there wifi on the {x} route?"],
        "positive": ["@air thanks for the great {x} crew!", "@air loved the {x} flight, amazing"],
    }
    filler = ["today", "Boston", "morning", "red-eye", "Denver", "again"]
    rows = []
    for i in range(per_class):
        for label, options in templates.items():
            text = rng.choice(options).format(x=rng.choice(filler))
            rows.append({"tweet_id": str(len(rows)), "airline": "Air", "text": text, "sentiment": label})
    return rows


def _write_csv(path: str, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = random.Random(7)
    os.makedirs(root / "disaster-tweets")
    os.makedirs(root / "airline-sentiment")
    _write_csv(str(root / "disaster-tweets" / "train.csv"), _disaster_rows(rng, 60))
    _write_csv(str(root / "airline-sentiment" / "train.csv"), _airline_rows(rng, 30))
    return root


def _train(task: str, data_dir, out, *extra: str) -> str:
    command = [sys.executable, TRAIN, "--task", task, "--data-dir", str(data_dir), "--out", str(out)]
    command += ["--quick", "--created-at", CREATED_AT, *extra]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def _files(folder) -> dict[str, bytes]:
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


def test_disaster_quick_bundle_card_and_reproducibility(data_dir, tmp_path):
    output = _train("disaster-tweets", data_dir, tmp_path / "a", "--stem", "none", "--jobs", "1")
    assert "held-out metrics" in output and "[1/1]" in output
    files = _files(tmp_path / "a")
    assert set(files) == BUNDLE_FILES

    card = json.loads(files["card.json"])
    assert [i["name"] for i in card["inputs"]] == ["text", "keyword", "location"]
    assert [i["label"] for i in card["inputs"]] == ["Tweet", "Keyword", "Location"]
    assert [i["required"] for i in card["inputs"]] == [True, False, False]
    assert card["classes"] == [{"value": 0, "name": "Not a disaster"}, {"value": 1, "name": "Real disaster"}]
    assert card["positive_class"] == 1 and card["threshold"] == 0.5
    assert card["created_at"] == CREATED_AT
    assert card["data"]["rows"] == 120 and card["data"]["file"] == "disaster-tweets/train.csv"
    metrics = card["metrics"]
    assert metrics["train_size"] + metrics["test_size"] == 120 and metrics["test_size"] == 24
    assert sum(map(sum, metrics["confusion_matrix"])) == 24
    assert 0.5 <= metrics["roc_auc"] <= 1 and 0 <= metrics["accuracy"] <= 1
    assert card["training"]["stemming"]["mode"] == "none" and card["training"]["quick"] is True
    assert len(card["golden"]) >= 30 and card["examples"]
    # Only texts written in scripts/sift_train, never rows of the data.
    texts = set(read_table(str(data_dir / "disaster-tweets" / "train.csv"), ["text"])["text"])
    assert not texts & {g["inputs"]["text"] for g in card["golden"]}

    # Same data and arguments, another number of workers: the same bytes.
    _train("disaster-tweets", data_dir, tmp_path / "b", "--stem", "none", "--jobs", "2")
    assert _files(tmp_path / "b") == files


def test_airline_quick_is_multiclass_with_string_labels(data_dir, tmp_path):
    _train("airline-sentiment", data_dir, tmp_path, "--stem", "none")
    card = json.loads(open(tmp_path / "card.json", encoding="utf-8").read())
    assert card["task"] == "multiclass"
    assert [c["value"] for c in card["classes"]] == ["negative", "neutral", "positive"]
    assert [c["name"] for c in card["classes"]] == ["Negative", "Neutral", "Positive"]
    assert "roc_auc" not in card["metrics"] and "positive_class" not in card
    assert [row["class"] for row in card["metrics"]["per_class"]] == ["negative", "neutral", "positive"]
    classifier = json.loads(open(tmp_path / "classifier.json", encoding="utf-8").read())
    assert classifier["post_transform"] == "softmax"


@pytest.mark.skipif(not os.path.isfile(STEM_CLI), reason="dist/cli/stem.js not built (npm run build)")
def test_stem_auto_compares_both_and_records_it(data_dir, tmp_path):
    output = _train("disaster-tweets", data_dir, tmp_path, "--stem", "auto")
    assert "[2/2]" in output
    stemming = json.loads(open(tmp_path / "card.json", encoding="utf-8").read())["training"]["stemming"]
    assert stemming["mode"] == "auto" and stemming["compared"] is True
    assert stemming["chosen"] in ("none", "porter")
    with_porter, without = stemming["best_cv_accuracy_with_porter"], stemming["best_cv_accuracy_without_stemming"]
    assert stemming["helped"] == (with_porter > without)


def test_keyword_block_reads_percent_encoded_spaces_like_spaces():
    slot = next(s for s in TASKS["disaster-tweets"].slots if s.name == "keyword")
    analyze = make_vectorizer(slot.options[0]).build_analyzer()
    assert analyze("forest%20fire") == analyze("Forest fire") == ["forest", "fire", "forest fire"]


def test_per_class_accuracy_is_one_vs_rest():
    y_true = np.array(["a", "a", "b", "c", "c", "c"])
    y_pred = np.array(["a", "b", "b", "c", "a", "c"])
    metrics = heldout_metrics(["a", "b", "c"], y_true, y_pred, np.zeros((6, 3)), None, 10)
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    # a: TP 1, TN 3 (b→b, c→c twice) → 4/6; b: TP 1, TN 4 → 5/6; c: TP 2, TN 3 → 5/6
    assert [row["accuracy"] for row in metrics["per_class"]] == [round(4 / 6, 6), round(5 / 6, 6), round(5 / 6, 6)]
    assert metrics["accuracy"] == 0.666667 and metrics["train_size"] == 10 and metrics["test_size"] == 6


def test_fingerprint_counts_records_not_lines(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b'id,text\n1,"two\nlines"\n2,plain\n')
    result = fingerprint(str(path))
    assert result["rows"] == 2
    assert result["file"] == f"{tmp_path.name}/train.csv"
    assert len(result["sha256"]) == 64


def test_xgboost_tutorial_task_ships_a_kind_onnx_bundle(data_dir, tmp_path):
    pytest.importorskip("xgboost")
    output = _train("disaster-tweets-xgboost", data_dir, tmp_path / "a")
    assert "held-out metrics" in output and "fitted the fixed pipeline" in output
    files = _files(tmp_path / "a")
    classifier = json.loads(files["classifier.json"])
    assert classifier["kind"] == "onnx" and classifier["estimator"] == "XGBClassifier"
    card = json.loads(files["card.json"])
    assert card["name"] == "disaster-tweets-xgboost" and card["metrics"]["test_size"] == 24
    assert card["training"]["settings"]["classifier"]["estimator"] == "XGBClassifier"
    assert "xgboost" in card["versions"] and card["golden"]
    _train("disaster-tweets-xgboost", data_dir, tmp_path / "b")
    assert _files(tmp_path / "b") == files
