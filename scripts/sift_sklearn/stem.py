"""Stemming for scikit-learn pipelines with the very stemmer the Sift server runs.

`SiftStemTokenizer` is a picklable tokenizer for CountVectorizer/TfidfVectorizer(analyzer='word'):
it finds tokens with a Python token pattern (exactly like sklearn's default tokenizer) and stems
each one with natural's Porter or Lancaster stemmer, obtained from the TypeScript CLI
`node dist/cli/stem.js --stemmer NAME` (JSON lines in, JSON lines out, same order). Using the
server's own code is what makes train-time and serve-time stems identical; a Python port of the
stemmer would drift on edge cases.

The exporter recognises this tokenizer and writes `stemmer` plus its `token_pattern` into the
feature block.

Calls are batched: stems are cached per process and per stemmer (stems never change for a given
build of the CLI); the unseen tokens of one document go, as one batch, to a long-lived CLI process
(one per stemmer and process, closed at exit); `prime(estimator, X)` stems the unique tokens of a
whole training set in a single subprocess before `fit`. Only the configuration is pickled, so a
joblib file stays small and the same on every run.

Environment: SIFT_NODE (default `node`) and SIFT_STEM_CLI (default `<repo>/dist/cli/stem.js`,
built with `npx tsc -p tsconfig.build.json`).
"""
from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import threading
from typing import Any, Iterable, Sequence

__all__ = ["SiftStemTokenizer", "StemmerUnavailableError", "stem_tokens", "prime", "SUPPORTED_STEMMERS"]

SUPPORTED_STEMMERS = ("porter", "lancaster")
_DEFAULT_PATTERN = r"(?u)\b\w\w+\b"
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# stemmer name → {token: stem}; shared by every tokenizer (clones included) in this process.
_STEMS: dict[str, dict[str, str]] = {name: {} for name in SUPPORTED_STEMMERS}
_STEMS_LOCK = threading.Lock()


class StemmerUnavailableError(RuntimeError):
    """The TypeScript stem CLI could not be run or answered something unexpected."""


def _cli_command(stemmer: str) -> list[str]:
    node = os.environ.get("SIFT_NODE", "node")
    cli = os.environ.get("SIFT_STEM_CLI", os.path.join(_REPO_ROOT, "dist", "cli", "stem.js"))
    if not os.path.isfile(cli):
        raise StemmerUnavailableError(
            f"stem CLI not found at {cli}: build it with `npx tsc -p tsconfig.build.json` in {_REPO_ROOT} "
            "or set SIFT_STEM_CLI"
        )
    return [node, cli, "--stemmer", stemmer]


def _parse_stems(tokens: Sequence[str], lines: Sequence[str], command: Sequence[str]) -> list[str]:
    if len(lines) != len(tokens):
        raise StemmerUnavailableError(f"{' '.join(command)} answered {len(lines)} lines for {len(tokens)} tokens")
    stems: list[str] = []
    for token, line in zip(tokens, lines):
        stem = json.loads(line)
        if not isinstance(stem, str):
            raise StemmerUnavailableError(f"stem CLI answered {line!r} for {token!r}: not a JSON string")
        stems.append(stem)
    return stems


def _payload(tokens: Sequence[str]) -> bytes:
    # json.dumps escapes every non-ASCII character and every line break, so each token is exactly
    # one ASCII line whatever it contains.
    return "".join(json.dumps(token) + "\n" for token in tokens).encode("ascii")


