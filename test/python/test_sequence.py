"""Sequence blocks and sequence bundles: Keras' to_json() → block, refusals at export that name the
problem (tokenizer settings, graph input type/shape, outputs that are not probabilities)."""
import json

import numpy as np
import onnx
import pytest

keras_text = pytest.importorskip("keras_preprocessing.text")
torch = pytest.importorskip("torch")

from sift_sklearn import UnsupportedModelError  # noqa: E402
from sift_sklearn.corpus import synthetic_rows  # noqa: E402
from sift_sklearn.hard_strings import HARD_STRINGS  # noqa: E402
from sift_sklearn.sequence import block_sequences, keras_block, vocabulary_block  # noqa: E402
from sift_sklearn.sequence_export import export_sequence_bundle  # noqa: E402

TEXTS = [r.text for r in synthetic_rows(120, 5)] + list(HARD_STRINGS)


def _tokenizer(**settings):
    tokenizer = keras_text.Tokenizer(**settings)
    tokenizer.fit_on_texts(TEXTS)
    return tokenizer


class _Net(torch.nn.Module):
    def __init__(self, vocabulary, classes, final):
        super().__init__()
        torch.manual_seed(0)
        self.embedding = torch.nn.Embedding(vocabulary, 4)
        self.out = torch.nn.Linear(4, classes)
        self.final = final

    def forward(self, ids):
        return self.final(self.out(self.embedding(ids).mean(dim=1)))


def _onnx(net, maxlen, path, dtype=torch.int64, dynamic=True):
    torch.onnx.export(
        net, torch.zeros((2, maxlen), dtype=dtype), str(path), input_names=["x"], output_names=["out"],
        dynamic_axes={"x": {0: "N"}, "out": {0: "N"}} if dynamic else None, opset_version=13,
    )
    return str(path)


def _score(net):
    return lambda ids: net(torch.from_numpy(ids)).detach().numpy()


def test_block_from_to_json_reproduces_keras_ids_and_prunes_ids_past_num_words():
    tokenizer = _tokenizer(num_words=50, oov_token="<OOV>")
    block = keras_block(tokenizer.to_json(), maxlen=10, padding="post", truncating="pre", value=0)
    assert max(block["ids"]) < 50 and block["oov_id"] == 1
    from keras_preprocessing.sequence import pad_sequences

    expected = pad_sequences(tokenizer.texts_to_sequences(TEXTS), maxlen=10, padding="post", truncating="pre")
    assert block_sequences(block, TEXTS) == expected.tolist()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.update(split=""), "non-empty"),
        (lambda c: c.update(oov_token="[missing]"), "not in word_index"),
        (lambda c: c.update(word_index="{}"), "no word_index"),
    ],
)
def test_keras_block_refusals(change, message):
    raw = json.loads(_tokenizer().to_json())
    change(raw["config"])
    with pytest.raises(UnsupportedModelError, match=message):
        keras_block(raw, maxlen=8)


def test_vocabulary_block_refusals():
    with pytest.raises(UnsupportedModelError, match="maxlen"):
        vocabulary_block({"a": 1}, maxlen=0)
    with pytest.raises(ValueError, match="empty string|token_pattern"):
        vocabulary_block({"a": 1}, token_pattern=r"\w*", maxlen=4)


def test_export_checks_the_network_input_and_outputs(tmp_path):
    block = keras_block(_tokenizer(num_words=80).to_json(), maxlen=8)
    softmax = _Net(80, 2, lambda z: torch.softmax(z, dim=1))
    common = dict(name="seq", classes=[0, 1], created_at="2024-01-01T00:00:00Z")
    result = export_sequence_bundle(block, _onnx(softmax, 8, tmp_path / "a.onnx"), str(tmp_path / "ok"),
                                    model_object=_score(softmax), **common)
    assert "sequence.json" in result["files"] and "vectorizer.json" not in result["files"]
    card = json.loads((tmp_path / "ok" / "card.json").read_text())
    assert card["task"] == "binary" and len(card["golden"]) > 50

    with pytest.raises(UnsupportedModelError, match="takes 9 ids per row; the padded sequences have maxlen 8"):
        export_sequence_bundle(block, _onnx(softmax, 9, tmp_path / "b.onnx", dynamic=True), str(tmp_path / "b"),
                               model_object=_score(softmax), **common)
    floats = _Net(80, 2, lambda z: torch.softmax(z, dim=1))
    floats.forward = lambda x: torch.softmax(floats.out(x[:, :4]), dim=1)  # type: ignore[method-assign]
    with pytest.raises(UnsupportedModelError, match="not a int64 tensor"):
        export_sequence_bundle(block, _onnx(floats, 8, tmp_path / "c.onnx", dtype=torch.float32), str(tmp_path / "c"),
                               model_object=_score(softmax), **common)
    sigmoid = _Net(80, 2, torch.sigmoid)
    with pytest.raises(UnsupportedModelError, match="multi-label"):
        export_sequence_bundle(block, _onnx(sigmoid, 8, tmp_path / "d.onnx"), str(tmp_path / "d"),
                               model_object=_score(sigmoid), **common)


def test_multilabel_logits_get_a_sigmoid_and_thresholds_go_on_the_card(tmp_path):
    block = vocabulary_block({w: i + 1 for i, w in enumerate("fire flood you idiot day".split())}, maxlen=6)
    logits = _Net(6, 3, lambda z: z)
    path = _onnx(logits, 6, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="one threshold per label"):
        export_sequence_bundle(block, path, str(tmp_path / "x"), name="m", classes=["a", "b", "c"], multilabel=True,
                               post_transform="sigmoid", model_object=lambda ids: torch.sigmoid(
                                   logits(torch.from_numpy(ids))).detach().numpy(), label_thresholds=[0.5])
    export_sequence_bundle(block, path, str(tmp_path / "m"), name="m", classes=["a", "b", "c"], multilabel=True,
                           post_transform="sigmoid", label_thresholds=[0.5, 0.3, 0.7],
                           model_object=lambda ids: torch.sigmoid(logits(torch.from_numpy(ids))).detach().numpy())
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["task"] == "multilabel" and card["label_thresholds"] == [0.5, 0.3, 0.7]
    classifier = json.loads((tmp_path / "m" / "classifier.json").read_text())
    assert classifier["multilabel"] is True and classifier["width"] == 6
    graph = onnx.load(str(tmp_path / "m" / "model.onnx")).graph
    assert [i.name for i in graph.input] == ["ids"] and graph.node[-2].op_type == "Sigmoid"
