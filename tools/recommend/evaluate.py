"""Offline evaluation: train before a cutoff date, test on what each returning customer bought after it.

Two protocols:
- all: every product the customer bought after the cutoff is a target; nothing is excluded.
- new: only products the customer had not bought before the cutoff are targets, and products bought
  before are removed from the ranking (the "what would they not have found themselves" question).
Full ranking over every product known at the cutoff (no sampled negatives). Targets that did not exist
before the cutoff stay in the denominator: no model can hit them, and the figures say so honestly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import sparse

from tools.recommend.data import Interactions, TrainingData, purchases_from_events, training_data

Protocol = Literal["all", "new"]


@dataclass
class Split:
    """Training interactions before the cutoff, and per test customer the products bought after it."""

    data: TrainingData
    test_rows: np.ndarray  # rows of train.binary for the test customers
    targets: dict[Protocol, list[np.ndarray]]  # known item indices per test customer
    target_sizes: dict[Protocol, np.ndarray]  # all targets per customer, including items unknown at the cutoff

    @property
    def train(self) -> Interactions:
        return self.data.interactions


def make_split(
    events: pd.DataFrame, cutoff: datetime, end: datetime | None = None, max_customers: int | None = None
) -> Split:
    """Train on purchases before `cutoff`; test customers bought both before it and in [cutoff, end)."""
    data = training_data(events, cutoff)
    train = data.interactions
    later = events[events["ordered_at"] >= pd.Timestamp(cutoff)]
    if end is not None:
        later = later[later["ordered_at"] < pd.Timestamp(end)]
    after = purchases_from_events(later)
    if max_customers is not None:
        returning = np.intersect1d(after["customer_id"].unique(), train.user_ids)
        if len(returning) > max_customers:
            chosen = np.random.default_rng(0).choice(returning, size=max_customers, replace=False)
            after = after[after["customer_id"].isin(chosen)]
    item_index = {pid: i for i, pid in enumerate(train.item_ids)}
    user_index = {cid: u for u, cid in enumerate(train.user_ids)}
    seen = train.binary
    rows: list[int] = []
    targets: dict[Protocol, list[np.ndarray]] = {"all": [], "new": []}
    sizes: dict[Protocol, list[int]] = {"all": [], "new": []}
    for customer_id, group in after.groupby("customer_id", sort=True):
        row = user_index.get(str(customer_id))
        if row is None:
            continue
        bought_before = set(seen.indices[seen.indptr[row] : seen.indptr[row + 1]].tolist())
        products = group["product_id"].unique()
        known = [item_index[p] for p in products if p in item_index]
        new_known = [i for i in known if i not in bought_before]
        new_total = sum(1 for p in products if item_index.get(p) not in bought_before)
        rows.append(row)
        targets["all"].append(np.array(sorted(known), dtype=np.int64))
        targets["new"].append(np.array(sorted(new_known), dtype=np.int64))
        sizes["all"].append(len(products))
        sizes["new"].append(new_total)
    return Split(
        data=data,
        test_rows=np.array(rows, dtype=np.int64),
        targets=targets,
        target_sizes={p: np.array(s, dtype=np.int64) for p, s in sizes.items()},
    )


class Metrics(BaseModel):
    """Ranking quality at k over the test customers of one protocol."""

    customers: int
    recall: float
    ndcg: float
    hit_rate: float
    coverage: float


def top_k(scores: np.ndarray, k: int, exclude: sparse.csr_matrix | None = None) -> np.ndarray:
    """Indices of the k best items per row, best first; `exclude` (binary, same shape) removes items."""
    scores = scores.astype(np.float32, copy=True)
    if exclude is not None:
        coo = exclude.tocoo()
        scores[coo.row, coo.col] = -np.inf
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def ranking_metrics(ranked: np.ndarray, targets: list[np.ndarray], target_sizes: np.ndarray, n_items: int) -> Metrics:
    """Recall@k = hits / all targets; NDCG@k with the ideal over min(k, targets); HitRate@k; catalogue coverage."""
    k = ranked.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recalls, ndcgs, hits = [], [], []
    for row, (items, total) in enumerate(zip(targets, target_sizes, strict=True)):
        if total == 0:
            continue
        hit = np.isin(ranked[row], items)
        ideal = discounts[: min(k, int(total))].sum()
        recalls.append(hit.sum() / total)
        ndcgs.append(float((hit * discounts).sum() / ideal))
        hits.append(float(hit.any()))
    used = np.unique(ranked).size
    return Metrics(
        customers=len(recalls),
        recall=round(float(np.mean(recalls)) if recalls else 0.0, 4),
        ndcg=round(float(np.mean(ndcgs)) if ndcgs else 0.0, 4),
        hit_rate=round(float(np.mean(hits)) if hits else 0.0, 4),
        coverage=round(used / n_items if n_items else 0.0, 4),
    )


def evaluate_scores(scores: np.ndarray, split: Split, protocol: Protocol, k: int) -> tuple[Metrics, np.ndarray]:
    """Metrics of one score matrix (test customers x items) under a protocol, and the top-k lists."""
    history = split.train.binary[split.test_rows]
    keep = split.target_sizes[protocol] > 0
    ranked = top_k(scores[keep], k, exclude=history[keep] if protocol == "new" else None)
    targets = [t for t, kept in zip(split.targets[protocol], keep, strict=True) if kept]
    metrics = ranking_metrics(ranked, targets, split.target_sizes[protocol][keep], split.train.n_items)
    full = np.full((len(keep), ranked.shape[1]), -1, dtype=np.int64)
    full[keep] = ranked
    return metrics, full
