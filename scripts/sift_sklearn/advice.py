"""One-paragraph explanations of what went wrong in an export: what failed, the likely cause and
what to do. The CLI prints these instead of tracebacks (scripts/export_sklearn.py --debug shows
the traceback too)."""
from __future__ import annotations

import pickle
import re
from typing import Iterable

__all__ = ["ExportFailure", "explain_load_error", "pickled_version", "refusal_advice", "version_mismatch"]

_VERSION_WARNING = re.compile(r"from version (\S+) when using version (\S+?)\.?(?:\s|$)")


class ExportFailure(Exception):
    """An export that cannot go on; str() is the paragraph to show."""


def pickled_version(warnings: Iterable[object]) -> str | None:
    """The scikit-learn version a pickle was written with, from sklearn's unpickling warnings."""
    for warning in warnings:
        message = getattr(warning, "message", warning)
        original = getattr(message, "original_sklearn_version", None)  # sklearn >= 1.3
        if isinstance(original, str):
            return original
        found = _VERSION_WARNING.search(str(message))
        if found:
            return found.group(1)
    return None


def version_mismatch(path: str, saved: str, running: str) -> ExportFailure:
    return ExportFailure(
        f"{path} was saved with scikit-learn {saved}, but this Python has scikit-learn {running}. "
        "A pickle only loads faithfully in the version that wrote it (scikit-learn warns that "
        "results may be invalid), and Sift exports exactly what it loads. Run the export with the "
        f"version that trained the model, e.g. `pip install scikit-learn=={saved}` in a virtualenv, "
        "or refit and save the pipeline with this version."
    )


def explain_load_error(path: str, error: BaseException, saved: str | None, running: str) -> ExportFailure:
    """Why joblib.load(path) failed, for a person."""
    if isinstance(error, FileNotFoundError):
        return ExportFailure(
            f"Cannot read --pipeline {path}: there is no such file. Give the path of the file you "
            "wrote with joblib.dump(pipeline, PATH)."
        )
    if isinstance(error, IsADirectoryError):
        return ExportFailure(f"--pipeline {path} is a folder; give the .joblib file inside it.")
    if isinstance(error, ModuleNotFoundError):
        module = error.name or str(error)
        if module.split(".")[0] == "sklearn":
            return ExportFailure(
                f"Could not load {path}: it refers to the module {module}, which scikit-learn {running} "
                f"does not have{f' (it was saved with scikit-learn {saved})' if saved else ''}. The "
                "likely cause is a scikit-learn version mismatch. Run the export with the version that "
                "trained the model (`pip install scikit-learn==VERSION` in a virtualenv), or refit and "
                "save the pipeline with this one."
            )
        top = module.split(".")[0]
        return ExportFailure(
            f"Could not load {path}: it needs the Python module '{module}', which is not installed "
            "here. The likely cause is that the model was trained in another environment, or uses a "
            f"class from a library or file of your own. Install it (`pip install {top}`, or put your "
            "module on PYTHONPATH) and run the export again, or run it where the model was trained."
        )
    if saved is not None and saved != running:
        return version_mismatch(path, saved, running)
    if isinstance(error, (EOFError, pickle.UnpicklingError)) or "pickle" in type(error).__name__.lower():
        return ExportFailure(
            f"Could not load {path}: it is not a complete joblib/pickle file ({type(error).__name__}: "
            f"{_first_line(error)}). Save the fitted pipeline again with joblib.dump(pipeline, PATH) "
            "and check the file was copied whole."
        )
    return ExportFailure(
        f"Could not load {path} ({type(error).__name__}: {_first_line(error)}). The likely cause is a "
        f"library version mismatch (this Python has scikit-learn {running}) or a file that is not a "
        "joblib pickle. Run the export in the environment that trained the model; add --debug to see "
        "the traceback."
    )


_ADVICE: tuple[tuple[str, str], ...] = (
    ("HashingVectorizer", "Use TfidfVectorizer or CountVectorizer with the same options, refit and export again."),
    ("callable analyzer", "Use analyzer='word', 'char' or 'char_wb' with token_pattern, lowercase, strip_accents, stop_words and ngram_range instead, refit and export again."),
    ("custom preprocessor", "Clean the text before fitting, or use lowercase / strip_accents, refit and export again."),
    ("tokenizer", "For stemming use sift_sklearn.SiftStemTokenizer (the server has the same stemmer); otherwise express the tokens with token_pattern. Refit and export again."),
    ("token_pattern", "Use a token_pattern JavaScript matches the same way (the default r'(?u)\\b\\w\\w+\\b' always works), refit and export again."),
    ("unsupported classifier", "Use one of the supported classifiers, e.g. LogisticRegression (probabilities) or LinearSVC (decision scores), refit and export again."),
    ("is not fitted", "Fit the pipeline (pipeline.fit(texts, labels)) before joblib.dump, then export again."),
    ("expected a fitted sklearn Pipeline", "Save the whole fitted Pipeline([('tfidf', TfidfVectorizer(...)), ('clf', LogisticRegression())]) with joblib.dump, not one of its steps."),
    ("vectorizer step and a classifier", "Save the whole fitted Pipeline([('tfidf', TfidfVectorizer(...)), ('clf', LogisticRegression())]) with joblib.dump."),
    ("single class", "Fit on data with at least two classes."),
    ("no supported formula", "Use LogisticRegression or one of the other supported classifiers, refit and export again."),
)

_GENERIC = (
    "Replace that part with a supported one (README, “Serving your own model”, lists them), refit "
    "and export again."
)


def refusal_advice(message: str) -> str:
    """What to do instead, for an UnsupportedModelError message."""
    for needle, advice in _ADVICE:
        if needle in message:
            return advice
    if re.search(r"\buse\b", message):
        return "Refit with that change and export again."
    return _GENERIC


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else "no message"