def _run_cli(tokens: Sequence[str], stemmer: str) -> list[str]:
    """One subprocess for a large batch (communicate() streams both pipes, no deadlock)."""
    command = _cli_command(stemmer)
    try:
        completed = subprocess.run(command, input=_payload(tokens), capture_output=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise StemmerUnavailableError(f"cannot run {' '.join(command)}: {error}") from error
    if completed.returncode != 0:
        raise StemmerUnavailableError(
            f"{' '.join(command)} exited with {completed.returncode}: "
            f"{completed.stderr.decode('utf-8', 'replace').strip()[:2000]}"
        )
    # Split on "\n" only: str.splitlines() would also split inside stems on U+2028, U+0085...
    lines = completed.stdout.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return _parse_stems(tokens, lines, command)


class _Worker:
    """A long-lived stem CLI for the small batches of single documents (predict, transform).

    Starting node costs a fraction of a second; a document costs microseconds. The CLI answers
    line by line, so a batch small enough for the pipe buffers can be written and then read back.
    """

    MAX_TOKENS = 256
    MAX_BYTES = 16384

    def __init__(self, stemmer: str) -> None:
        self.command = _cli_command(stemmer)
        self.pid = os.getpid()
        try:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as error:
            raise StemmerUnavailableError(f"cannot run {' '.join(self.command)}: {error}") from error

    def fits(self, payload: bytes, count: int) -> bool:
        return count <= self.MAX_TOKENS and len(payload) <= self.MAX_BYTES

    def stems(self, tokens: Sequence[str], payload: bytes) -> list[str]:
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(payload)
            process.stdin.flush()
            lines = [process.stdout.readline() for _ in tokens]
        except (BrokenPipeError, OSError) as error:
            raise self._failure(f"{error}") from error
        if any(not line.endswith(b"\n") for line in lines):
            raise self._failure("it stopped answering")
        return _parse_stems(tokens, [line[:-1].decode("utf-8") for line in lines], self.command)

    def _failure(self, what: str) -> StemmerUnavailableError:
        self.close()
        stderr = b""
        if self.process.stderr is not None:
            try:
                stderr = self.process.stderr.read()
            except OSError:
                pass
        return StemmerUnavailableError(
            f"{' '.join(self.command)}: {what}; stderr: {stderr.decode('utf-8', 'replace').strip()[:2000]}"
        )

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                if self.process.stdin is not None:
                    self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()


_WORKERS: dict[str, _Worker] = {}


def _close_workers() -> None:
    for worker in _WORKERS.values():
        if worker.pid == os.getpid():
            worker.close()
    _WORKERS.clear()


atexit.register(_close_workers)


def _stem_batch(tokens: Sequence[str], stemmer: str) -> list[str]:
    payload = _payload(tokens)
    worker = _WORKERS.get(stemmer)
    if worker is not None and (worker.pid != os.getpid() or worker.process.poll() is not None):
        worker = None  # a forked child must not share its parent's pipes; a dead one is replaced
    if worker is None:
        if len(tokens) > _Worker.MAX_TOKENS or len(payload) > _Worker.MAX_BYTES:
            return _run_cli(tokens, stemmer)
        worker = _WORKERS[stemmer] = _Worker(stemmer)
    if not worker.fits(payload, len(tokens)):
        return _run_cli(tokens, stemmer)
    return worker.stems(tokens, payload)


def stem_tokens(tokens: Iterable[str], stemmer: str = "porter") -> dict[str, str]:
    """Stems of `tokens` (one CLI call for those not cached yet) as a {token: stem} dict."""
    if stemmer not in SUPPORTED_STEMMERS:
        raise ValueError(f"unknown stemmer {stemmer!r}; expected one of {', '.join(SUPPORTED_STEMMERS)}")
    cache = _STEMS[stemmer]
    wanted = set(tokens)
    # One lock around lookup and CLI call: the worker's pipes serve one batch at a time.
    with _STEMS_LOCK:
        missing = sorted(t for t in wanted if t not in cache)
        if missing:
            cache.update(zip(missing, _stem_batch(missing, stemmer)))
        return {token: cache[token] for token in wanted}


class SiftStemTokenizer:
    """Token pattern + natural stemmer, picklable, for `CountVectorizer(tokenizer=...)`.

    Use it with `analyzer='word'` (sklearn ignores tokenizers of char analyzers). sklearn applies
    lowercase/strip_accents before calling it and stop words/n-grams after, which is the server's
    order too.
    """

    def __init__(self, stemmer: str = "porter", token_pattern: str = _DEFAULT_PATTERN) -> None:
        if stemmer not in SUPPORTED_STEMMERS:
            raise ValueError(f"unknown stemmer {stemmer!r}; expected one of {', '.join(SUPPORTED_STEMMERS)}")
        self.stemmer = stemmer
        self.token_pattern = token_pattern
        self._compiled: re.Pattern[str] | None = None

    def _regex(self) -> "re.Pattern[str]":
        if self._compiled is None:
            compiled = re.compile(self.token_pattern)
            if compiled.groups > 1:
                raise ValueError(
                    f"More than 1 capturing group in token pattern {self.token_pattern!r}. "
                    "Only a single group should be captured."
                )
            self._compiled = compiled
        return self._compiled

    def tokenize(self, doc: str) -> list[str]:
        """The unstemmed tokens (re.findall: group 1 when the pattern has one group)."""
        return self._regex().findall(doc)

    def __call__(self, doc: str) -> list[str]:
        tokens = self.tokenize(doc)
        cache = _STEMS[self.stemmer]
        if any(token not in cache for token in tokens):
            stem_tokens(tokens, self.stemmer)
        return [cache[token] for token in tokens]

    def prime_documents(self, preprocessed_docs: Iterable[str]) -> int:
        """Stem the unique tokens of already preprocessed documents in one CLI call; returns their count."""
        unique: set[str] = set()
        for doc in preprocessed_docs:
            unique.update(self.tokenize(doc))
        stem_tokens(unique, self.stemmer)
        return len(unique)

    # Pickle the configuration only: stems are a cache, and a cache in the pickle would make the
    # bytes of a saved model depend on what else the process happened to stem.
    def __getstate__(self) -> dict[str, Any]:
        return {"stemmer": self.stemmer, "token_pattern": self.token_pattern}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["stemmer"], state["token_pattern"])  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SiftStemTokenizer)
            and other.stemmer == self.stemmer
            and other.token_pattern == self.token_pattern
        )

    def __hash__(self) -> int:
        return hash((self.stemmer, self.token_pattern))

    def __repr__(self) -> str:
        return f"SiftStemTokenizer(stemmer={self.stemmer!r}, token_pattern={self.token_pattern!r})"


