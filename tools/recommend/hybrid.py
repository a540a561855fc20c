"""The hybrid: a weighted blend of the single models, weights chosen by what the data supports.

Each component's scores are standardised per customer (z-scores over the catalogue: how far above that
component's typical score for this customer an item sits), then summed with weights; scaling by the
largest score instead blended worse on the validation and test windows (BENCHMARKS.md). The weights are
not guessed: they are picked by coordinate ascent on NDCG@k of a validation window carved from the end of
the training data (models retrained on the data before it), on the "new products" question the marketer asks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import sparse

from tools.recommend.evaluate import evaluate_scores, make_split
from tools.recommend.models import Model

# The components the hybrid may blend; EASE is the anchor (weight 1), the others are tuned.
ANCHOR = "ease"
COMPONENTS = ("ease", "next_ease", "als", "item_knn", "content", "seasonal_popularity")
WEIGHT_GRID = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
VALIDATION_CUSTOMERS = 800
PASSES = 1  # one coordinate-ascent sweep: a second one overfitted the short validation window in our runs


def normalise(scores: np.ndarray) -> np.ndarray:
    """Per-row z-scores; a constant row (no signal for this customer) becomes zeros."""
    mean = scores.mean(axis=1, keepdims=True)
    spread = scores.std(axis=1, keepdims=True)
    return (scores - mean) / np.where(spread == 0, 1.0, spread)


def blend(parts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    total = np.zeros_like(next(iter(parts.values())))
    for name, weight in weights.items():
        if weight:
            total += weight * parts[name]
    return total


class Hybrid:
    """Scores = Σ weight × normalised component score."""

    name = "hybrid"

    def __init__(self, models: dict[str, Model], weights: dict[str, float]) -> None:
        self.models, self.weights = models, weights

    def parts(self, history: sparse.csr_matrix) -> dict[str, np.ndarray]:
        return {name: normalise(self.models[name].score(history)) for name, w in self.weights.items() if w}

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        return blend(self.parts(history), self.weights)


class Tuning(BaseModel):
    """How the weights were chosen: the validation window and its NDCG before and after blending."""

    validation_from: str
    validation_to: str
    customers: int
    anchor_ndcg: float
    hybrid_ndcg: float
    weights: dict[str, float]


def validation_start(events: pd.DataFrame, as_of: datetime) -> datetime:
    """The last fifth of the history (two weeks to three months) is held out to choose the weights."""
    span = (pd.Timestamp(as_of) - events["ordered_at"].min()).days if len(events) else 0
    return as_of - timedelta(days=int(np.clip(span / 5, 14, 90)))


def tune_weights(
    events: pd.DataFrame, as_of: datetime, make_models: Callable[[], dict[str, Model]], k: int = 10
) -> Tuning:
    """Fit the components before a validation window, then pick weights that rank its new purchases best."""
    start = validation_start(events, as_of)
    split = make_split(events, start, end=as_of, max_customers=VALIDATION_CUSTOMERS)
    weights = {name: (1.0 if name == ANCHOR else 0.0) for name in COMPONENTS}
    if len(split.test_rows) == 0:
        return Tuning(
            validation_from=str(start.date()),
            validation_to=str(as_of.date()),
            customers=0,
            anchor_ndcg=0.0,
            hybrid_ndcg=0.0,
            weights=weights,
        )
    models = make_models()
    history = split.train.binary[split.test_rows]
    parts: dict[str, np.ndarray] = {}
    for name in COMPONENTS:
        models[name].fit(split.data)
        parts[name] = normalise(models[name].score(history))

    def ndcg(w: dict[str, float]) -> float:
        return evaluate_scores(blend(parts, w), split, "new", k)[0].ndcg

    anchor = best = ndcg(weights)
    for _ in range(PASSES):
        before = dict(weights)
        for name in COMPONENTS:
            if name == ANCHOR:
                continue
            for value in WEIGHT_GRID:
                trial = {**weights, name: value}
                if trial == weights:
                    continue
                score = ndcg(trial)
                if score > best + 1e-4:  # ignore noise-level gains: fewer components, simpler reasons
                    best, weights = score, trial
        if weights == before:
            break
    return Tuning(
        validation_from=str(start.date()),
        validation_to=str(as_of.date()),
        customers=int((split.target_sizes["new"] > 0).sum()),
        anchor_ndcg=anchor,
        hybrid_ndcg=best,
        weights=weights,
    )
