"""scripts/compare_bundles.py: data and settings must match, fitted values may differ between CPUs."""
import json
import shutil
from pathlib import Path

import compare_bundles

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "test" / "fixtures" / "bundles" / "tweets-mini"


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(BUNDLE, target)
    return target


def edit(folder: Path, file: str, change) -> None:
    path = folder / file
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_identical_folders_are_the_same(tmp_path, capsys):
    assert compare_bundles.main([str(BUNDLE), str(copy(tmp_path, "b"))]) == 0
    assert "data and settings: same" in capsys.readouterr().out


def test_fitted_values_may_differ_but_are_reported(tmp_path, capsys):
    other = copy(tmp_path, "b")
    edit(other, "classifier.json", lambda c: c["coefficients"][0].__setitem__(0, c["coefficients"][0][0] + 0.5))
    edit(other, "card.json", lambda c: c["golden"][0].__setitem__("values", [0.5, 0.5]))
    assert compare_bundles.main([str(BUNDLE), str(other)]) == 0
    out = capsys.readouterr().out
    assert "fitted values differ in" in out
    assert compare_bundles.main([str(BUNDLE), str(other), "--strict"]) == 1


def test_vocabulary_settings_and_idf_must_match(tmp_path, capsys):
    for change in (
        lambda v: v["blocks"][0]["vocabulary"].__setitem__(0, "zzz"),
        lambda v: v["blocks"][0].__setitem__("sublinear_tf", not v["blocks"][0]["sublinear_tf"]),
        lambda v: v["blocks"][0]["idf"].__setitem__(0, v["blocks"][0]["idf"][0] * (1 + 1e-6)),
    ):
        other = copy(tmp_path, f"b{len(list(tmp_path.iterdir()))}")
        edit(other, "vectorizer.json", change)
        assert compare_bundles.main([str(BUNDLE), str(other)]) == 1
        assert "vectorizer.json" in capsys.readouterr().out


def test_last_bit_differences_in_idf_pass(tmp_path):
    other = copy(tmp_path, "b")
    edit(other, "vectorizer.json", lambda v: v["blocks"][0]["idf"].__setitem__(0, v["blocks"][0]["idf"][0] * (1 + 2e-16)))
    assert compare_bundles.main([str(BUNDLE), str(other)]) == 0


def test_a_missing_file_fails(tmp_path, capsys):
    other = copy(tmp_path, "b")
    (other / "model.onnx").unlink()
    assert compare_bundles.main([str(BUNDLE), str(other)]) == 1
    assert "model.onnx: only in" in capsys.readouterr().out