def _vectorizers_with_columns(estimator: Any, column: Any = None) -> list[tuple[Any, Any]]:
    """(vectorizer, column) pairs reachable in a Pipeline / ColumnTransformer / FeatureUnion."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(estimator, CountVectorizer):
        return [(estimator, column)]
    if isinstance(estimator, Pipeline):
        found: list[tuple[Any, Any]] = []
        for _, step in estimator.steps:
            found.extend(_vectorizers_with_columns(step, column))
        return found
    if isinstance(estimator, ColumnTransformer):
        found = []
        for _, transformer, columns in estimator.transformers:
            if isinstance(columns, str):
                found.extend(_vectorizers_with_columns(transformer, columns))
        return found
    if isinstance(estimator, FeatureUnion):
        found = []
        for _, transformer in estimator.transformer_list:
            found.extend(_vectorizers_with_columns(transformer, column))
        return found
    return []


def prime(estimator: Any, X: Any) -> int:
    """Stem, in one CLI call per tokenizer, every token that fitting `estimator` on `X` will meet.

    `estimator` is a (possibly unfitted) Pipeline, ColumnTransformer, FeatureUnion or vectorizer;
    `X` is what you pass to fit (a list of texts, or a DataFrame for a ColumnTransformer). Without
    priming, fit still works but costs one subprocess per document with new tokens.
    Returns the number of distinct tokens seen.
    """
    total = 0
    for vectorizer, column in _vectorizers_with_columns(estimator):
        tokenizer = getattr(vectorizer, "tokenizer", None)
        if not isinstance(tokenizer, SiftStemTokenizer) or vectorizer.analyzer != "word":
            continue
        texts = X[column] if column is not None else X
        preprocess = vectorizer.build_preprocessor()
        total += tokenizer.prime_documents(preprocess(vectorizer.decode(doc)) for doc in texts)
    return total
