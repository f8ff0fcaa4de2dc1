import re

import pytest

from sift_sklearn.patterns import UnsupportedPatternError, check_token_pattern

ACCEPTED = [
    r"(?u)\b\w\w+\b",
    r"(?u)\b\w+\b",
    r"[#@]?(\w\w+)",
    r"(?u)\b(\w\w+)\b|[!?#]",
    r"\S+",
    r"[a-z]{2,}?",
    r"(?:\w|-)+",
    r"[\w'’]+",
    r"[^\s\d]{3}",
    r"\d+(?:\.\d+)?",
    r"\x41\u00e9+\U0001F600",
    r"[a\-z]+",
    r"[-a]+",
    r"[a-]+",
    r".+",
    r"^\w+|\w\w+",
    r"\#\w+",
    r"[\]x]+",
    r"a{2}b{1,3}?c{2,}",
    r"\t\n\r\f\v",
]

REFUSED = {
    r"\w+$": "'$'",
    r"(?i)\w+": "inline flags",
    r"(?a)\w+": "inline flags",
    r"(?P<x>\w+)": "named groups",
    r"(\w)\1": "backreferences",
    r"(?P=x)": "",
    r"(?<=a)\w": "look-behind",
    r"(?=a)\w+": "look-ahead",
    r"\A\w": r"\A",
    r"\w+\Z": r"\Z",
    r"(a)(b)": "more than one capturing group",
    r"\w*": "empty string",
    r"\b": "empty string",
    r"a|": "empty string",
    r"a{,3}": "{,m}",
    r"a{x": "'{'",
    r"x}": "'}'",
    r"a]": "']'",
    r"a++": "possessive",
    r"(?>ab)": "atomic",
    r"[]a]": "']' first",
    r"[a-c-e]": "'-'",
    r"[\b]": "backspace",
    r"[[a]": "'['",
    r"\é": "escape",
    r"\N{LATIN SMALL LETTER A}": "",
    r"(?#comment)a": "comment",
    r"(?(1)a|b)": "",
    r"a**": "",
}


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_accepts_patterns_javascript_reproduces(pattern):
    assert check_token_pattern(pattern) == pattern


@pytest.mark.parametrize("pattern,reason", sorted(REFUSED.items()))
def test_refuses_constructs_with_a_reason(pattern, reason):
    with pytest.raises(UnsupportedPatternError) as caught:
        check_token_pattern(pattern)
    assert reason in str(caught.value)


def test_refuses_non_strings():
    with pytest.raises(UnsupportedPatternError):
        check_token_pattern(re.compile(r"\w+"))
