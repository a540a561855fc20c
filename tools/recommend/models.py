"""The single recommenders. Each scores every product for a batch of purchase histories.

A history is a binary rows x items matrix (a customer's past purchases, or a basket), so known
customers, new customers and baskets all go through the same `score()`; nothing depends on a user id.
Each model saves its learned arrays to one .npz file and loads them back without retraining.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

from tools.recommend.data import TrainingData, build_interactions, purchases_from_events


class Model:
    """Base: `fit` on interactions, `score` histories, `save`/`load` the learned arrays."""

    name: ClassVar[str]
    label: ClassVar[str]  # how a marketer reads it

    def fit(self, data: TrainingData) -> None:
        raise NotImplementedError

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def save(self, directory: Path) -> None:
        np.savez(directory / f"{self.name}.npz", **self.arrays())  # type: ignore[arg-type]

    def load(self, directory: Path) -> None:
        with np.load(directory / f"{self.name}.npz") as data:
            self.set_arrays({key: data[key] for key in data.files})


class Popularity(Model):
    """Items bought by the most customers, the same for everyone."""

    name = "popularity"
    label = "popular with all customers"

    def __init__(self) -> None:
        self.buyers = np.zeros(0, dtype=np.float32)

    def fit(self, data: TrainingData) -> None:
        self.buyers = np.asarray(data.interactions.binary.sum(axis=0), dtype=np.float32).ravel()

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        return np.tile(self.buyers, (history.shape[0], 1))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"buyers": self.buyers}

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.buyers = arrays["buyers"]


class SeasonalPopularity(Popularity):
    """Items bought by many customers at this time of year: in the coming season of earlier years, or lately.

    A purchase counts fully when its day of the year falls in [as_of, as_of + horizon) (last year's
    season) and fades with its calendar distance from that window; the weeks just before `as_of` are
    close to it, so what sells now counts too. `buyers` keeps the customers with weight >= 0.5 (for reasons).
    """

    name = "seasonal_popularity"
    label = "in season"

    def __init__(self, horizon_days: int = 90, fade_days: float = 7.0) -> None:
        super().__init__()
        self.horizon_days, self.fade_days = horizon_days, fade_days
        self.weighted = np.zeros(0, dtype=np.float32)

    def fit(self, data: TrainingData) -> None:
        events, items = data.events, data.interactions.item_ids
        start = pd.Timestamp(data.as_of).day_of_year
        offset = (events["ordered_at"].dt.day_of_year.to_numpy() - start) % 365
        distance = np.where(offset < self.horizon_days, 0, np.minimum(offset - self.horizon_days, 365 - offset))
        frame = pd.DataFrame(
            {"item": pd.Index(items).get_indexer(events["product_id"]), "customer": events["customer_id"].to_numpy()}
        )
        frame["weight"] = np.exp(-distance / self.fade_days)
        per_customer = frame[frame["item"] >= 0].groupby(["item", "customer"], sort=False)["weight"].max()
        per_item = per_customer.groupby(level="item")
        self.weighted = np.zeros(len(items), dtype=np.float32)
        self.buyers = np.zeros(len(items), dtype=np.float32)
        weighted, strong = per_item.sum(), (per_customer >= 0.5).groupby(level="item").sum()
        self.weighted[weighted.index.to_numpy()] = weighted.to_numpy()
        self.buyers[strong.index.to_numpy()] = strong.to_numpy()

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        return np.tile(np.log1p(self.weighted), (history.shape[0], 1))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"buyers": self.buyers, "weighted": self.weighted}

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.buyers, self.weighted = arrays["buyers"], arrays["weighted"]


class ItemKNN(Model):
    """Item-to-item cosine similarity on who bought what, keeping each item's nearest neighbours."""

    name = "item_knn"
    label = "bought together"

    def __init__(self, neighbours: int = 200) -> None:
        self.neighbours = neighbours
        self.similarity = sparse.csr_matrix((0, 0), dtype=np.float32)
        self.co_buyers = np.zeros((0, 0), dtype=np.uint16)  # customers who bought both; kept for reasons

    def fit(self, data: TrainingData) -> None:
        x = data.interactions.binary.tocsc()
        counts = (x.T @ x).toarray()
        self.co_buyers = counts.astype(np.uint16 if data.interactions.n_users < 2**16 else np.uint32)
        co = counts.astype(np.float32)
        norms = np.sqrt(np.diag(co)).copy()
        norms[norms == 0] = 1.0
        sim = co / norms[:, None] / norms[None, :]
        np.fill_diagonal(sim, 0.0)
        k = min(self.neighbours, sim.shape[1] - 1)
        if k > 0:
            # keep the top-k neighbours of each item (row), drop the long tail of weak similarities
            cut = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            keep = np.zeros_like(sim, dtype=bool)
            np.put_along_axis(keep, cut, True, axis=1)
            sim[~keep] = 0.0
        self.similarity = sparse.csr_matrix(sim)

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        return np.asarray((history @ self.similarity).todense(), dtype=np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        s = self.similarity
        return {
            "data": s.data,
            "indices": s.indices,
            "indptr": s.indptr,
            "shape": np.array(s.shape),
            "co_buyers": self.co_buyers,
        }

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.co_buyers = arrays["co_buyers"]
        shape = tuple(int(v) for v in arrays["shape"])
        self.similarity = sparse.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)


