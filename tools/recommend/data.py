"""Purchase data for the recommender: who bought what, read from the warehouse into sparse matrices.

Only completed orders of known customers count (guest orders stay out of customer analytics, and a
cancellation is its own order, so the original purchase still says "this customer wanted this").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from tools.sales import COMPLETED

_EVENTS_SQL = f"""
SELECT DISTINCT o.customer_id, l.product_id, o.order_id, o.ordered_at
FROM orders o JOIN order_lines l USING (order_id)
WHERE {COMPLETED} AND o.customer_id IS NOT NULL
  AND o.ordered_at >= ? AND o.ordered_at < ?
"""

_FAR_PAST = datetime(1900, 1, 1)
_FAR_FUTURE = datetime(2999, 1, 1)


def load_events(
    con: duckdb.DuckDBPyConnection, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """One row per (customer, product, order) for completed orders in [start, end)."""
    frame = con.execute(_EVENTS_SQL, [start or _FAR_PAST, end or _FAR_FUTURE]).df()
    return frame.astype({"customer_id": str, "product_id": str, "order_id": str})


def purchases_from_events(events: pd.DataFrame) -> pd.DataFrame:
    """(customer_id, product_id, n_orders, last_at) per customer and product."""
    grouped = events.groupby(["customer_id", "product_id"], sort=False)["ordered_at"]
    return grouped.agg(n_orders="count", last_at="max").reset_index()


def load_purchases(
    con: duckdb.DuckDBPyConnection, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """(customer_id, product_id, n_orders, last_at) for completed orders in [start, end)."""
    return purchases_from_events(load_events(con, start, end))


def load_products(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every product in the catalogue: id, display name, category."""
    frame = con.execute("SELECT product_id, name, coalesce(category, '') AS category FROM products").df()
    return frame.astype({"product_id": str, "name": str, "category": str})


@dataclass
class Interactions:
    """A customer x product matrix of purchases (value = number of orders containing the product).

    `last_day[u, i]`-style recency lives in `recency`: days between the purchase and `as_of`.
    """

    user_ids: np.ndarray  # row index -> customer_id
    item_ids: np.ndarray  # column index -> product_id
    counts: sparse.csr_matrix  # float32 order counts
    recency_days: sparse.csr_matrix  # days from the last purchase to `as_of` (+1, so never a stored 0)
    as_of: datetime

    @cached_property
    def binary(self) -> sparse.csr_matrix:
        """1 where the customer bought the product (computed once; callers must not modify it)."""
        out = self.counts.copy()
        out.data[:] = 1.0
        return out

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


def build_interactions(
    purchases: pd.DataFrame, item_ids: np.ndarray | None = None, as_of: datetime | None = None
) -> Interactions:
    """Matrices from a purchases frame; `item_ids` fixes the column order (others are dropped)."""
    if item_ids is None:
        item_ids = np.array(sorted(purchases["product_id"].unique()), dtype=object)
    item_index = pd.Index(item_ids)
    cols = item_index.get_indexer(purchases["product_id"])
    kept = purchases[cols >= 0]
    cols = cols[cols >= 0]
    user_ids = np.array(sorted(kept["customer_id"].unique()), dtype=object)
    rows = pd.Index(user_ids).get_indexer(kept["customer_id"])
    shape = (len(user_ids), len(item_ids))
    as_of = as_of or (kept["last_at"].max().to_pydatetime() if len(kept) else datetime.now())
    counts = sparse.csr_matrix((kept["n_orders"].to_numpy(np.float32), (rows, cols)), shape=shape)
    age = (pd.Timestamp(as_of) - kept["last_at"]).dt.total_seconds().to_numpy() / 86400.0
    recency = sparse.csr_matrix((np.maximum(age, 0.0).astype(np.float32) + 1.0, (rows, cols)), shape=shape)
    return Interactions(user_ids=user_ids, item_ids=item_ids, counts=counts, recency_days=recency, as_of=as_of)


def history_matrix(item_lists: list[list[int]], n_items: int) -> sparse.csr_matrix:
    """A binary rows x items matrix from lists of item indices (baskets, folded-in users)."""
    indptr = np.zeros(len(item_lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(items) for items in item_lists])
    indices = np.fromiter((i for items in item_lists for i in items), dtype=np.int32, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(item_lists), n_items))


@dataclass
class TrainingData:
    """Everything the models learn from: the purchase matrix and the dated purchases behind it."""

    interactions: Interactions
    events: pd.DataFrame  # customer_id, product_id, order_id, ordered_at (before `as_of`)

    @property
    def as_of(self) -> datetime:
        return self.interactions.as_of


def training_data(events: pd.DataFrame, as_of: datetime, item_ids: np.ndarray | None = None) -> TrainingData:
    """Training data from purchases before `as_of` (later rows are dropped, so nothing leaks)."""
    events = events[events["ordered_at"] < pd.Timestamp(as_of)]
    interactions = build_interactions(purchases_from_events(events), item_ids=item_ids, as_of=as_of)
    return TrainingData(interactions=interactions, events=events)
