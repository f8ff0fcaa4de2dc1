import random
import unicodedata

from sift_sklearn.unicode_tables import unicode_tables


def _member(ranges, code):
    lo, hi = 0, len(ranges)
    while lo < hi:
        mid = (lo + hi) // 2
        if ranges[mid][1] < code:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(ranges) and ranges[lo][0] <= code <= ranges[lo][1]


def _sample_codes(count=20000):
    rng = random.Random(3)
    return [rng.randrange(0x110000) for _ in range(count)] + list(range(0x3000))


def test_tables_match_python_predicates():
    t = unicode_tables()
    assert t["unicode_version"] == unicodedata.unidata_version
    for code in _sample_codes():
        ch = chr(code)
        assert _member(t["word"], code) == (ch.isalnum() or ch == "_"), hex(code)
        assert _member(t["digit"], code) == ch.isdecimal(), hex(code)
        assert _member(t["space"], code) == ch.isspace(), hex(code)
        assert _member(t["assigned"], code) == (unicodedata.category(ch) != "Cn"), hex(code)
        assert _member(t["combining"], code) == (unicodedata.combining(ch) != 0), hex(code)
        expected_lower = ch.lower()
        if code != 0x3A3:
            assert t["lower"].get(str(code), ch) == expected_lower, hex(code)
    assert "931" not in t["lower"]


def _server_lower(text, t):
    """The server's lowercase: the table plus the final-sigma rule from cased/case_ignorable."""
    codes = [ord(c) for c in text]
    out = []
    for i, code in enumerate(codes):
        if code != 0x3A3:
            out.append(t["lower"].get(str(code), chr(code)))
            continue
        j = i - 1
        while j >= 0 and _member(t["case_ignorable"], codes[j]):
            j -= 1
        final = j >= 0 and _member(t["cased"], codes[j])
        if final:
            k = i + 1
            while k < len(codes) and _member(t["case_ignorable"], codes[k]):
                k += 1
            final = k == len(codes) or not _member(t["cased"], codes[k])
        out.append("\u03c2" if final else "\u03c3")
    return "".join(out)


def test_final_sigma_rule_reproduces_python_lower():
    t = unicode_tables()
    rng = random.Random(5)
    interesting = [0x3A3, 0x41, 0x61, 0x27, 0x2E, 0x345, 0x2B0, 0x301, 0x20, 0x391, 0x130, 0x1C5, 0xAD, 0x200D]
    pool = interesting + [rng.randrange(0x110000) for _ in range(400)]
    for _ in range(20000):
        text = "".join(chr(rng.choice(pool)) for _ in range(rng.randint(1, 6)))
        assert _server_lower(text, t) == text.lower(), ascii(text)