class EASE(Model):
    """EASE (Steck 2019): a closed-form item-item linear model, B = I - P / diag(P), P = (XᵀX + λI)⁻¹."""

    name = "ease"
    label = "customers with a similar basket also bought"

    def __init__(self, l2: float = 300.0) -> None:
        self.l2 = l2
        self.weights = np.zeros((0, 0), dtype=np.float32)

    def fit(self, data: TrainingData) -> None:
        x = data.interactions.binary
        gram = (x.T @ x).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        p = np.linalg.inv(gram)
        b = p / (-np.diag(p))
        np.fill_diagonal(b, 0.0)
        self.weights = b.astype(np.float32)

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(history @ self.weights, dtype=np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights}

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.weights = arrays["weights"]


class NextEASE(EASE):
    """What customers went on to buy next: ridge regression from a purchase history to the new products
    bought in the following weeks, fitted over several past windows (recent windows weigh more).

    Same closed form as EASE, but the targets are later, new purchases, so it learns what a basket
    leads to (and what is catching on), not only what sits beside it.
    """

    name = "next_ease"
    label = "customers with this history went on to buy"

    def __init__(self, l2: float = 1000.0, windows: int = 5, decay: float = 0.8) -> None:
        super().__init__(l2)
        self.windows, self.decay = windows, decay

    def window_days(self, data: TrainingData) -> int:
        """A sixth of the history, between two weeks and two months."""
        if data.events.empty:
            return 14
        span = (pd.Timestamp(data.as_of) - data.events["ordered_at"].min()).days
        return int(np.clip(span / 6, 14, 60))

    def fit(self, data: TrainingData) -> None:
        items, events = data.interactions.item_ids, data.events
        horizon = self.window_days(data)
        pasts, futures, weights = [], [], []
        for j in range(self.windows):
            split_at = pd.Timestamp(data.as_of) - timedelta(days=horizon * (1 + j) // 2 + horizon // 2)
            before = events[events["ordered_at"] < split_at]
            after = events[(events["ordered_at"] >= split_at) & (events["ordered_at"] < split_at + timedelta(horizon))]
            if before.empty or after.empty:
                break
            past = build_interactions(purchases_from_events(before), item_ids=items)
            future = build_interactions(purchases_from_events(after), item_ids=items)
            rows = pd.Index(past.user_ids).get_indexer(future.user_ids)
            known = np.flatnonzero(rows >= 0)
            x, y = past.binary[rows[known]], future.binary[known]
            y = (y - y.multiply(x)).tocsr()  # only products new to the customer are targets
            y.eliminate_zeros()
            pasts.append(x)
            futures.append(y)
            weights.append(np.full(x.shape[0], np.sqrt(self.decay**j), dtype=np.float32))
        n = len(items)
        if not pasts:
            self.weights = np.zeros((n, n), dtype=np.float32)
            return
        w = sparse.diags(np.concatenate(weights))
        x_all, y_all = w @ sparse.vstack(pasts).tocsr(), w @ sparse.vstack(futures).tocsr()
        gram = (x_all.T @ x_all).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        self.weights = np.linalg.solve(gram, (x_all.T @ y_all).toarray()).astype(np.float32)


class ALS(Model):
    """Implicit-feedback matrix factorisation (the `implicit` package's ALS, on the CPU).

    Histories are folded in with one exact least-squares step against the item factors, which is
    what ALS itself does for users, so a basket or a new customer is scored like a trained one.
    """

    name = "als"
    label = "matrix factorisation"

    def __init__(
        self, factors: int = 64, l2: float = 0.05, alpha: float = 10.0, iterations: int = 15, threads: int = 2
    ) -> None:
        self.factors, self.l2, self.alpha, self.iterations, self.threads = factors, l2, alpha, iterations, threads
        self.item_factors = np.zeros((0, factors), dtype=np.float32)
        self._gram: np.ndarray | None = None

    def fit(self, data: TrainingData) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit parallelises itself; nested BLAS threads only fight it
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.l2,
                iterations=self.iterations,
                num_threads=self.threads,
                random_state=42,
                calculate_training_loss=False,
            )
            model.fit(self._confidence(data.interactions.binary), show_progress=False)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)
        self._gram = None

    def _confidence(self, binary: sparse.csr_matrix) -> sparse.csr_matrix:
        out = binary.astype(np.float32)
        out.data *= self.alpha
        return out.tocsr()

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        y = self.item_factors.astype(np.float64)
        if self._gram is None:  # YᵀY + λI is the same for every history: compute it once
            self._gram = y.T @ y + self.l2 * np.eye(y.shape[1])
        base = self._gram
        conf = self._confidence(history)
        users = np.zeros((history.shape[0], y.shape[1]))
        for row in range(history.shape[0]):
            start, end = conf.indptr[row], conf.indptr[row + 1]
            if start == end:
                continue
            idx, c = conf.indices[start:end], conf.data[start:end].astype(np.float64)
            yi = y[idx]
            a = base + (yi * (c - 1.0)[:, None]).T @ yi
            users[row] = np.linalg.solve(a, yi.T @ c)
        return (users @ y.T).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors}

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.item_factors = arrays["item_factors"]
        self._gram = None


class Content(Model):
    """Product-name embeddings (MiniLM): items that read like what the customer bought; works for unsold items."""

    name = "content"
    label = "similar product"

    def __init__(self, lookup: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.lookup = lookup  # product ids -> unit-length name embeddings, one row each
        self.vectors = np.zeros((0, 384), dtype=np.float32)

    def fit(self, data: TrainingData) -> None:
        if self.lookup is None:
            raise ValueError("content model needs product-name embeddings to fit")
        self.vectors = np.asarray(self.lookup(data.interactions.item_ids), dtype=np.float32)

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        profile = np.asarray(history @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(profile, axis=1, keepdims=True)
        profile /= np.where(norms == 0, 1.0, norms)
        return profile @ self.vectors.T

    def arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors}

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.vectors = arrays["vectors"]
