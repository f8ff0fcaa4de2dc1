import json

import numpy as np

from sift_sklearn.jsonfmt import Float32, dumps, float32_text


def test_float32_text_round_trips_through_float64_then_float32():
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32)
    values = bits.view(np.float32)
    values = values[np.isfinite(values)]
    specials = np.array(
        [0.0, -0.0, 1.0, -1.0, 0.1, 1e-45, -1e-45, 1.1754944e-38, 3.4028235e38, 16777217.0, 1e-4, 9.999999e-5],
        dtype=np.float32,
    )
    for value in np.concatenate([values, specials]):
        text = float32_text(value)
        assert np.float32(float(text)) == value or (value == 0 and text == "0"), (value, text)
        json.loads(text)  # a valid JSON number


def test_float32_text_is_short():
    assert float32_text(np.float32(0.1)) == "0.1"
    assert float32_text(np.float32(-2.5)) == "-2.5"
    assert float32_text(np.float32(3.0)) == "3"
    assert float32_text(np.float32(-0.0)) == "0"
    assert float32_text(np.float32(1e-45)) == "1e-45"


def test_dumps_layout_is_deterministic_and_valid():
    value = {
        "b": [1, 2.5, "x"],
        "a": [[1, 2], [3, 4]],
        "rows": [[Float32(0.1)] * 6, [Float32(-0.2)] * 6],
        "map": {str(i): chr(65 + i) for i in range(20)},
        "nested": {"k": None, "t": True},
        "text": "caf\u00e9 \ud800 \u2028",
    }
    text = dumps(value)
    assert text == dumps(value)
    parsed = json.loads(text)
    assert list(parsed) == ["b", "a", "rows", "map", "nested", "text"]
    assert parsed["rows"][0][0] == 0.1
    assert "\\ud800" in text  # a lone surrogate is escaped, so the file is valid UTF-8
    text.encode("utf-8")
    assert '"a": [[1,2],[3,4]]' in text
