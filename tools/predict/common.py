"""Shared by the prediction tools: the order history, the analysis date, errors, small statistics helpers."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from tools.base import Table
from tools.sales import COMPLETED, ORDER_AMOUNTS

CHURN_WINDOW_DAYS = 90  # "churned" = no completed order in the next 90 days
CLV_HORIZON_MONTHS = 6  # default CLV horizon; the stored table holds this one
DAYS_PER_MONTH = 30.4375
PREDICTIONS_TABLE = "customer_predictions"
MODEL_DIR = "predict"
METRICS_FILE = "metrics.json"  # in models/predict/: backtests and fitted parameters from ingest
CONTACTS_TABLE = "campaign_contact_scores"


class PredictionError(ValueError):
    """A request the data cannot answer as asked; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class DataSpan:
    first: date
    last: date  # the data's "now": the date of the last order


def data_span(con: duckdb.DuckDBPyConnection) -> DataSpan:
    row = con.execute(
        f"SELECT min(ordered_at), max(ordered_at) FROM orders o WHERE {COMPLETED} AND customer_id IS NOT NULL"
    ).fetchone()
    if row is None or row[0] is None:
        raise PredictionError("data", "the warehouse has no completed orders of known customers")
    return DataSpan(first=row[0].date(), last=row[1].date())


def resolve_as_of(as_of: date | None, span: DataSpan, min_history_days: int, field: str = "as_of") -> date:
    """The analysis date (default: the last order date); history = orders on or before it."""
    if as_of is None:
        return span.last
    if as_of > span.last:
        raise PredictionError(
            field, f"{as_of} is after the data's last order ({span.last}); use {span.last} or earlier"
        )
    earliest = span.first + timedelta(days=min_history_days)
    if as_of < earliest:
        raise PredictionError(
            field,
            f"{as_of} leaves less than {min_history_days} days of history (data starts {span.first}); "
            f"use {earliest} or later",
        )
    return as_of


# One row per order of a known customer (every status, tools.sales' definitions), with its amount; an order
# without lines (a cancellation with no items) is kept with amount 0 so that it still counts as a cancellation.
CUSTOMER_ORDERS_SQL = f"""
SELECT o.customer_id, o.ordered_at, o.status, coalesce(t.amount, 0) AS amount, coalesce(t.products, 0) AS products
FROM orders o LEFT JOIN {ORDER_AMOUNTS} t ON t.order_id = o.order_id
WHERE o.customer_id IS NOT NULL AND (t.order_id IS NOT NULL OR NOT {COMPLETED})
"""


def customer_orders(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = con.execute(CUSTOMER_ORDERS_SQL).df()
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    return frame


@contextmanager
def one_thread() -> Iterator[None]:
    """Run numeric work on one thread: on a busy 2-core machine OpenMP spin-waiting made 2 threads 10x slower."""
    with threadpool_limits(limits=1):
        yield


def day_end(day: date) -> pd.Timestamp:
    """Exclusive upper bound of a day: orders strictly before it happened on or before `day`."""
    return pd.Timestamp(day) + pd.Timedelta(days=1)


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def expected_calibration_error(y: NDArray[np.int_], p: NDArray[np.float64], bins: int = 10) -> float:
    """Mean |observed rate - predicted probability| over equal-width probability bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(float(y[mask].mean()) - float(p[mask].mean()))
    return total / max(len(y), 1)


def money(value: float) -> str:
    return f"{value:,.0f}"


def pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def method_table(rows: list[tuple[str, str]]) -> Table:
    return Table(columns=["", ""], rows=[[k, v] for k, v in rows])
