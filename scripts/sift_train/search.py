"""A cross-validated grid search that fits each feature block once per fold.

GridSearchCV would refit every vectorizer for every classifier setting; here each distinct block
(field + TfidfVectorizer settings) is fitted once per fold and the folds' matrices are reused by
every candidate that contains the block. A candidate's fold matrix is the weighted hstack of its
blocks, exactly what the ColumnTransformer produces, so the scores are those GridSearchCV would
report for the same pipelines and folds. Deterministic: fixed folds, seeded estimators, results
collected in grid order whatever the number of workers; ties go to the earlier candidate.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed
from sift_sklearn import SiftStemTokenizer, prime
from sklearn.metrics import get_scorer

from .space import (
    BlockOption,
    BlockSlot,
    Candidate,
    ClassifierSpace,
    describe_classifier,
    make_classifier,
    make_vectorizer,
    vectorizer_combos,
)

__all__ = ["CandidateScore", "SearchResult", "run_search"]


@dataclass
class CandidateScore:
    index: int  # 1-based position in the grid
    candidate: Candidate
    fold_scores: list

    @property
    def mean(self) -> float:
        return float(np.mean(self.fold_scores))

    @property
    def std(self) -> float:
        return float(np.std(self.fold_scores))


@dataclass
class SearchResult:
    scores: list  # of CandidateScore, grid order
    best: CandidateScore
    folds: int
    scoring: str
    seconds: float


def _fit_block(option: BlockOption, train_texts: list, validation_texts: list) -> tuple:
    vectorizer = make_vectorizer(option)
    if isinstance(vectorizer.tokenizer, SiftStemTokenizer):
        # One stem CLI call for every token this worker will meet, instead of one per tweet.
        prime(vectorizer, train_texts + validation_texts)
    train = vectorizer.fit_transform(train_texts).tocsr()
    validation = vectorizer.transform(validation_texts).tocsr()
    return train, validation


def _stack(matrices: Sequence, weights: Sequence[float]):
    return sp.hstack([m * w for m, w in zip(matrices, weights)], format="csr")


def _fit_and_score(
    train_blocks: list,
    validation_blocks: list,
    weights: list,
    y_train: np.ndarray,
    y_validation: np.ndarray,
    space: ClassifierSpace,
    settings: dict,
    seed: int,
    scoring: str,
) -> float:
    classifier = make_classifier(space, settings, seed)
    classifier.fit(_stack(train_blocks, weights), y_train)
    return float(get_scorer(scoring)(classifier, _stack(validation_blocks, weights), y_validation))


def _block_key(slot: BlockSlot, option: BlockOption) -> tuple:
    # The weight scales the block later; the fitted matrices depend on field and settings only.
    return slot.field, option.params_json


def run_search(
    frame: pd.DataFrame,
    y: np.ndarray,
    slots: Sequence[BlockSlot],
    space: ClassifierSpace,
    folds: Sequence[tuple],
    scoring: str,
    seed: int,
    jobs: int,
    log: Callable[[str], None] = print,
) -> SearchResult:
    started = time.monotonic()
    combos = list(vectorizer_combos(slots))
    total = len(combos) * len(space.grid)
    log(f"search: {total} candidates ({len(combos)} feature sets × {len(space.grid)} classifier settings), "
        f"{len(folds)}-fold CV, scoring {scoring}, {jobs} worker(s)")

    texts = {column: frame[column].tolist() for column in frame.columns}
    blocks: dict[tuple, tuple] = {}
    for combo in combos:
        for slot, option in combo:
            if option is not None:
                blocks.setdefault(_block_key(slot, option), (slot, option))

    scores: list[CandidateScore] = []
    with Parallel(n_jobs=jobs) as parallel:
        block_started = time.monotonic()
        jobs_list = [(key, fold) for key in blocks for fold in range(len(folds))]
        fitted = parallel(
            delayed(_fit_block)(
                blocks[key][1],
                [texts[key[0]][i] for i in folds[fold][0]],
                [texts[key[0]][i] for i in folds[fold][1]],
            )
            for key, fold in jobs_list
        )
        matrices: dict[tuple, list] = {key: [None] * len(folds) for key in blocks}
        for (key, fold), pair in zip(jobs_list, fitted):
            matrices[key][fold] = pair
        for key, (slot, option) in blocks.items():
            widths = [pair[0].shape[1] for pair in matrices[key]]
            log(
                f"  features {slot.name} ({slot.field}): {option.describe()} → "
                f"{min(widths):,}–{max(widths):,} columns per fold"
            )
        log(f"  fitted {len(jobs_list)} fold vectorizers in {time.monotonic() - block_started:.1f} s")

        width = len(str(total))
        for combo in combos:
            present = [(slot, option) for slot, option in combo if option is not None]
            keys = [_block_key(slot, option) for slot, option in present]
            weights = [option.weight for _, option in present]
            fold_scores = parallel(
                delayed(_fit_and_score)(
                    [matrices[key][fold][0] for key in keys],
                    [matrices[key][fold][1] for key in keys],
                    weights,
                    y[folds[fold][0]],
                    y[folds[fold][1]],
                    space,
                    settings,
                    seed,
                    scoring,
                )
                for settings in space.grid
                for fold in range(len(folds))
            )
            for position, settings in enumerate(space.grid):
                candidate = Candidate(tuple(combo), dict(settings))
                first = position * len(folds)
                result = CandidateScore(len(scores) + 1, candidate, fold_scores[first : first + len(folds)])
                scores.append(result)
                log(
                    f"  [{result.index:>{width}}/{total}] {scoring} {result.mean:.4f} ± {result.std:.4f}  "
                    f"{_short(combo)} | {describe_classifier(settings)}"
                )

    best = max(scores, key=lambda s: (s.mean, -s.index))
    if not math.isfinite(best.mean):
        raise RuntimeError("every candidate failed to score")
    return SearchResult(scores, best, len(folds), scoring, time.monotonic() - started)


def _short(combo: tuple) -> str:
    return " + ".join(f"{slot.name}[{option.describe()}]" for slot, option in combo if option is not None)
