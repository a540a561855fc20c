"""Train every model on purchases before a date, choose the hybrid's weights, save and load the result.

Saved under `models/recommender/` of a build: one .npz per model, the catalogue (names + embeddings),
the purchase matrix (for histories and "bought together by N customers" reasons) and `recommender.json`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from tools.recommend.catalogue import Catalogue
from tools.recommend.data import Interactions, training_data
from tools.recommend.hybrid import Hybrid, Tuning, tune_weights
from tools.recommend.models import ALS, EASE, Content, ItemKNN, Model, NextEASE, Popularity, SeasonalPopularity

SINGLE_MODELS = ("popularity", "seasonal_popularity", "item_knn", "ease", "next_ease", "als", "content")
META_FILE = "recommender.json"


def make_models(catalogue: Catalogue, threads: int = 2) -> dict[str, Model]:
    models: list[Model] = [
        Popularity(),
        SeasonalPopularity(),
        ItemKNN(),
        EASE(),
        NextEASE(),
        ALS(threads=threads),
        Content(catalogue.vectors_for),
    ]
    return {m.name: m for m in models}


@dataclass
class Recommender:
    """Trained models over the products sold before `as_of`, with the hybrid and the catalogue."""

    catalogue: Catalogue
    interactions: Interactions
    models: dict[str, Model]
    tuning: Tuning
    train_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def hybrid(self) -> Hybrid:
        return Hybrid(self.models, self.tuning.weights)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.catalogue.save(directory)
        for model in self.models.values():
            model.save(directory)
        x = self.interactions.counts
        np.savez(
            directory / "interactions.npz",
            data=x.data,
            indices=x.indices,
            indptr=x.indptr,
            user_ids=self.interactions.user_ids.astype(str),
            item_ids=self.interactions.item_ids.astype(str),
        )
        meta = {
            "as_of": self.interactions.as_of.isoformat(),
            "tuning": self.tuning.model_dump(),
            "train_seconds": self.train_seconds,
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Recommender:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        catalogue = Catalogue.load(directory)
        with np.load(directory / "interactions.npz") as d:
            user_ids, item_ids = d["user_ids"].astype(object), d["item_ids"].astype(object)
            counts = sparse.csr_matrix((d["data"], d["indices"], d["indptr"]), shape=(len(user_ids), len(item_ids)))
        interactions = Interactions(
            user_ids=user_ids,
            item_ids=item_ids,
            counts=counts,
            recency_days=sparse.csr_matrix(counts.shape, dtype=np.float32),  # only needed while training
            as_of=datetime.fromisoformat(meta["as_of"]),
        )
        models = make_models(catalogue)
        for model in models.values():
            model.load(directory)
        return cls(
            catalogue=catalogue,
            interactions=interactions,
            models=models,
            tuning=Tuning(**meta["tuning"]),
            train_seconds=meta["train_seconds"],
        )


def train_recommender(
    events: pd.DataFrame,
    as_of: datetime,
    catalogue: Catalogue,
    threads: int = 2,
    on_step: Callable[[str], Any] | None = None,
) -> Recommender:
    """Train on purchases before `as_of`: tune the hybrid on a held-out window, then refit on everything."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    tuning = tune_weights(events, as_of, lambda: make_models(catalogue, threads))
    seconds["hybrid_weight_tuning"] = round(time.perf_counter() - started, 2)
    if on_step:
        on_step("hybrid weights")
    data = training_data(events, as_of)
    models = make_models(catalogue, threads)
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(data)
        seconds[name] = round(time.perf_counter() - started, 2)
        if on_step:
            on_step(name)
    return Recommender(
        catalogue=catalogue, interactions=data.interactions, models=models, tuning=tuning, train_seconds=seconds
    )
