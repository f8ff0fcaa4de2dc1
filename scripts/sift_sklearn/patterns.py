"""Which Python token patterns the TypeScript tokenizer can reproduce exactly.

The server translates the fitted `token_pattern` to a JavaScript RegExp with the character tables
of unicode.json. Only a conservative subset of Python's syntax has the same meaning in both
engines once \\w, \\d, \\s, \\b and '.' are mapped; anything else is refused at export time with the
construct named, rather than served with silently different tokens.

Accepted:
  - literal characters except the unescaped metacharacters  $ { } ]
  - escapes \\w \\W \\d \\D \\s \\S \\b \\B, \\t \\n \\r \\f \\v, \\xhh, \\uhhhh, \\Uhhhhhhhh, and a backslash
    before any ASCII punctuation or space
  - '.', '^', alternation '|'
  - character classes [...] / [^...] of single characters, ranges and the class escapes above
    (\\b inside a class means backspace in Python and is refused; so are a leading ']', an
    unescaped '[' and doubled set-operation characters such as '--' or '&&')
  - non-capturing groups (?:...), at most one capturing group (...)
  - quantifiers * + ? {n} {n,} {n,m}, each optionally lazy (suffix ?)
  - a leading (?u) (Python's default for str patterns)
Refused (examples): $, \\A, \\Z, backreferences, named groups, look-ahead and look-behind, inline
flags other than the leading (?u), possessive quantifiers, atomic groups, conditionals, {,m},
and patterns that can match the empty string (Python and JavaScript step past empty matches
differently).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

__all__ = ["UnsupportedPatternError", "check_token_pattern"]


class UnsupportedPatternError(ValueError):
    """The pattern uses a construct the TypeScript tokenizer does not reproduce."""


_CLASS_ESCAPES = set("wWdDsS")
_CONTROL_ESCAPES = set("tnrfv")
_HEX_LENGTH = {"x": 2, "u": 4, "U": 8}
_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ")
_INFINITE = float("inf")


@dataclass
class _Parsed:
    min_width: float
    groups: int


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.groups = 0

    # -- helpers ---------------------------------------------------------------------------
    def fail(self, message: str) -> "UnsupportedPatternError":
        return UnsupportedPatternError(
            f"token_pattern {self.pattern!r} is not supported by Sift: {message} (at position {self.pos})"
        )

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.pattern[index] if index < len(self.pattern) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.pattern)

    # -- grammar ---------------------------------------------------------------------------
    def parse(self) -> _Parsed:
        if self.pattern.startswith("(?u)"):
            self.pos = 4
        width = self.alternation()
        if not self.at_end():
            raise self.fail(f"unbalanced {self.peek()!r}")
        return _Parsed(width, self.groups)

    def alternation(self) -> float:
        width = self.sequence()
        while self.peek() == "|":
            self.pos += 1
            width = min(width, self.sequence())
        return width

    def sequence(self) -> float:
        width = 0.0
        while not self.at_end() and self.peek() not in "|)":
            atom_width, repeatable = self.atom()
            width += self.quantified(atom_width, repeatable)
        return width

    def quantified(self, atom_width: float, repeatable: bool) -> float:
        ch = self.peek()
        if ch == "" or ch not in "*+?{":
            return atom_width
        if not repeatable:
            raise self.fail("a quantifier must follow a character, class or group")
        if ch == "{":
            low = self.counted_repeat()
        else:
            self.pos += 1
            low = 1 if ch == "+" else 0
        if self.peek() == "?":
            self.pos += 1  # lazy: same matches, found in the same order by both engines
        elif self.peek() == "+":
            raise self.fail("possessive quantifiers are not supported")
        if self.peek() != "" and self.peek() in "*+?{":
            raise self.fail("multiple repeat")
        return atom_width * low if atom_width != _INFINITE else atom_width

    def counted_repeat(self) -> int:
        match = re.compile(r"\{(\d*)(,?)(\d*)\}").match(self.pattern, self.pos)
        if match is None or (match.group(1) == "" and match.group(3) == ""):
            raise self.fail("'{' must start a quantifier {n}, {n,} or {n,m}; escape a literal brace as \\{")
        low, comma, high = match.groups()
        if low == "":
            raise self.fail("{,m} is not supported; write {0,m}")
        if comma == "" and high != "":
            raise self.fail("malformed quantifier")
        if high and int(high) < int(low):
            raise self.fail("quantifier minimum is greater than its maximum")
        self.pos = match.end()
        return int(low)

    def atom(self) -> tuple[float, bool]:
        ch = self.peek()
        if ch == "(":
            return self.group(), True
        if ch == "[":
            self.char_class()
            return 1, True
        if ch == "\\":
            return self.escape(in_class=False)
        if ch == "^":
            self.pos += 1
            return 0, False
        if ch == "$":
            raise self.fail("'$' is not supported (Python's $ also matches before a final newline)")
        if ch in "{}":
            raise self.fail(f"a literal {ch!r} must be escaped")
        if ch == "]":
            raise self.fail("a literal ']' must be escaped")
        if ch in "*+?":
            raise self.fail("nothing to repeat")
        self.pos += 1  # a literal character or '.'
        return 1, True

    def group(self) -> float:
        self.pos += 1
        if self.peek() == "?":
            kind = self.pattern[self.pos : self.pos + 3]
            if kind.startswith("?:"):
                self.pos += 2
            elif kind.startswith("?P<") or kind.startswith("?<") and kind[2:3] not in ("=", "!"):
                raise self.fail("named groups are not supported")
            elif kind.startswith("?P="):
                raise self.fail("backreferences are not supported")
            elif kind.startswith("?<=") or kind.startswith("?<!"):
                raise self.fail("look-behind is not supported")
            elif kind.startswith("?=") or kind.startswith("?!"):
                raise self.fail("look-ahead is not supported")
            elif kind.startswith("?#"):
                raise self.fail("comments are not supported")
            elif kind.startswith("?>"):
                raise self.fail("atomic groups are not supported")
            elif kind.startswith("?("):
                raise self.fail("conditional groups are not supported")
            else:
                raise self.fail("inline flags are not supported (only a leading (?u))")
        else:
            self.groups += 1
            if self.groups > 1:
                raise self.fail("more than one capturing group (sklearn allows at most one)")
        width = self.alternation()
        if self.peek() != ")":
            raise self.fail("missing ')'")
        self.pos += 1
        return width

    def escape(self, in_class: bool) -> tuple[float, bool]:
        nxt = self.peek(1)
        if nxt == "":
            raise self.fail("trailing backslash")
        if nxt in _CLASS_ESCAPES or nxt in _CONTROL_ESCAPES:
            self.pos += 2
            return 1, True
        if nxt in "bB":
            if in_class:
                raise self.fail("\\b inside a class (a backspace in Python) is not supported")
            self.pos += 2
            return 0, False
        if nxt in _HEX_LENGTH:
            digits = self.pattern[self.pos + 2 : self.pos + 2 + _HEX_LENGTH[nxt]]
            if len(digits) != _HEX_LENGTH[nxt] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise self.fail(f"malformed \\{nxt} escape")
            if int(digits, 16) > 0x10FFFF:
                raise self.fail("code point out of range")
            self.pos += 2 + _HEX_LENGTH[nxt]
            return 1, True
        if nxt in "AZ":
            raise self.fail(f"\\{nxt} is not supported")
        if nxt.isdigit():
            raise self.fail("backreferences and octal escapes are not supported")
        if nxt in _ASCII_PUNCT:
            self.pos += 2
            return 1, True
        raise self.fail(f"the escape \\{nxt} is not supported")

    def char_class(self) -> None:
        self.pos += 1
        if self.peek() == "^":
            self.pos += 1
        if self.peek() == "]":
            raise self.fail("a ']' first in a class must be escaped")
        items = 0
        previous_single = False  # the last item was a single character (can start a range)
        while True:
            ch = self.peek()
            if ch == "":
                raise self.fail("unterminated character class")
            if ch == "]":
                self.pos += 1
                if items == 0:
                    raise self.fail("empty character class")
                return
            if ch == "[":
                raise self.fail("a '[' inside a class must be escaped")
            if ch in "-&~|" and self.peek(1) == ch:
                raise self.fail(f"'{ch}{ch}' inside a class is reserved for set operations; escape it")
            if ch == "-":
                is_last = self.peek(1) == "]"
                if items == 0 or is_last:
                    self.pos += 1
                    items += 1
                    previous_single = True
                    continue
                if not previous_single:
                    raise self.fail("a '-' that does not form a range must be escaped")
                self.pos += 1
                self.class_single()  # the range end
                previous_single = False
                items += 1
                continue
            previous_single = self.class_item()
            items += 1

    def class_item(self) -> bool:
        """Consume one class item; True when it is a single character (a possible range start)."""
        if self.peek() == "\\":
            nxt = self.peek(1)
            if nxt in _CLASS_ESCAPES:
                self.pos += 2
                return False
            self.escape(in_class=True)
            return True
        self.pos += 1
        return True

    def class_single(self) -> None:
        ch = self.peek()
        if ch in ("", "]"):
            raise self.fail("unterminated range")
        if ch == "\\":
            if self.peek(1) in _CLASS_ESCAPES:
                raise self.fail("a class escape cannot end a range")
            self.escape(in_class=True)
            return
        if ch == "[":
            raise self.fail("a '[' inside a class must be escaped")
        self.pos += 1


def check_token_pattern(pattern: object) -> str:
    """Return the pattern when the TypeScript tokenizer reproduces it; raise otherwise."""
    if not isinstance(pattern, str):
        raise UnsupportedPatternError(f"token_pattern must be a string, got {type(pattern).__name__}")
    try:
        with warnings.catch_warnings():
            # "Possible nested set" warnings: the parser below refuses those constructs anyway.
            warnings.simplefilter("ignore", FutureWarning)
            compiled = re.compile(pattern)
    except re.error as error:
        raise UnsupportedPatternError(f"token_pattern {pattern!r} does not compile in Python: {error}") from error
    if compiled.flags & re.ASCII or compiled.flags & re.IGNORECASE or compiled.flags & re.VERBOSE:
        raise UnsupportedPatternError(
            f"token_pattern {pattern!r} is not supported by Sift: inline flags other than a leading (?u)"
        )
    parsed = _Parser(pattern).parse()
    if parsed.groups != compiled.groups:
        raise UnsupportedPatternError(f"token_pattern {pattern!r}: could not count its groups")
    if parsed.min_width == 0:
        raise UnsupportedPatternError(
            f"token_pattern {pattern!r} is not supported by Sift: it can match the empty string "
            "(Python and JavaScript step past empty matches differently)"
        )
    return pattern
